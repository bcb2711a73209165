"""The files a run learnt from, as its records (its members' and its student's too) name
them, so that no output replaces one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from shoprel.errors import one_line_reason
from shoprel.run.data import recorded_field
from shoprel.run.stage0_record import recorded_stage0_files
from shoprel.utils.shoprel_folders import RUN_MARKER, PathLike, json_object, resolved

RUN_METRICS = "metrics.json"  # run/layout.METRICS: records the file the run was trained on
TRAIN_FILE, STAGE0_FILE = "data.train_file", "stage0.train_file"  # its fields naming them
UNLABELED_FILES = "distillation.unlabeled.files"  # a student's teacher-scored pair files
NOISE_FLAGGED = "noise.flagged_file"  # the flagged ids a run dropped or down-weighted
STUDENT_FOLDER = "student"  # run/layout.STUDENT: a run's carried student, a run folder of its own


def training_files(run: PathLike) -> list[tuple[str, str, str]]:
    """(run, metrics.json field, file) of each file a run learnt from, by the record of the run
    that names it (`run`: its folder as a message names it): data.train_file (an ensemble's,
    each member's), the stage-0 file a first model was fitted on (stage0.train_file, another
    task's labelled rows: the user's data as much) and the pair files a student's teacher
    scored for it (distill --unlabeled: distillation.unlabeled.files), the flagged ids it
    dropped or down-weighted (noise.flagged: noise.flagged_file); those of an ensemble's
    members and of a carried student (RUN/student) too, whose records (a member's stage 0, a
    student's unlabelled pairs) the run's metrics.json does not repeat. None where a run
    records none or cannot be read (`run`'s own: the command reading it says so; a member's
    or student's: unreadable_records)."""
    return [(os.path.normpath(folder), field, file) for folder in _runs_behind(Path(run), set())
            for field, file in _recorded_files(folder)]


def unreadable_records(run: PathLike) -> list[tuple[Path, str]]:
    """(metrics.json, why) of each run behind `run` (an ensemble's member, a carried student)
    whose record cannot be read, so that the files it learnt from cannot be told: commands
    reading an ensemble need not read its members' (noise, report), and a member's stage 0 or
    unlabelled pairs are recorded there alone. `run`'s own is left to the command reading it."""
    behind = list(_runs_behind(Path(run), set()))[1:]
    said = [(Path(os.path.normpath(folder / RUN_METRICS)), _unreadable_why(folder / RUN_METRICS))
            for folder in behind]
    return [(path, why) for path, why in said if why is not None]


def _runs_behind(run: Path, seen: set[Path]) -> Iterator[Path]:
    """`run`, then each run behind it: an ensemble's members as its run.json lists them
    (recursively; a missing one too) and a carried student where there is one, each once."""
    if resolved(run) in seen:  # a run listed twice, or leading back
        return
    seen.add(resolved(run))
    yield run
    if not run.is_dir():
        return
    for member in _member_folders(run):
        yield from _runs_behind(member, seen)
    if (run / STUDENT_FOLDER).is_dir():
        yield from _runs_behind(run / STUDENT_FOLDER, seen)


def _unreadable_why(path: Path) -> str | None:
    """Why the JSON object file `path` cannot be read, in a few words; None where it can."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return exc.strerror or one_line_reason(exc)
    except ValueError:
        return "not valid JSON"
    return None if isinstance(record, dict) else "no JSON object"


def _recorded_files(run: Path) -> list[tuple[str, str]]:
    """(field, file) of each file the run's own metrics.json records it learnt from."""
    metrics = json_object(run / RUN_METRICS)
    files = [(TRAIN_FILE, file) for _, file in recorded_field(metrics, "train_file")]
    files += [(STAGE0_FILE, recorded.file)  # one, or each of several (run/stage0_record.py)
              for recorded in recorded_stage0_files(metrics.get("stage0"))]
    distillation = metrics.get("distillation")
    unlabeled = distillation.get("unlabeled") if isinstance(distillation, dict) else None
    named = unlabeled.get("files") if isinstance(unlabeled, dict) else None
    if isinstance(named, list):
        files += [(UNLABELED_FILES, file) for file in named]
    noise = metrics.get("noise")
    if isinstance(noise, dict):
        files.append((NOISE_FLAGGED, noise.get("flagged_file")))
    return [(field, file) for field, file in files if isinstance(file, str) and file]


def _member_folders(run: Path) -> list[Path]:
    """An ensemble's member folders as its run.json lists them (run/folder.py Run.member_dirs; none
    where it lists none or cannot be read)."""
    members = json_object(run / RUN_MARKER).get("members")
    members = members if isinstance(members, list) else []
    return [run / member["path"] for member in members
            if isinstance(member, dict) and isinstance(member.get("path"), str)]
