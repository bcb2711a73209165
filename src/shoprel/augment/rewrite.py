"""A pair file written back with columns added (`translate`, `langid`), streamed: rows
validated as scoring reads them, then read again chunk by chunk with the raw records kept so
that every other value goes out as it came in (nulls null, absent keys absent, 1.50 as 1.50),
under the output's lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from shoprel.data.column_plan import ColumnPlan
from shoprel.data.formats import output_format
from shoprel.data.frame import PairFrame
from shoprel.data.records import file_columns, iter_records, parquet_types
from shoprel.data.tasks import Task
from shoprel.data.validate import RecordValidator
from shoprel.data.writers import write_record_chunks
from shoprel.errors import ConfigError, InputError
from shoprel.utils.atomic import output_lock
from shoprel.utils.bounds import not_a_count
from shoprel.utils.outputs import Guard, check_output_file, check_own_output
from shoprel.utils.scalars import python_scalar


@dataclass
class FileRows:
    """A file's validated rows (frame) beside its records, one for one, with line numbers."""

    frame: PairFrame
    records: list[dict]
    lines: list[int]


# rows a streamed rewrite (`translate`, `langid`) holds at a time: their records, frame and
# new values
CHUNK_ROWS = 20_000


@dataclass
class CheckedFile:
    """What a streamed check of a file found: the task its rows were read as, how many rows
    it has, the line (or row) of its first record, and the columns its records will be
    written with (data.column_plan.ColumnPlan)."""

    task: Task | None
    rows: int
    first_line: int
    columns: ColumnPlan


def check_rows(path: str | Path, added: dict) -> CheckedFile:
    """Every row checked as predict checks it (labels unread: a test file's empty labels are
    no error) before any work, in one pass holding no more than the ids (to find a repeat).
    These commands read queries and languages only: a file with both target columns is
    checked as either task's file, not refused for a task they have no option to give.
    `added`: the columns the command adds to every record, each with a value of the kind it
    will hold. A Parquet file's columns keep their types (records.parquet_types)."""
    path = Path(path).expanduser()
    validators: list[RecordValidator] = []
    columns = ColumnPlan(path)
    rows = first_line = 0
    for line, record in iter_records(path):
        if not validators:
            first_line = line
            columns = ColumnPlan(path, {name: kind for name, kind in parquet_types(path).items()
                                        if name not in added})
            tasks = [task for task in Task if task.target_column in record]
            validators = [RecordValidator(path, task, read_labels=False)
                          for task in (tasks if len(tasks) > 1 else [None])]
        for validator in validators:
            validator.validate(line, record)
        columns.add({**record, **added}, line)
        rows += 1
    if not rows:
        raise InputError("the file has no rows", path=path)
    return CheckedFile(validators[0].task, rows, first_line, columns)


def check_chunk_rows(chunk_rows) -> int:
    """A chunk size is a whole number of rows, at least 1: told before any work, in the words
    of an integer option (utils.bounds.not_a_count)."""
    problem = not_a_count(chunk_rows, ge=1)
    if problem:
        raise ConfigError(f"chunk_rows: {problem}")
    return int(python_scalar(chunk_rows))


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


@dataclass
class Rewrite:
    """A file being written again with columns added (rewrite_in_chunks): its checked rows,
    read again chunk by chunk, and the output they go to."""

    source: Path
    out: Path
    checked: CheckedFile
    chunk_rows: int
    overwrite: bool
    guard: Guard

    def chunks(self) -> Iterator[FileRows]:
        """The file's rows, `chunk_rows` at a time, for the command to fill in."""
        return row_chunks(self.source, self.checked.task, self.chunk_rows)

    def write(self, chunks: Iterable[FileRows]) -> None:
        """The filled-in chunks, each written as it comes; the output appears only when whole
        (an error or a stop while a chunk is made leaves none), and without overwrite a file
        that appeared at the output meanwhile is kept and the write refused (with it, one the
        command did not write: its guard)."""
        write_record_chunks(((rows.records, rows.lines) for rows in chunks), self.out,
                            self.checked.columns, replace=self.overwrite, guard=self.guard)


@contextlib.contextmanager
def rewrite_in_chunks(input_path: str | Path, output_path: str | Path, added: dict,
                      command: str, overwrite: bool = False, chunk_rows: int = CHUNK_ROWS
                      ) -> Iterator[Rewrite]:
    """A file streamed as predict streams it, under the output's lock: every row checked first
    (check_rows, with the columns `added`), then read again and written `chunk_rows` rows at a
    time (Rewrite), so memory stays flat however large the file; every value is written back
    as read (nulls null, absent keys absent, 1.50 as 1.50). A Parquet output's column types
    are settled over the whole file before any work: a column no one type holds is refused
    at its line then, not after the chunks above it were made. `command` (translate, langid)
    names the output's writer: with `overwrite`, an existing output is replaced only if it
    holds every column `added` (added_columns_guard)."""
    check_chunk_rows(chunk_rows)
    guard = added_columns_guard(added, command)
    with locked_output(input_path, output_path, overwrite, guard) as out:
        checked = check_rows(input_path, added)
        if output_format(out) == "parquet":
            checked.columns.arrow_schema()
        yield Rewrite(Path(input_path).expanduser(), out, checked, chunk_rows, overwrite, guard)


@contextlib.contextmanager
def locked_output(input_path: str | Path, output_path: str | Path,
                  overwrite: bool, guard: Guard) -> Iterator[Path]:
    """Hold the output's lock for the whole command: a second command writing it fails at
    once, and the output is checked under the lock."""
    out = Path(output_path)
    with output_lock(out):
        check_output_file(out, reads=[input_path], overwrite=overwrite, guard=guard)
        yield out


def added_columns_guard(added: Iterable[str], command: str) -> Guard:
    """What `--overwrite` replaces of a command whose output is its input with `added`
    columns: a file holding every one of them, which only that command writes (translate's
    translated_query, langid's detected_language and detected_confidence); a gold labels
    file, a translation table, or another command's output lacks them and is kept."""
    return partial(check_own_output, not_own=partial(_missing_columns, list(added)),
                   what=f"a file {command} wrote", command=command)


def _missing_columns(added: list[str], path: Path) -> str | None:
    """Why `path` is no output with the columns `added`, or None."""
    columns = set(file_columns(path))
    missing = [name for name in added if name not in columns]
    return f"it has no {' or '.join(missing)} column" if missing else None
