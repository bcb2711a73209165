"""Pairs held in memory (a list of dicts, a DataFrame) as PairFrames, checked as files are.

A notebook or a pipeline has its pairs in memory already; writing them to a file only to have
`predict` read them back costs a round trip and loses nothing but time. The same rules apply
as to a file's rows (RecordValidator), and an error names the pair by its position in the
sequence (`pairs[3]` is "pair 3") and the field.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping

import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.data.records import Record
from shoprel.data.tasks import Task
from shoprel.data.validate import RecordValidator, validated_chunks
from shoprel.errors import InputError


def _missing(value) -> bool:
    """A DataFrame's empty cell (NaN, None, pd.NA), which a file would leave out."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _records(pairs) -> Iterator[Record]:
    if isinstance(pairs, pd.DataFrame):
        columns = [str(c) for c in pairs.columns]
        for position, values in enumerate(pairs.itertuples(index=False, name=None)):
            yield position, {c: v for c, v in zip(columns, values, strict=True)
                             if not _missing(v)}
        return
    if isinstance(pairs, str | bytes | Mapping) or not isinstance(pairs, Iterable):
        raise InputError(f"pairs: expected a list of pairs (dicts) or a DataFrame, got "
                         f"{type(pairs).__name__}")
    for position, pair in enumerate(pairs):
        if not isinstance(pair, Mapping):
            raise InputError(f"expected a dict of fields, got {type(pair).__name__}",
                             line=position, line_label="pair")
        yield position, dict(pair)


def _numbered(records: Iterator[Record]) -> Iterator[Record]:
    """Ids are all given or none: without any, each pair's id is its position."""
    first = next(records, None)
    if first is None:
        return
    positional = "id" not in first[1]
    for position, record in itertools.chain([first], records):
        if positional and "id" in record:
            raise InputError("has an id but the first pair has none: give every pair an id "
                             "or none (then each pair's id is its position)",
                             line=position, field="id", line_label="pair")
        if positional:
            record["id"] = position
        yield position, record


def pair_frames(pairs, task: Task | str | None = None, require_label: bool = False,
                chunk_rows: int = 20_000) -> Iterator[PairFrame]:
    """The pairs as PairFrames of at most chunk_rows rows. Fields as in a file:
    `origin_query`, `category_path` (QC) or `item_title` (QI), optional `language`, `id`
    (every pair's or none: then its position) and `label`; the task comes from the fields
    unless given. No pairs: one empty frame when the task is given (nothing to tell it by
    otherwise: an error)."""
    validator = RecordValidator(None, task, require_label, "keep", "pair")
    for frame in validated_chunks(_numbered(_records(pairs)), validator, chunk_rows):
        if validator.task is None:
            raise InputError("no pairs given: the task (QC or QI) cannot be told from them")
        yield frame
