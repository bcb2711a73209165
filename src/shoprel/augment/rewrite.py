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
from shoprel.data.validate import RecordValidator
from shoprel.data.writers import ColumnPlan, write_records
from shoprel.errors import ConfigError, InputError
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


# rows a streamed rewrite (`langid`) holds at a time: their records, frame and new values
CHUNK_ROWS = 20_000


@dataclass
class CheckedFile:
    """What a streamed check of a file found: the task its rows were read as, how many rows
    it has, and the columns its records will be written with (data.writers.ColumnPlan)."""

    task: Task | None
    rows: int
    columns: ColumnPlan


def check_rows(path: str | Path, added: dict) -> CheckedFile:
    """read_rows' checks, streamed: every row checked as predict checks it before any work,
    holding no more than the ids (to find a repeat). `added`: the columns the command adds to
    every record, each with a value of the kind it will hold."""
    path = Path(path).expanduser()
    validators: list[RecordValidator] = []
    columns = ColumnPlan()
    rows = 0
    for line, record in iter_records(path):
        if not validators:  # as read_rows: both tasks where both target columns are there
            tasks = [task for task in Task if task.target_column in record]
            validators = [RecordValidator(path, task, read_labels=False)
                          for task in (tasks if len(tasks) > 1 else [None])]
        for validator in validators:
            validator.validate(line, record)
        columns.add({**record, **added})
        rows += 1
    if not rows:
        raise InputError("the file has no rows", path=path)
    return CheckedFile(validators[0].task, rows, columns)


def check_chunk_rows(chunk_rows) -> int:
    """A chunk size is a whole number of rows, at least 1: told before any work."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows: a whole number of rows, at least 1; got {chunk_rows!r}")
    return chunk_rows


def row_chunks(path: str | Path, task: Task | None, chunk_rows: int = CHUNK_ROWS
               ) -> Iterator[FileRows]:
    """The file as FileRows of at most `chunk_rows` rows, read again after check_rows: memory
    holds one chunk, whatever the file's size."""
    path = Path(path).expanduser()
    validator = RecordValidator(path, task, read_labels=False)
    numbered: list = []
    for item in iter_records(path):
        numbered.append(item)
        if len(numbered) == chunk_rows:
            yield _chunk(numbered, validator)
            numbered = []
    if numbered:
        yield _chunk(numbered, validator)


def _chunk(numbered: list, validator: RecordValidator) -> FileRows:
    frame = validator.frame([validator.validate(line, record) for line, record in numbered])
    return FileRows(frame, [record for _, record in numbered], [line for line, _ in numbered])


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
