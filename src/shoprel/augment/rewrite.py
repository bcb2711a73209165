"""A pair file read to be written back with columns added (`translate`, `langid`): rows
validated as scoring reads them, and the raw records kept so that every other value goes out
as it came in (nulls null, absent keys absent, 1.50 as 1.50), under the output's lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.records import iter_records
from shoprel.data.tasks import Task
from shoprel.data.writers import write_records
from shoprel.utils.atomic import output_lock
from shoprel.utils.outputs import check_output_file


@dataclass
class FileRows:
    """A file's validated rows (frame) beside its records, one for one, with line numbers."""

    frame: PairFrame
    records: list[dict]
    lines: list[int]


def read_rows(path: str | Path) -> FileRows:
    """Every row checked as predict checks it (labels unread: a test file's empty labels are
    no error; with both target columns, as predict checks it for either task), before any
    work; then the records as written. The file is parsed once, however many tasks check it."""
    numbered = list(iter_records(path))
    # these commands read queries and languages only: a file with both target columns is
    # checked as either task's file, not refused for a task they have no option to give
    columns = numbered[0][1].keys() if numbered else ()
    tasks = [task for task in Task if task.target_column in columns]
    frames = [read_pairs(path, task, read_labels=False, records=numbered)
              for task in (tasks if len(tasks) > 1 else [None])]
    return FileRows(frames[0], [record for _, record in numbered], [line for line, _ in numbered])


@contextlib.contextmanager
def locked_output(input_path: str | Path, output_path: str | Path,
                  overwrite: bool) -> Iterator[Path]:
    """Hold the output's lock for the whole command: a second command writing it fails at
    once, and the output is checked under the lock."""
    out = Path(output_path)
    with output_lock(out):
        check_output_file(out, reads=[input_path], overwrite=overwrite)
        yield out


def write_rows(rows: FileRows, out: Path, overwrite: bool) -> None:
    """The records with their new columns; without overwrite a file that appeared at `out`
    while the command worked is kept and the write refused."""
    write_records(rows.records, out, rows.lines, replace=overwrite)
