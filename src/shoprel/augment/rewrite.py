"""A pair file written back with columns added (`translate`, `langid`), streamed: rows
validated as scoring reads them, then read again chunk by chunk with the raw records kept so
that every other value goes out as it came in (nulls null, absent keys absent, 1.50 as 1.50),
under the output's lock. Every row also gets a marker column naming the command that wrote it
(translate's translated_by, langid's detected_by), by which `--overwrite` tells the command's
own output from a file made by hand with the same columns (human translations)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from shoprel.data.column_plan import ColumnPlan
from shoprel.data.formats import output_format
from shoprel.data.frame import PairFrame
from shoprel.data.records import (
    copy_has_bom,
    copy_line_end,
    iter_records,
    parquet_types,
    position_label,
    shown_value,
)
from shoprel.data.spool import held_input
from shoprel.data.tasks import Task
from shoprel.data.validate import RecordValidator
from shoprel.data.writers import write_record_chunks
from shoprel.errors import ConfigError, InputError
from shoprel.utils.atomic import output_lock
from shoprel.utils.bounds import not_a_count
from shoprel.utils.outputs import Guard, check_file_target, check_output_file, check_own_output
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


def check_rows(path: str | Path, added: dict, marker: Marker | None = None) -> CheckedFile:
    """Every row checked as predict checks it (labels unread: a test file's empty labels are
    no error) before any work, in one pass holding no more than the ids (to find a repeat).
    These commands read queries and languages only: a file with both target columns is
    checked as either task's file, not refused for a task they have no option to give, and
    the task of a file of one target column is given, so that a later row holding both
    targets is not refused for naming none (tasks.unsaid_target): neither is read here.
    `added`: the columns the command adds to every record, each with a value of the kind it
    will hold. A Parquet file's columns keep their types (records.parquet_types). `marker`:
    the command's marker column, whose values in the file must be its own (check_marker)."""
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
            validators = [RecordValidator(path, task, read_labels=False, labels_copied=True)
                          for task in (tasks or [None])]
        for validator in validators:
            validator.validate(line, record)
        if marker is not None:
            check_marker(path, line, record, marker)
        columns.add({**record, **added}, line)
        rows += 1
    if not rows:
        raise InputError("the file has no rows", path=path)
    return CheckedFile(validators[0].task, rows, first_line, columns)


def check_marker(path: Path, line: int, record: dict, marker: Marker) -> None:
    """A file's own column named as the command's marker (translated_by, detected_by) is
    replaced on every row of the output: the command's own values (a file it wrote, read
    again) and empty cells lose nothing, anything else (a reviewer's name) would be lost
    without a word, so it is refused at its row. So is a value in one of the marker's
    `guarded` columns (translate's translated_query: translations made by hand) on a row the
    marker does not say the command wrote."""
    value = record.get(marker.column)
    if marker.written_by(value):
        return
    if not _empty(value):
        raise InputError(f"a {marker.column} column of the file's own ({shown_value(value)}); "
                         f"{marker.command} writes {marker.column} on every row and would "
                         f"replace it: rename that column in the file (or drop it) and run "
                         f"again", path=path, line=line, field=marker.column,
                         line_label=position_label(path))
    for column in marker.guarded:
        if not _empty(own := record.get(column)):
            raise InputError(
                f"a {column} of the file's own ({shown_value(own)}), on a row with no "
                f"{marker.column} naming {marker.command}; {marker.command} writes {column} "
                f"on every row and would replace it: rename that column in the file to keep "
                f"it, or drop it and run {marker.command} again", path=path, line=line,
                field=column, line_label=position_label(path))


def _empty(value) -> bool:
    """A cell that holds nothing to lose: absent, null, or text of spaces at most."""
    return value is None or (isinstance(value, str) and not value.strip())


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
    validator = RecordValidator(path, task, read_labels=False, labels_copied=True)
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
    marker: tuple[str, str]  # (column, value) written on every row (Marker.column, .value)

    def chunks(self) -> Iterator[FileRows]:
        """The file's rows, `chunk_rows` at a time, for the command to fill in."""
        return row_chunks(self.source, self.checked.task, self.chunk_rows)

    def write(self, chunks: Iterable[FileRows]) -> None:
        """The filled-in chunks, each written as it comes; the output appears only when whole
        (an error or a stop while a chunk is made leaves none), and without overwrite a file
        that appeared at the output meanwhile is kept and the write refused (with it, one the
        command did not write: its guard)."""
        column, value = self.marker

        def marked(rows: FileRows) -> tuple[list[dict], list[int]]:
            for record in rows.records:
                record[column] = value
            return rows.records, rows.lines

        write_record_chunks((marked(rows) for rows in chunks), self.out, self.checked.columns,
                            replace=self.overwrite, guard=self.guard,
                            bom=copy_has_bom(self.source, output_format(self.out)),
                            line_end=copy_line_end(self.source, output_format(self.out)))


@dataclass(frozen=True)
class Marker:
    """The column a command's rewritten file carries on every row, naming its writer: its
    value starts `shoprel COMMAND (`, then says how (translate's backend, langid's model)."""

    column: str
    command: str
    # columns the command writes whose values an input may hold only on rows the marker says
    # the command wrote (check_marker): translate's translated_query, langid's
    # detected_language and detected_confidence
    guarded: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return f"shoprel {self.command} ("

    def value(self, how: str) -> str:
        return f"{self.prefix}{how})"

    def written_by(self, value) -> bool:
        return isinstance(value, str) and value.startswith(self.prefix)


@contextlib.contextmanager
def rewrite_in_chunks(input_path: str | Path, output_path: str | Path, added: dict,
                      marker: Marker, how: str, overwrite: bool = False,
                      chunk_rows: int = CHUNK_ROWS) -> Iterator[Rewrite]:
    """A file streamed as predict streams it, under the output's lock: every row checked first
    (check_rows, with the columns `added` and the marker's), then read again and written
    `chunk_rows` rows at a time (Rewrite), so memory stays flat however large the file; every
    value is written back as read (nulls null, absent keys absent, 1.50 as 1.50). A Parquet
    output's column types are settled over the whole file before any work: a column no one
    type holds is refused at its line then, not after the chunks above it were made. Every row
    gets `marker.value(how)` in the marker's column; with `overwrite`, an existing output is
    replaced only if it is the marker's command's own (own_output_guard)."""
    check_chunk_rows(chunk_rows)
    guard = own_output_guard(added, marker)
    value = marker.value(how)
    with locked_output(input_path, output_path, overwrite, guard) as out, \
            held_input(input_path):  # rows.parquet.gz decompressed once, not per reading
        checked = check_rows(input_path, {**added, marker.column: value}, marker)
        if output_format(out) == "parquet":
            checked.columns.arrow_schema()
        yield Rewrite(Path(input_path).expanduser(), out, checked, chunk_rows, overwrite, guard,
                      (marker.column, value))


@contextlib.contextmanager
def locked_output(input_path: str | Path, output_path: str | Path,
                  overwrite: bool, guard: Guard) -> Iterator[Path]:
    """Hold the output's lock for the whole command: a second command writing it fails at
    once, and the output is checked under the lock."""
    out = Path(output_path)
    check_file_target(out)  # a pipe's /dev/stdout takes no lock beside it: told what it is
    with output_lock(out):
        check_output_file(out, reads=[input_path], overwrite=overwrite, guard=guard)
        yield out


def own_output_guard(added: Iterable[str], marker: Marker) -> Guard:
    """What `--overwrite` replaces of a command whose output is its input with `added`
    columns: a file holding every one of them and, on its first row, the command's marker (a
    file with translate's translated_query made by hand, human translations, has none). A
    gold labels file, a translation table, another command's output is kept; so is an output
    of a release before the marker, which cannot be told from a hand-made file."""
    return partial(check_own_output, not_own=partial(_not_written_by, list(added), marker),
                   what=f"a file {marker.command} wrote", command=marker.command)


def _not_written_by(added: list[str], marker: Marker, path: Path) -> str | None:
    """Why `path` is no output with the columns `added` that `marker`'s command wrote, or
    None. Its first row is enough: the command writes the marker on every row."""
    first = next((record for _, record in iter_records(path)), None)
    if first is None:
        return "it has no rows"
    missing = [name for name in added if name not in first]
    if missing:
        return f"it has no {' or '.join(missing)} column"
    if marker.column not in first:
        return (f"it has no {marker.column} column, which {marker.command} writes on every "
                "row: a file made by hand, or by a release before that column")
    if not marker.written_by(first[marker.column]):
        return (f"its {marker.column} is {shown_value(first[marker.column])}, not "
                f"{marker.prefix}...)")
    return None
