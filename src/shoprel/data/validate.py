"""Turn raw records into canonical columns, stopping at the first bad field with its location."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from shoprel.data.column_names import READ_WHEN_PRESENT, missing_column, misspelled_column
from shoprel.data.empty_texts import FIRST_EMPTY, NOT_SCORED, REFUSE
from shoprel.data.formats import read_format
from shoprel.data.frame import TRANSLATION, WRITTEN_ID, PairFrame
from shoprel.data.language_tags import canonical_tag
from shoprel.data.missing_columns import missing_columns, target_missing
from shoprel.data.records import (
    FloatText,
    Record,
    as_written,
    column_line,
    iter_records,
    position_label,
    shown_value,
    written_kind,
)
from shoprel.data.repeated_ids import SeenIds, shown_id, spelled_apart, written_form
from shoprel.data.tasks import (
    QUERY_COLUMN,
    TARGET_COLUMN,
    TRANSLATION_COLUMN,
    Task,
    TaskGivenBy,
    detect_task,
    one_task,
    other_task_row,
    own_task,
    task_field_agrees,
    task_field_disagrees,
    unsaid_target,
)
from shoprel.errors import InputError
from shoprel.utils.bounds import not_whole
from shoprel.utils.scalars import is_boolean, python_scalar

UNKNOWN_LANGUAGE = "unk"
# A query, a title or a category path is at most a few hundred characters; a field far longer is
# a broken file (a whole document in one cell), and the features of one 1 MB query took 1 GB.
MAX_TEXT_CHARS = 20_000
EMPTY_TEXT_POLICIES = ("keep", "drop")
# a file without labels where they are needed, said before what the file holds instead
NO_LABELS = "missing required column (labels: needed to train, or to score predictions against)"
# integer ids must fit every writer: Parquet/Arrow int64, pandas, JSON readers in other tools
ID_MIN, ID_MAX = -(2**63), 2**63 - 1
# a whole number as text; ".0" too, as a CSV column that passed through floats writes it
_DIGITS = re.compile(r"\s*(-?[0-9]+)(?:\.0+)?\s*")
# a spreadsheet's display of a long number (1.23E+05 for 123456), which it saves so: an exponent
# with its sign, which no hexadecimal id (1e50) holds
_SCIENTIFIC = re.compile(r"\s*-?[0-9](?:\.[0-9]+)?[eE][+-][0-9]+\s*")
# a number as JSON writes it (ASCII digits only, no spaces, no NaN): a label cell so written
# reads as the JSON number would, and noise's copy check reads a CSV cell so
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# text no UTF-8 writer can store (lone surrogates) or that C-based tools cut short (NUL)
_UNWRITABLE = re.compile("[\ud800-\udfff\x00]")


def language_tag(value: str | None) -> str:
    """A language as every door reads it (files, the API, serve): one spelling per tag
    (canonical_tag: 'pt_br', 'PT-br' → 'pt-BR'; 'vn' → 'vi'), and "unk" when absent or blank,
    so a pair is trained, scored, evaluated and counted alike whichever way it was written."""
    return canonical_tag(value) or UNKNOWN_LANGUAGE


def unwritable_reason(text: str) -> str | None:
    """Why a string cannot be written back out as UTF-8 text, or None when it can."""
    found = _UNWRITABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"contains a NUL character at position {found.start()}"
    return (f"contains a lone surrogate (U+{ord(found.group()):04X}) at position "
            f"{found.start()}, which no UTF-8 file can hold")


def text_problem(value: str) -> str | None:
    """Why a text field cannot be scored (unwritable, or longer than any query, title or path
    should be), or None."""
    reason = unwritable_reason(value)
    if reason is not None:
        return reason
    if len(value) > MAX_TEXT_CHARS:
        return (f"holds {len(value):,} characters; a query, title or path may hold at most "
                f"{MAX_TEXT_CHARS:,} (is this the right field?)")
    return None


def coerce_id(value):
    """Ids as the files mean them: 7, 7.0, "7" and "7.0" are the same row; other strings stay
    strings, and so does a string of digits no 64-bit integer holds (ids that large are
    written as text for that reason)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = _DIGITS.fullmatch(value)
        if digits and ID_MIN <= (number := int(digits.group(1))) <= ID_MAX:
            return number
    return value


ID_RULE = "an id must be text or a whole number"


def checked_id(value):
    """An id as coerce_id reads it, or a ValueError saying why the value is none: a whole
    number within 64 bits or a non-empty text UTF-8 can hold. The one rule of a file's ids and
    of the ids a request to `serve` gives its pairs."""
    key = None if isinstance(value, bool) or value == "" else coerce_id(value)
    if isinstance(key, float):  # said as any whole number's setting says it (utils/bounds.py)
        raise ValueError(f"{not_whole(key, as_written(key))}; {ID_RULE}")
    if not isinstance(key, int | str):
        raise ValueError(f"{written_kind(value)} is not an id; {ID_RULE}")
    if isinstance(key, int) and not ID_MIN <= key <= ID_MAX:
        raise ValueError(f"an id number must fit in 64 bits: {key} does not fit a signed 64-bit "
                         "integer; write ids this large as strings")
    reason = unwritable_reason(key) if isinstance(key, str) else None
    if reason is not None:
        raise ValueError(f"an id text {reason}")
    return key


def spreadsheet_id_problem(value) -> str | None:
    """Why an id cell a spreadsheet wrote in scientific notation ('1.23E+05') is no id, or
    None: its last digits are gone, so it matches no row. Every file with ids says it alike
    (an input's rows, a submission's, the predictions evaluate reads), where a submission
    saved from a spreadsheet was told only that its ids were duplicates or not in the input."""
    if isinstance(value, str) and _SCIENTIFIC.fullmatch(value):
        return (f"id {value!r} is a number in scientific notation, as a spreadsheet shows a long "
                "id, whose last digits it drops on saving: take the ids from the original file, "
                "or format the id column as text before saving")
    return None


def id_text(value) -> str:
    """An id as text, the way a frame read from a file holds it: to match ids read by other
    means (a flag file, a training file's raw records) against a frame's."""
    return str(coerce_id(value))


def written_id(value, key, as_text: bool):
    """A row's id to show or write back as its file wrote it: in a file whose first id is text,
    every id as text ("0104" as written, a number as its digits); in one whose first id is a
    number, the key (a number). `value`: the id as read from the file; `key`: its checked_id."""
    if as_text:
        return value if isinstance(value, str) else str(key)
    return key


def id_in_file(path: str | Path, key):
    """The id `key` (as a run keeps it: 5 for "00005") as the file at `path` writes it, for a
    message naming one of its rows (written_id: the file's first id tells text from numbers);
    the key where no row of the file has it. Reads the file: for an error's wording only. A
    numpy key (a frame's cell) is said as Python's: 9999, not np.int64(9999)."""
    key = python_scalar(key)
    as_text = None
    for _, record in iter_records(path):
        value = record.get("id")
        as_text = isinstance(value, str) if as_text is None else as_text
        try:
            if checked_id(value) == key:
                return written_id(value, key, as_text)
        except ValueError:  # the reader refuses such an id; no row of the run has it
            continue
    return key


def id_line(path: str | Path, key) -> int | None:
    """The line (a Parquet file's row) of the row whose id is `key`, or None where no row has
    it: for an error naming a row of a file read into a frame, which keeps no lines. Reads the
    file: for an error's wording only."""
    for line, record in iter_records(path):
        try:
            if checked_id(record.get("id")) == key:
                return line
        except ValueError:  # the reader refuses such an id; no row of the frame has it
            continue
    return None


# how every id of a file comes back as written, said by the errors on one that would not
KEEP_IDS = ("quote every id, or write every id as a whole number, so that each comes back as "
            "written")


# the same in a Parquet file's words, whose id column has one type: decimal numbers there
KEEP_PARQUET_IDS = ("store the id column as integers (or as text), so that each id comes back "
                    "as written")


def changed_id(value, key, as_text: bool, parquet: bool = False) -> str | None:
    """Why a file's id would be given back otherwise than written by a scored file whose ids
    are text (`as_text`) or numbers, or None: check-submission compares a submission's ids
    with the input's as written, so predict may not change one silently."""
    if parquet and isinstance(value, float):
        return (f"the id column holds decimal numbers (id {as_written(value)}), which would be "
                f"given back as whole ones ({key}): {KEEP_PARQUET_IDS}")
    if as_text and not isinstance(value, str):
        return (f"id {as_written(value)} is a number, but earlier ids are text, so it would be "
                f"given back as the text {str(key)!r}: {KEEP_IDS}")
    if not as_text and isinstance(value, str):
        return (f"id {value!r} is text, but earlier ids are numbers, so it would be given back "
                f"as the number {key}: {KEEP_IDS}")
    if not as_text and isinstance(value, float):
        return (f"id {as_written(value)} is written as a decimal number, so it would be given "
                f"back as {key}: {KEEP_IDS}")
    return None


def same_text(a, b) -> bool:
    """A query as a reader compares it with its row's: case and runs of spaces aside (a
    predictions file that carries its queries is checked against its input or gold file)."""
    return " ".join(str(a).lower().split()) == " ".join(str(b).lower().split())


def binary_value(value, float_text: bool = True) -> int | None:
    """0 or 1 from 0/1 (any JSON number equal to one: 0.0, -0.0, 1e0) or the text of such a
    number ("1", "1.0", "-0.0", spaces allowed: a CSV cell written from a float column holds as
    text what a JSON file holds as the number, so both read alike; with `float_text` False only
    "0" and "1"); None for anything else (true, "true", 0.5, "1,0")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if float_text and JSON_NUMBER.fullmatch(value):
            value = float(value)
    if value in (0, 1, "0", "1"):  # 0.0, -0.0 and 1.0 compare equal to 0 and 1
        return int(value)
    return None


def unused_label_problem(value) -> str | None:
    """What is wrong with a label that scoring leaves unread (a test file's, a pair sent to
    the server), or None for one that may be there: empty (null, a blank text) or 0 or 1 as
    a label reads it. A 7 or a "yes" there is a wrong column or a mixed-up row."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if is_boolean(value) or binary_value(value) is not None:
        return None
    return f"label must be 0, 1 or empty (unused here), got {shown_value(value)}"


class RecordValidator:
    """Checks records one at a time so that large files can be streamed.

    State carried across chunks: seen ids (duplicates), the id type, and counts of empty texts.
    """

    def __init__(
        self,
        path: Path,
        task: Task | str | None = None,
        require_label: bool = False,
        empty_text: str = "keep",
        line_label: str | None = None,
        written_ids: bool = False,
        read_labels: bool = True,
        earlier_ids: dict | None = None,
        given_by: TaskGivenBy | None = None,
        labels_copied: bool = False,
        added_fields: tuple[str, ...] = (),
    ):
        """`written_ids`: keep each id as the file wrote it (WRITTEN_ID), for a scored file to
        give back: the key "007" shares with 7 would lose its zeros. `read_labels` False: a
        label column is left unread (scoring needs none, so a test file's empty labels are no
        error), though a label neither 0/1 nor empty is refused unless `labels_copied` (a file
        rewritten with its columns as read: translate, langid). `earlier_ids`: id -> ("FILE,
        line N", the id as written there) of files read before this one as one set of rows
        (several stage-0 files): a repeat of one is refused as a repeat within the file is,
        said as written in each; this file's ids are added.
        `given_by`: who gave `task` ("run runs/a scores QC pairs"), for a first row whose own
        task field names another. `added_fields`: fields the caller added to each record, not
        the user (the pairs' positional ids), left out of the fields an error says they hold."""
        if empty_text not in (*EMPTY_TEXT_POLICIES, REFUSE):  # REFUSE: pairs to score
            raise InputError(f"empty_text must be one of {EMPTY_TEXT_POLICIES}, got {empty_text!r}")
        self.path = path
        self.task = Task.parse(task) if task is not None else None
        self.task_given = task is not None  # else read from the first row (unsaid_target)
        self.given_by = given_by
        self.require_label = require_label
        self.empty_text = empty_text
        # "line", or "row" in a Parquet file, unless the caller counts otherwise (pairs)
        self.line_label = position_label(path) if line_label is None else line_label
        self.earlier_ids = earlier_ids
        # a CSV or TSV file holds text only: an id cell that reads as a number is said bare
        kind = read_format(path)  # rows.gz: by its content
        self.text_table = kind in ("csv", "tsv")
        self.parquet = kind == "parquet"  # one type a column: its ids' advice is said so
        self.seen_ids = SeenIds(self.text_table, self.line_label)
        self.id_type: type | None = None
        self.written_ids = written_ids
        self.read_labels = read_labels
        self.labels_copied = labels_copied
        self.added_fields = added_fields
        self.ids_as_text: bool | None = None  # the first id's kind: text or a number
        self.has_label: bool | None = None
        self.has_translation: bool | None = None
        self.first_line: int | None = None  # the first record's
        self.other_column = ""  # the other task's target column, once the task is known
        self.stats = {"rows": 0, "empty_query": 0, "empty_target": 0, "dropped": 0}

    def _error(self, message: str, line: int, field: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=line, field=field,
                          line_label=self.line_label)

    def _given(self, record: dict) -> dict:
        """The record's fields as the user gave them: a message listing 'id' beside pairs
        given without one sent the user looking for a field they never wrote."""
        return {key: value for key, value in record.items() if key not in self.added_fields}

    def _column_error(self, message: str, line: int, field: str | None = None) -> InputError:
        """A column missing or misplaced: a CSV or TSV file's header is where it is named."""
        return self._error(message, column_line(self.path, line), field)

    def _first_record(self, line: int, record: dict) -> None:
        """The first record fixes the task and whether labels are read; a translated_query
        column is read from the first row that has it on (validate)."""
        self.first_line = line
        targets = TARGET_COLUMN.values()
        if not any(name in record for name in targets):  # 'Category_Path': said so
            self._check_spelling(line, record, targets)
        given = self.task
        if given is None and all(name in record for name in targets):
            given = own_task(record)  # a row of both columns says its task itself
        try:
            self.task = detect_task(self._given(record).keys(), path=self.path, given=given,
                                    in_memory=self.path is None,
                                    given_by=self.given_by if self.task_given else None)
        except InputError as exc:
            raise self._column_error(exc.reason, line, exc.field) from None
        self.other_column = self.task.other.target_column
        self._check_spelling(line, record, [name for name in READ_WHEN_PRESENT
                                            if name != "label" or self.read_labels])
        self.has_label = self.read_labels and "label" in record
        if self.require_label and not self.has_label:
            raise self._missing(line, record, "label", NO_LABELS)
        self.has_translation = TRANSLATION_COLUMN in record

    def _refuse_missing_columns(self, line: int, record: dict) -> None:
        """Two or more columns of a file's first row (or the first pair's fields) missing or
        misnamed ('id,q,category,label'), said in one line at its header (missing_columns),
        where each took a run of its own."""
        target = target_missing(record, self.task.target_column if self.task else None)
        required = [name for name in ("id", QUERY_COLUMN) if name not in record]
        required += [target] if target else []
        reading_labels = self.require_label and self.read_labels
        required += ["label"] if reading_labels and "label" not in record else []
        optional = [name for name in READ_WHEN_PRESENT
                    if name != "label" or (self.read_labels and not reading_labels)]
        holder = "the file has" if self.path is not None else "the pairs have"
        said = missing_columns(self._given(record), required, optional, holder)
        if said is not None:
            raise self._column_error(said, line)

    def _missing(self, line: int, record: dict, name: str,
                 reason: str = "missing required column") -> InputError:
        """Column `name` missing, said with what the record holds and what to do
        (missing_column): at the first record, the file's columns (or the pairs'); at a later
        one (a JSON line, a pair), that record's, which the ones before it had."""
        if line == self.first_line and self.path is None:  # fields of dicts, not a file's
            holder, fix = "the pairs have", f"give every pair its {name!r}, or rename the " \
                                            "field that holds it"
        elif line == self.first_line:
            holder, fix = "the file has", None
        else:
            holder = f"the {self.line_label} has"
            fix = f"give the {self.line_label} its {name!r}, as the ones before it have"
        return self._column_error(missing_column(self._given(record), name, reason, holder, fix),
                                  line, name)

    def _check_spelling(self, line: int, record: dict, names) -> None:
        """A column of `names` spelled otherwise ('Language'), refused at the header."""
        found = misspelled_column(record, names, "the file has" if self.path is not None
                                  else "the pairs have")
        if found is not None:
            raise self._column_error(found[1], line, found[0])

    def validate(self, line: int, record: dict) -> dict | None:
        if self.task is None or self.has_label is None:
            self._refuse_missing_columns(line, record)
            self._first_record(line, record)
        task = self.task
        self._check_task_field(line, record)
        self._check_other_task(line, record)
        for name in ("id", QUERY_COLUMN, task.target_column):
            if name not in record:
                raise self._missing(line, record, name)
        row_id = self._check_id(line, record["id"])
        written = self._written_id(line, record["id"], row_id) if self.written_ids else None
        query = self._text(line, record, QUERY_COLUMN, "empty_query")
        target = self._text(line, record, task.target_column, "empty_target")
        language = self._language(line, record.get("language"))
        row = {"id": row_id, "language": language, "query": query, "target": target}
        if written is not None:
            row[WRITTEN_ID] = written
        if self.has_label:
            if "label" not in record:
                raise self._missing(line, record, "label")  # as the rows before it have
            row["label"] = self._label(line, record["label"])
        elif "label" in record and not self.labels_copied:
            self._unread_label(line, record["label"])
        if not self.has_translation and TRANSLATION_COLUMN in record:
            self.has_translation = True  # a file whose first rows are untranslated: from here
        if self.has_translation:
            translated = record.get(TRANSLATION_COLUMN)
            row[TRANSLATION] = "" if translated is None else self._string(line, translated,
                                                                           TRANSLATION_COLUMN)
        self.stats["rows"] += 1
        if self.empty_text == "drop" and (not query.strip() or not target.strip()):
            self.stats["dropped"] += 1
            return None
        return row

    def target(self, line: int, record: dict) -> str:
        """The record's target text by the rules `validate` applies (the task's column, a
        `task` field that agrees, a number read as its text, null as empty), with no id or
        query asked for: `shoprel index` reads catalogues that hold targets alone."""
        if self.task is None or self.has_label is None:
            self._first_record(line, record)
        self._check_task_field(line, record)
        self._check_other_task(line, record)
        column = self.task.target_column
        if column not in record:
            raise self._missing(line, record, column)
        return self._text(line, record, column, "empty_target")

    def _check_task_field(self, line: int, record: dict) -> None:
        task = self.task
        if task_field_agrees(record, task):  # every row but the one refused
            return
        in_memory = self.path is None
        whole, row = ("the pairs are", "pair") if in_memory else ("the file is", "row")
        if line != self.first_line:  # rows of the task read above it: a file of both
            # who gave the task named where something did, as a first row's line names it
            whole = (f"{self.given_by.reads}, as the {row}s before it are" if self.given_by
                     else f"{whole} {task}")
            fix = one_task(in_memory)
        elif self.task_given:  # nothing in the file said it: who gave it, and what to do
            whole, fix = self.given_by or TaskGivenBy(f"{whole} read as {task} here",
                                                      f"give {task} {row}s here")
        else:  # told by the row's own target column
            whole = f"the {row} holds {task.target_column}, {task}'s target"
            fix = f"write {task} there, or give the {row} its {task.other.target_column}"
        raise self._error(task_field_disagrees(record, task, whole, fix), line, "task")

    def _check_other_task(self, line: int, record: dict) -> None:
        if (problem := other_task_row(record, self.task, self.path is None)) is not None:
            raise self._error(problem, line, self.task.target_column)
        other = self.other_column
        if (not self.task_given and other in record  # one lookup for a row of one target
                and (problem := unsaid_target(record, self.task, self.path is None))):
            raise self._error(problem, line, other)

    def _check_id(self, line: int, value):
        raw = value
        if (problem := spreadsheet_id_problem(raw)) is not None:
            raise self._error(problem, line, "id")
        try:
            value = checked_id(value)
        except ValueError as exc:
            raise self._error(str(exc), line, "id") from None
        if self.id_type is None:
            self.id_type = type(value)
        elif type(value) is not self.id_type:
            kinds = {int: "numbers", str: "text"}
            said = (self._read_as_number(raw, value)
                    if isinstance(raw, str) and isinstance(value, int)
                    else f"id {value!r} is {'a number' if isinstance(value, int) else 'text'}")
            raise self._error(f"{said}, but earlier ids are {kinds[self.id_type]}: give every "
                              "id a non-digit character, or every id as a number", line, "id")
        # said as written: "007" twice, not the key 7; "007" then 7 in both spellings
        if (repeated := self.seen_ids.repeat(raw, value, line)) is not None:
            raise self._error(repeated, line, "id")
        if self.earlier_ids is not None:  # one set of rows read from several files
            written = written_form(raw, value, self.text_table)
            if value in self.earlier_ids:
                place, first = self.earlier_ids[value]
                raise self._error(f"duplicate id {written[1]} (first seen in {place})"
                                  if first == written else
                                  spelled_apart(written, first, place), line, "id")
            self.earlier_ids[value] = (f"{self.path}, {self.line_label} {line}", written)
        return value

    def _read_as_number(self, raw: str, key: int) -> str:
        """A text id that reads as a number among text ids, said as written (shown_id), as the
        file's repeated ids are: JSON's "007" quoted, a CSV's cell bare (007), since quoted it
        read as JSON's text, a type the cell never had; a 7 "reads as a number", not as 7."""
        shown = shown_id(raw, key, self.text_table)
        number = "a number" if shown == str(key) else f"the number {key}"
        return f"id {shown} reads as {number} (7, 7.0 and \"7\" are one id)"

    def _written_id(self, line: int, value, key) -> str | None:
        """A file whose first id is text gets every id back as text, as written; one whose
        first id is a number gets numbers (None: the key is what it wrote). In a file, an id
        the scored file would give back otherwise than written (7.0 or "7" among numbers as 7,
        7 among texts as "7") is refused: a grader comparing ids as written would miss it.
        Pairs from Python keep the looser rule (a float column's 7.0 is the id 7)."""
        if self.ids_as_text is None:
            self.ids_as_text = isinstance(value, str)
        if self.path is not None and (problem := changed_id(value, key, self.ids_as_text,
                                                            self.parquet)):
            raise self._error(problem, line, "id")
        if self.ids_as_text:
            return written_id(value, key, as_text=True)
        if isinstance(value, str) and value.strip() != str(key):
            raise self._error(
                f"id {value!r} is text that would be written back as {key!r}, but earlier ids "
                "are numbers: quote every id (text) to keep them as written", line, "id")
        return None

    def _text(self, line: int, record: dict, name: str, counter: str) -> str:
        value = record[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            if isinstance(value, FloatText):
                value = value.text  # 1.50 as the file wrote it, not Python's 1.5
            elif isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # a query such as 1080 read as a number
            else:
                raise self._error(f"{written_kind(value)} is not a text", line, name)
        reason = text_problem(value)
        if reason is not None:
            raise self._error(reason, line, name)
        if not value.strip():
            if self.empty_text == REFUSE:
                raise self._error(NOT_SCORED.format("give"), line, name)
            self.stats[counter] += 1
            self.stats.setdefault(FIRST_EMPTY, line)  # said with the counts (empty_texts.py)
        return value

    def _string(self, line: int, value, name: str) -> str:
        if not isinstance(value, str):
            raise self._error(f"{written_kind(value)} is not a text", line, name)
        reason = unwritable_reason(value)
        if reason is not None:
            raise self._error(reason, line, name)
        return value

    def _language(self, line: int, value) -> str:
        """A language tag is text (or absent); an object or a number is a broken row."""
        if value in (None, ""):
            return UNKNOWN_LANGUAGE
        return language_tag(self._string(line, value, "language"))

    def _label(self, line: int, value) -> int:
        """0 or 1 as binary_value reads it, or True/False (a boolean Parquet or DataFrame
        column, JSON true/false) as 1/0: only a label reads a bool so, never a number."""
        if is_boolean(value):
            return int(value)
        label = binary_value(value)
        if label is not None:
            return label
        raise self._error(f"label must be 0 or 1, got {shown_value(value)}", line, "label")

    def _unread_label(self, line: int, value) -> None:
        """A label left unread (scoring) may be empty (a test file's), else 0 or 1: a 7 or a
        "yes" there is a wrong column or a damaged file, which was scored without a word.
        Pairs held in memory are told to check the pairs: they have no file to check."""
        problem = unused_label_problem(value)
        if problem is None:
            return
        advice = ("a wrong column or a damaged file; check the file, or empty or drop its label "
                  "column" if self.path is not None else  # pairs in memory: there is no file
                  "a wrong field or a mixed-up pair; check the pairs, or set their label to None "
                  "or drop it")
        raise self._error(f"{problem}: {advice}", line, "label")

    def frame(self, rows: list[dict]) -> PairFrame:
        columns = ["id", "language", "query", "target"]
        if self.has_label:
            columns.append("label")
        if self.has_translation:
            columns.append(TRANSLATION)
        if self.written_ids and self.ids_as_text:
            columns.append(WRITTEN_ID)
        df = pd.DataFrame(rows, columns=columns)
        if self.has_label:
            df["label"] = df["label"].astype("int64")
        if self.has_translation:  # rows before the first that carried one: untranslated
            df[TRANSLATION] = df[TRANSLATION].fillna("")
        return PairFrame(self.task, df, self.path, dict(self.stats))


def validated_chunks(
    records: Iterable[Record], validator: RecordValidator, chunk_rows: int
) -> Iterator[PairFrame]:
    """The records as PairFrames of chunk_rows valid rows, each with the counts so far (the
    last frame's are the file's). Rows dropped after the last full frame (`empty_text: drop`)
    end the stream with a frame of the rows left, even none, so that their counts are not lost
    (a file whose kept rows filled the last frame exactly said 0 dropped); an empty file gives
    one empty frame, a file whose every row was dropped none."""
    rows: list[dict] = []
    said = None  # the counts the last frame carried
    for line, record in records:
        row = validator.validate(line, record)
        if row is not None:
            rows.append(row)
        if len(rows) >= chunk_rows:
            frame = validator.frame(rows)
            said = frame.stats
            yield frame
            rows = []
    if rows or validator.stats["rows"] == 0 or (said is not None and said != validator.stats):
        yield validator.frame(rows)  # no frame where every row was dropped: the readers say so
