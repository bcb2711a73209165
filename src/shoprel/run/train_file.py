"""Where a finished run's training file is now: the path metrics.json recorded, or the place a
user names with `--train FILE` (API: `train=`) when the file has moved (another machine, a
renamed folder). noise, distill and far-pairs read the rows there; a named file is accepted
only when it holds the data the run was trained on: the digest the run records
(data.train_sha256) must match. An older run records no digest, only a row count: the named
file is then checked by its count (and by each reader's own check of the rows against the
run's out-of-fold table), and a note says what could not be checked. The file its stage 0 was
fitted on (stage0.train_file), which distill --nested reads, is named and checked the same
way with `--stage0-train FILE` (stage0.train_sha256, else stage0.train_rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shoprel.data.tasks import TaskGivenBy, trained_task
from shoprel.errors import InputError, RunDirError
from shoprel.run.data import recorded_field
from shoprel.run.folder import Run
from shoprel.run.layout import shown
from shoprel.utils.digest import sha256_of_file


@dataclass(frozen=True)
class RecordedFile:
    """A file a run learnt from as its metrics.json records it (the `block` holding its
    train_file and train_sha256 fields) and the words a message names it with."""
    block: str  # data, stage0
    option: str  # what names its new place on the command line
    what: str  # "training file"
    learnt: str  # " was trained on": the run ... it (after the run's name)
    rows: str  # the block's field counting the rows it was fitted on
    unchecked: str  # what the readers check of a file without a digest, but its row count

    @property
    def name_with(self) -> str:
        return f"{self.option} FILE"

    @property
    def give_new_place(self) -> str:
        return f"if it has moved, name its new place with {self.name_with}"


TRAINING = RecordedFile("data", "--train", "training file", " was trained on", "rows",
                        "rows against the run's out-of-fold table")
STAGE0 = RecordedFile("stage0", "--stage0-train", "stage-0 file", "'s stage 0 was fitted on",
                      "train_rows", "")
NAME_WITH_TRAIN = TRAINING.name_with  # the way on where the recorded file is gone or changed
GIVE_NEW_PLACE = TRAINING.give_new_place


def training_file_task(run: Run) -> TaskGivenBy:
    """Who gives the task the run's training file is read as again (the run: it was trained
    on that task's pairs), and the fix where the file there now is of the other task."""
    return trained_task(run.task, shown(run.path), NAME_WITH_TRAIN)


@dataclass(frozen=True)
class TrainingPlace:
    """The file to read (`path`) and, when a user named it, what the run recorded
    (`recorded`, the path); `undigested`: no digest to check it by, only the run's row
    counts (`rows`, maybe none): what is left to check once the file is read; `of`: which of
    the run's files it is."""
    path: Path
    recorded: str | None = None
    undigested: bool = False
    rows: tuple[int, ...] = ()
    of: RecordedFile = TRAINING


def recorded_train_file(run: Run) -> str | None:
    """metrics.json data.train_file; an ensemble without one takes its first member's."""
    train_file = run.train_file()
    if not train_file and run.kind == "ensemble":
        for member in run.member_dirs():
            return recorded_train_file(Run.open(member))
    return train_file


def _recorded(run: Run, field: str) -> list:
    """Each trained run's value of a data field (an ensemble's members may name different
    files of the same rows: any of theirs is the run's)."""
    values = [value for _, value in recorded_field(run.metrics(), field) if value is not None]
    if not values and run.kind == "ensemble":
        for member in run.member_dirs():
            return _recorded(Run.open(member), field)
    return values


def training_place(run: Run, given: str | Path | None = None) -> TrainingPlace:
    """The file to read the run's rows from: `given` (checked against the run's digest) or
    the recorded path, which must still be a file (else the error names --train)."""
    recorded = recorded_train_file(run)
    name = shown(run.path)
    if given is None:
        if not recorded or not Path(recorded).is_file():
            where = "no file" if not recorded or not Path(recorded).exists() else "not a file"
            raise RunDirError(f"{name}: its training file {recorded!r} (metrics.json "
                              f"data.train_file): {where}; {GIVE_NEW_PLACE}")
        return TrainingPlace(Path(recorded))
    rows = tuple(int(r) for r in _recorded(run, "rows") if isinstance(r, int | float))
    return named_place(run, TRAINING, given, recorded,
                       [str(d) for d in _recorded(run, "train_sha256")], rows)


def stage0_place(run: Run, given: str | Path) -> TrainingPlace:
    """The run's stage-0 file at the place `given` (--stage0-train), checked against what
    the run's metrics.json stage0 block records of the file stage 0 was fitted on."""
    info = run.metrics().get("stage0") or {}
    if isinstance(info.get("train_file"), list):  # several (stage0_record.py): read in place
        raise InputError(f"{given}: {shown(run.path)}'s stage 0 was fitted on "
                         f"{len(info['train_file'])} files (metrics.json stage0.train_file), "
                         "read only where the run records them: put them back there and drop "
                         f"{STAGE0.option}")
    digest, rows = info.get("train_sha256"), info.get("train_rows")
    return named_place(run, STAGE0, given, info.get("train_file"),
                       [str(digest)] if digest else [],
                       (int(rows),) if isinstance(rows, int | float) else ())


def named_place(run: Run, of: RecordedFile, given: str | Path, recorded: str | None,
                digests: list[str], rows: tuple[int, ...]) -> TrainingPlace:
    """`given`, the new place a user named of the run's file `of` (recorded at `recorded`):
    accepted when its SHA-256 is one of the run's `digests`; without any, left to check by
    its row count (`rows`) once read (check_rows)."""
    path = Path(given).expanduser()
    name = shown(run.path)
    recorded = recorded or "unrecorded"  # a run whose metrics.json names no file
    if not path.is_file():
        raise InputError(f"{path}: {'not a file' if path.exists() else 'no such file'} "
                         f"({of.option}, the new place of {name}'s {of.what} {recorded})")
    if digests:
        digest = sha256_of_file(path)
        if digest not in digests:
            raise InputError(f"{path}: not the file {name}{of.learnt} ({recorded}): its "
                             f"SHA-256 is {digest[:12]}..., the run records {digests[0][:12]}... "
                             f"(metrics.json {of.block}.train_sha256)")
        return TrainingPlace(path, recorded, of=of)
    return TrainingPlace(path, recorded, True, rows, of)


def check_rows(run: Run, place: TrainingPlace, stats: dict) -> str | None:
    """After a named file was read (`stats`: its reader's counts): for a run recording no
    digest, its row count must be the run's; returns the note saying what was not checked
    (None when nothing is left unchecked)."""
    if not place.undigested:
        return None
    name, of = shown(run.path), place.of
    count = stats.get("rows")
    if place.rows and count is not None and int(count) not in place.rows:
        raise InputError(f"{place.path}: not the file {name}{of.learnt} "
                         f"({place.recorded}): it holds {count} rows, the run records "
                         f"{place.rows[0]} (metrics.json {of.block}.{of.rows})")
    if place.rows:
        checked = "its row count" + (f" and {of.unchecked}" if of.unchecked else "")
    else:
        checked = f"its {of.unchecked}" if of.unchecked else ""
    said = f"was checked by {checked}" if checked else "could not be checked"
    return (f"{name} records no digest of its {of.what} (a run written before shoprel "
            f"recorded one): {place.path} {said}, not byte for byte")
