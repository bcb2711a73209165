"""Which existing files `shoprel noise --overwrite` may replace: only what noise itself writes
from the run's training file. Its outputs take a data file's names (flagged.txt, clean.jsonl),
so a gold labels file given as `--out` by mistake was replaced; a file is now replaced only
when its content is noise's: flagged ids (or their table) of the training file's rows, or a
filtered copy of that file. Anything else is refused in one line, before any work.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import numpy as np

from shoprel.data.formats import ID_TABLE_SUFFIXES, file_format
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.records import (
    FloatText,
    Record,
    file_columns,
    iter_records,
    iter_text_lines,
    jsonl_records,
    marked_text_lines,
    require_file,
)
from shoprel.data.tasks import TaskGivenBy
from shoprel.data.validate import JSON_NUMBER, id_text
from shoprel.utils.outputs import UNREADABLE, check_own_output, holds_data, unreadable_said
from shoprel.utils.scalars import is_boolean

# the columns of a flagged-ids table (ensemble/noise.find_noisy_rows; query and target only
# where the training file was read); label_quality is noise's own, no data file's
FLAGGED_COLUMNS = frozenset({"id", "language", "label", "probability", "label_quality", "query",
                             "target"})
# what a filtered copy keeps of each row of the training file, compared as text
PAIR_COLUMNS = ["id", "query", "target", "label"]
# the formats whose every field is text
TEXT_FORMATS = ("csv", "tsv")


class TrainingFile:
    """The run's training file as noise reads it, parsed once, when first needed: the checks
    below judge an existing output by it at the start, just before noise writes and again at
    the swap, find_noisy_rows shows the flagged rows' texts from it and filter_training_file
    copies its records (or its lines, JSON lines to JSON lines), where each read the whole
    file (four reads with --overwrite). `path` None: a run recording no training file. Read
    outside the guard (check_own_output), so that a bad training file is told as its own
    error, not as the output's. `given_by`: who gives `task` (the run: run/train_file.py's
    training_file_task), said with the fix where the file there now is of the other task."""

    def __init__(self, path: str | Path | None, task: str | None = None,
                 given_by: TaskGivenBy | None = None):
        self.path = path
        self.task = task
        self.given_by = given_by
        # whether the JSON-lines file read into `lines` began with a byte-order mark, which
        # a copy of its lines keeps (None: not read so)
        self.marked: bool | None = None

    @cached_property
    def lines(self) -> list[tuple[int, str]] | None:
        """A JSON-lines file's (line number, text) of every line, blank ones too, as written:
        read once, for its records and for a JSON-lines filtered copy; None in another format."""
        if self.path is None or file_format(Path(self.path).expanduser()) != "jsonl":
            return None
        path = Path(self.path).expanduser()
        require_file(path)
        lines, self.marked = marked_text_lines(path)
        return lines

    @cached_property
    def records(self) -> list[Record]:
        """Its (line number, record) pairs (of a JSON-lines file, parsed from its lines)."""
        if self.lines is not None:
            return list(jsonl_records(Path(self.path).expanduser(), self.lines))
        return list(iter_records(self.path))

    @cached_property
    def frame(self) -> PairFrame:
        """Its rows as every command reads them (read_pairs), from the records above."""
        return read_pairs(self.path, task=self.task, records=self.records,
                          given_by=self.given_by)

    @cached_property
    def ids(self) -> set[str]:
        """Its rows' ids, as id_text writes them."""
        return {id_text(record.get("id")) for _, record in self.records}

    @cached_property
    def rows(self) -> set[tuple[str, ...]]:
        """Its rows' PAIR_COLUMNS, as text."""
        source = self.frame.df
        return {tuple(map(str, row)) for row in source[PAIR_COLUMNS].itertuples(index=False)}

    @cached_property
    def fields(self) -> set[int]:
        """Its records whole, every field as the file holds it (_record_fields), each as its
        hash (a set of a million rows' fields would hold them all again): a filtered copy keeps
        each row as written, so a column or value of a row not in the file is the user's."""
        return {hash(_record_fields(record)) for _, record in self.records}

    @cached_property
    def fields_as_text(self) -> set[int]:
        """The same, each field as a CSV or TSV copy of the file holds it (_field_key)."""
        return {hash(_record_fields(record, as_text=True)) for _, record in self.records}

    def copied_as_text(self, out: Path) -> bool:
        """Whether a copy at `out` holds as text what the file holds typed: a CSV or TSV copy
        of a JSON-lines or Parquet file, whose numbers pandas writes in its own way (3 as 3.0
        once a row lacks it, 1.50 as 1.5). A CSV or TSV file's own fields are text, which
        each copy keeps as written."""
        return file_format(out) in TEXT_FORMATS and file_format(self.path) not in TEXT_FORMATS

    @cached_property
    def columns(self) -> set[str]:
        """Every field name its records hold."""
        return {name for _, record in self.records for name in record}


def check_flagged_replaceable(out: str | Path, train: TrainingFile) -> None:
    """An existing `--out` is replaced only if it holds flagged ids of the training file's rows
    (one per line, or a table with noise's label_quality column); a run recording no training
    file, whose flagged ids cannot be told, has nothing existing replaced. An empty file holds
    nothing to lose (noise writes one where it flags no row), and its ids are not read."""

    # read out here, where there is a file to judge: a bad training file is its own error,
    # not the output's
    known = train.ids if train.path is not None and holds_data(out) else None

    def not_flagged(path: Path) -> str | None:
        if known is None:
            return "the run records no training file to tell its ids by"
        return _not_flagged_ids(path, known, train.path)

    check_own_output(out, not_flagged, "a flagged-ids file of noise", "noise")


def check_filtered_replaceable(out: str | Path, train: TrainingFile) -> None:
    """An existing `--filtered-train` is replaced only if every row of it is a row of the
    training file (id, texts and label, and every other field as there): a filtered copy noise
    wrote, not a gold file nor a hand-corrected or annotated copy. It is read as the training
    file's task (the one its rows were read as, given or told by its columns), as noise writes
    it. A file of no rows (blank lines, a header alone, a Parquet schema alone: noise's own copy
    where every row was flagged) has no row to lose, and is replaced as an empty one is, if its
    header names only the training file's columns."""
    # read out of the guard, as above
    as_text = holds_data(out) and train.copied_as_text(Path(out))
    kept = ((train.rows, train.fields_as_text if as_text else train.fields, train.columns)
            if holds_data(out) else (set(),) * 3)
    check_own_output(out, lambda path: _not_filtered_copy(path, *kept, train.records,
                                                          train.frame.task, as_text),
                     f"a filtered copy of {train.path}", "noise")


def _not_flagged_ids(out: Path, known: set[str], train_file: str | Path) -> str | None:
    """Why `out` is no flagged-ids output of the training file whose ids are `known`, or None."""
    if out.suffix.lower() not in ID_TABLE_SUFFIXES:
        listed = False
        for line, text in iter_text_lines(out):
            if text.strip() and id_text(text.strip()) not in known:
                return f"line {line} is no id of {train_file}"
            listed = listed or bool(text.strip())
        # noise lists no id in an empty file, which is replaced unread
        return None if listed else "it holds no ids and is not empty, as noise's list of no ids is"
    listed = False
    for line, record in iter_records(out):
        if not listed and (why := _not_flagged_columns(list(record))):
            return why
        listed = True
        if id_text(record.get("id")) not in known:
            return f"line {line} holds id {record.get('id')!r}, no id of {train_file}"
    return None if listed else _not_flagged_header(out)


def _not_flagged_columns(columns: list[str]) -> str | None:
    """Why a table with these columns is no flagged-ids table of noise's, or None: it has
    noise's own label_quality column and no column noise does not write."""
    if "label_quality" not in columns or not set(columns) <= FLAGGED_COLUMNS:
        return f"its columns are {', '.join(columns)}, not those noise writes"
    return None


def _not_flagged_header(out: Path) -> str | None:
    """Why a table of no rows is not noise's, or None: where noise flags no row it writes its
    columns alone (a CSV/TSV header line, a Parquet schema) or, as JSON lines, an empty file
    (replaced unread). Any header alone was replaced: another table's (sku,price), blank lines,
    a Parquet schema of other columns."""
    columns = file_columns(out)
    if not columns:
        return "it holds no rows and no columns"
    why = _not_flagged_columns(columns)
    fmt = file_format(out)
    if why is None and fmt in TEXT_FORMATS:
        header = ("," if fmt == "csv" else "\t").join(columns) + "\n"
        if out.read_text(encoding="utf-8") != header:
            return "it holds no rows, and is not the header line alone that noise writes"
    return why


def _not_filtered_copy(out: Path, kept: set[tuple[str, ...]],
                       fields: set[int], columns: set[str], records: list[Record],
                       task: str | None, as_text: bool = False) -> str | None:
    """Why `out` is no filtered copy of the training file whose rows are `kept` (as pairs),
    `fields` (whole records' hashes, `as_text` or not: _field_key), whose field names are
    `columns` and `records` its records, or None. Its pairs alone passed a copy annotated by
    hand (a column of notes, a language corrected), which --overwrite then replaced."""
    if next(iter_records(out), None) is None:  # no row: read_pairs refused it as no training file
        return _not_columns_of(out, columns)
    try:
        rows = read_pairs(out, task=task).df
    except UNREADABLE as exc:
        return f"it does not read as a training file: {unreadable_said(out, exc)}"
    if not set(PAIR_COLUMNS) <= set(rows.columns):
        return "it holds no labelled pairs"
    for position, row in enumerate(rows[PAIR_COLUMNS].itertuples(index=False)):
        if tuple(map(str, row)) not in kept:
            return f"its row {position + 1}, id {row[0]!r}, is not one of that file's rows"
    for position, (_, record) in enumerate(iter_records(out)):
        added = sorted(name for name, value in record.items()
                       if name not in columns and _field_key(value, as_text) is not None)
        if added:
            return f"it holds a column {added[0]!r}, which that file has not"
        if hash(_record_fields(record, as_text)) not in fields:
            return (f"its row {position + 1}, id {record.get('id')!r}, differs from that file's "
                    f"row in {_field_differing(record, records, as_text)!r}")
    return None


def _not_columns_of(out: Path, columns: set[str]) -> str | None:
    """Why a file of no rows is not replaced: a header naming a column the training file lacks
    (one line of another table, or of data, read as a header), or None."""
    foreign = [name for name in file_columns(out) if name not in columns]
    if foreign:
        return f"it holds no rows, and its header names {foreign[0]!r}, which that file has not"
    return None


def _field_differing(record: dict, records: list[Record], as_text: bool) -> str:
    """The first field in which `record` differs from the training record of its id."""
    key = id_text(record.get("id"))
    same_id = next((theirs for _, theirs in records if id_text(theirs.get("id")) == key), {})
    return min(name for name, _ in _record_fields(record, as_text)
               ^ _record_fields(same_id, as_text))


def _record_fields(record: dict, as_text: bool = False) -> frozenset[tuple[str, tuple]]:
    """A record's fields that hold a value, each as _field_key: alike in every copy of it that
    noise writes (JSON lines, CSV or Parquet)."""
    return frozenset((name, key) for name, value in record.items()
                     if (key := _field_key(value, as_text)) is not None)


def _field_key(value, as_text: bool = False) -> tuple | None:
    """A field's value as (kind, value), equal only for what a file holds alike: text as the
    very text, a number by its exact value (a JSON 3 and a Parquet 3.0 alike, 12345678901234567
    and ...68 not), true and false, a list or an object as its JSON. None for no value (null,
    NaN: a table copy fills a field some rows lack so). `as_text`: the value as a CSV or TSV
    copy holds it (copied_as_text), where every value is text and no value an empty cell:
    text written as a JSON number (JSON_NUMBER: ASCII digits, no spaces) is that number, as a
    number is, and anything else is its text. float() read "١٢", "1_0" and " 12 " as 12, 10
    and 12, "nan" and "NaN" alike, and a field so changed passed for the training file's."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if is_boolean(value):
        return ("text", str(bool(value))) if as_text else ("bool", bool(value))
    if isinstance(value, int | np.integer):
        return "number", Decimal(int(value))
    if isinstance(value, float | np.floating):
        if as_text and not math.isfinite(value):
            return "text", repr(float(value))  # pandas writes inf, which is no JSON number
        return "number", Decimal(value.text if isinstance(value, FloatText)
                                 else repr(float(value)))
    if isinstance(value, str):
        if as_text and not value:
            return None
        if as_text and JSON_NUMBER.fullmatch(value):
            return "number", Decimal(value)
        return "text", value
    if as_text:
        return "text", str(value)  # pandas writes a list or an object so
    return "json", json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
