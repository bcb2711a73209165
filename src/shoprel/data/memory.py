"""Pairs held in memory (a list of dicts, a DataFrame) as PairFrames, checked as files are.

A notebook or a pipeline has its pairs in memory already; writing them to a file only to have
`predict` read them back costs a round trip and loses nothing but time. The same rules apply
as to a file's rows (RecordValidator), and an error names the pair by its position in the
sequence (`pairs[3]` is "pair 3") and the field.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.column_names import misspelled_column
from shoprel.data.empty_texts import NOT_SCORED, REFUSE
from shoprel.data.frame import PairFrame
from shoprel.data.records import Record, python_kind
from shoprel.data.tasks import QUERY_COLUMN, TRANSLATION_COLUMN, Task, TaskGivenBy
from shoprel.data.validate import RecordValidator, validated_chunks
from shoprel.errors import InputError
from shoprel.utils.scalars import python_scalar

# fields read as text: a float column there is pandas' guess, not the user's text
TEXT_FIELDS = (QUERY_COLUMN, *(task.target_column for task in Task), TRANSLATION_COLUMN)


def _missing(value) -> bool:
    """An empty cell (None, NaN, pd.NA, NaT), read as a file's null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _plain(value):
    """A cell as a JSON reader would give it: numpy scalars as Python numbers (an id of
    np.int64(7) is the id 7), empty cells as None, the same in a list of dicts and a frame."""
    if _missing(value):
        return None
    return python_scalar(value)


def _records(pairs) -> Iterator[Record]:
    if isinstance(pairs, pd.DataFrame):
        columns = [str(c) for c in pairs.columns]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise InputError(f"pairs: the DataFrame has the column {repeated[0]!r} twice; "
                             "keep one")
        for name in TEXT_FIELDS:
            if name in columns and pd.api.types.is_float_dtype(pairs[name]) \
                    and pairs[name].notna().any():  # all empty: nothing was guessed
                raise InputError(f"pairs: the DataFrame's column {name!r} holds floats, so a "
                                 "text such as 1080 would be scored as '1080.0' (pandas guessed "
                                 "the type: read with pd.read_json(..., dtype=False), or give "
                                 "text)")
        for position, values in enumerate(pairs.itertuples(index=False, name=None)):
            yield position, {c: _plain(v) for c, v in zip(columns, values, strict=True)}
        return
    if isinstance(pairs, pd.Series):  # one row, as df.iterrows() and df.iloc[i] give it: its
        # values were taken for pairs ("pair 0: a text is not a dict of fields")
        raise InputError("pairs: a Series is one row, not a list of pairs: give "
                         "[row.to_dict()], or the DataFrame's rows (df.iloc[[i]])")
    if isinstance(pairs, Mapping):  # one pair, or columns: "a dict is not a list of pairs
        # (dicts)" read as if a dict were wrong, where a list of it was meant
        raise InputError(_one_dict_said(pairs))
    if isinstance(pairs, os.PathLike) or (isinstance(pairs, str) and _names_a_file(pairs)):
        # a file's path: "a PosixPath is not a list of pairs" said what was wrong, not the fix
        raise InputError(f"pairs: the path {str(pairs)!r} is not a list of pairs: read the file "
                         f"first, shoprel.read_pairs({str(pairs)!r}), or score it into a file "
                         "with shoprel.predict_file")
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
        raise InputError(f"pairs: {python_kind(pairs)} is not a list of pairs (dicts) or a "
                         "DataFrame")
    for position, pair in enumerate(pairs):
        if not isinstance(pair, Mapping):
            raise InputError(f"{python_kind(pair)} is not a dict of fields",
                             line=position, line_label="pair")
        yield position, {str(k): _plain(v) for k, v in pair.items()}


def _names_a_file(text: str) -> bool:
    """Whether a text given as the pairs is the path of a file (a query is not)."""
    try:
        return len(text) < 4096 and Path(text).expanduser().is_file()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def _one_dict_said(pairs: Mapping) -> str:
    """What is said of one dict given for the pairs: a pair's fields (score([pair])), or the
    columns of a table ({'origin_query': [...], ...}), which a DataFrame holds."""
    columns = pairs and all(isinstance(value, list | tuple | np.ndarray | pd.Series)
                            for value in pairs.values())
    if columns:
        return ("pairs: a dict of columns is not a list of pairs: give a DataFrame of them, "
                "pd.DataFrame(pairs)")
    return "pairs: a dict is one pair, not a list of pairs: give a list, even of one: [pair]"


def _numbered(records: Iterator[Record]) -> tuple[bool, Iterator[Record]]:
    """Ids are all given or none: without any, each pair's id is its position. Whether the ids
    are positions (told by the first pair), and the records numbered so."""
    first = next(records, None)
    if first is None:
        return False, iter(())
    positional = "id" not in first[1]
    spelled = misspelled_column(first[1], ["id"], "the pairs have") if positional else None
    if spelled is not None:  # 'ID' was left unread: every pair took its position as its id
        raise InputError(spelled[1], line=first[0], field="id", line_label="pair")
    return positional, _with_ids(itertools.chain([first], records), positional)


def _with_ids(records: Iterator[Record], positional: bool) -> Iterator[Record]:
    for position, record in records:
        if positional and "id" in record:
            raise InputError("has an id but the first pair has none: give every pair an id "
                             "or none (then each pair's id is its position)",
                             line=position, field="id", line_label="pair")
        if not positional and "id" not in record:  # said "missing required column", a file's
            raise InputError("has no id but the first pair has one: give every pair an id "
                             "or none (then each pair's id is its position)",
                             line=position, field="id", line_label="pair")
        if positional:
            record["id"] = position
        yield position, record


def pair_frames(pairs, task: Task | str | None = None, require_label: bool = False,
                chunk_rows: int = 20_000, written_ids: bool = False,
                read_labels: bool = True, empty_text: str = "keep",
                given_by: TaskGivenBy | None = None) -> Iterator[PairFrame]:
    """The pairs as PairFrames of at most chunk_rows rows. Fields as in a file:
    `origin_query`, `category_path` (QC) or `item_title` (QI), optional `language`, `id`
    (every pair's or none: then its position) and `label`; the task comes from the fields
    unless given. No pairs: one empty frame when the task is given (nothing to tell it by
    otherwise: an error). Empty cells (None, NaN, pd.NA) are a file's null in both containers:
    an empty text, the language unknown, a missing id or label refused. A PairFrame
    (`shoprel.read_pairs`) is taken as it is. `written_ids`: ids kept as given, to give back;
    `read_labels` False: a label column is left unread, as predict leaves a file's;
    `empty_text` REFUSE (empty_texts.py): a pair with an empty or blank query or target is
    refused at its position and field, as serve refuses it (a PairFrame's too). `given_by`:
    who gave the task, said where the first pair's task field names another."""
    if isinstance(pairs, PairFrame):  # already read and checked (shoprel.read_pairs)
        if task is not None and pairs.task is not Task.parse(task):
            raise InputError(_other_task(pairs.task, Task.parse(task), given_by))
        if empty_text == REFUSE:
            _refuse_empty_texts(pairs)
        for start in range(0, max(len(pairs), 1), chunk_rows):
            yield pairs.take(np.arange(start, min(start + chunk_rows, len(pairs))))
        return
    try:
        positional, records = _numbered(_records(pairs))
        # a positional id is ours, not the user's: no message lists it among their fields
        validator = RecordValidator(None, task, require_label, empty_text, "pair", written_ids,
                                    read_labels, given_by=given_by,
                                    added_fields=("id",) if positional else ())
        for frame in validated_chunks(records, validator, chunk_rows):
            if validator.task is None:
                raise InputError("no pairs given: the task (QC or QI) cannot be told from them")
            yield frame
    except InputError as error:
        _name_index_label(error, pairs)
        raise


def _other_task(read: Task, scored: Task, given_by: TaskGivenBy | None) -> str:
    """A frame read as the other task than the one scored, said as a pair of that task is:
    who gave the task and what to do (Scorer: "score them with a QI run"), where it said only
    "QI pairs, but QC ones are scored here"."""
    if given_by is not None:
        return given_by.against(f"pairs: {read.value} pairs,")
    return (f"pairs: {read.value} pairs, but {scored.value} ones are scored here; give "
            f"{scored.value} pairs")


def _refuse_empty_texts(frame: PairFrame) -> None:
    """The first pair of a frame already read whose query or target is empty or blank, refused
    at its position and field as the validator refuses a pair given as fields."""
    fields = ((QUERY_COLUMN, "query"), (frame.task.target_column, "target"))
    blank = {field: np.flatnonzero(frame.df[column].str.strip().eq("").to_numpy())
             for field, column in fields}
    first = min(((found[0], order, field) for order, (field, found) in
                 enumerate(blank.items()) if len(found)), default=None)
    if first is not None:
        raise InputError(NOT_SCORED.format("give"), line=int(first[0]), field=first[2],
                         line_label="pair")


def _name_index_label(error: InputError, pairs) -> None:
    """A filtered or reordered frame's pair is named by its index label too: "pair 2" alone
    would send the user to the third row, not to the row labelled 12."""
    if not isinstance(pairs, pd.DataFrame) or error.line is None:
        return
    index = pairs.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return
    where = f"pair {error.line}"
    label = _plain(index[error.line])
    error.args = (str(error).replace(where, f"{where} (index {label!r})", 1),
                  *error.args[1:])
