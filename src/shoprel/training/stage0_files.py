"""The stage-0 rows of one file or of several read as one set (stage0.data: a list).

Another task's rows are often split over files (one per language, per month); naming them all
reads what their concatenation would hold, in the order named, while every error still names
the file and line it came from. An id met in an earlier file is refused as a repeat within one
file is, naming both files and lines, and a file named twice (under any name: a link) is
refused: its rows would count twice. Both labels must occur in the set, not in each file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shoprel.data.frame import TRANSLATION, PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task, stage0_task
from shoprel.errors import ConfigError, InputError
from shoprel.run.stage0_record import stage0_record
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.outputs import same_file


@dataclass(frozen=True)
class Stage0Rows:
    """The stage-0 rows (`frame`: every file's, in the order named) and, per file as named,
    its own rows and the SHA-256 of its bytes, taken before it was read."""

    frame: PairFrame
    files: list[str]
    frames: list[PairFrame]
    sha256: list[str]


def read_stage0_files(files: list[str], task, empty_text: str) -> Stage0Rows:
    """Read `files` (stage0.data's) as one set of labelled rows of one task: the first file's
    unless `task` is given. The digest is taken first: a file edited while it is read is then
    recorded with bytes stage 0 did not learn (nested_stage0.py)."""
    for position, file in enumerate(files):
        for earlier in files[:position]:
            if same_file(file, earlier):
                raise ConfigError(f"stage0.data: {file} is {earlier}, named twice: its rows "
                                  "would count twice; name each file once")
    frames, digests, ids = [], [], {}
    # who gives the task a file is read as, said where it is of the other one (the run's own
    # task plays no part: stage 0 is meant for the other task's rows)
    given_by = None if task is None else stage0_task(Task.parse(task))
    for file in files:
        try:
            digest = sha256_of_file(file)
        except OSError:
            digest = None  # read_pairs says why, naming the file
        frames.append(read_pairs(file, task=task, require_label=True, empty_text=empty_text,
                                 both_labels=len(files) == 1,
                                 earlier_ids=ids if len(files) > 1 else None,
                                 given_by=given_by))
        task = frames[0].task
        if given_by is None:  # told by the first file's columns
            given_by = stage0_task(task, files[0])
        digests.append(digest or sha256_of_file(file))
    frame = frames[0]
    if len(frames) > 1:
        rows = pd.concat([part.df for part in frames], ignore_index=True)
        if TRANSLATION in rows.columns:  # a file without the column: untranslated rows
            rows[TRANSLATION] = rows[TRANSLATION].fillna("")
        frame = PairFrame(task, rows, Path(files[0]), {"rows": len(rows)})
        if rows["label"].nunique() < 2:
            raise InputError("training needs both labels (0 and 1); the stage-0 files have "
                             "only one", path=", ".join(files), field="label")
    return Stage0Rows(frame, list(files), frames, digests)


def recorded_files(rows: Stage0Rows) -> dict:
    """What metrics.json's stage0 block records of the files (run/stage0_record.py)."""
    return stage0_record(rows.files, rows.sha256, [len(part) for part in rows.frames])
