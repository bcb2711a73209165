"""Write tables in the format the file name asks for, atomically."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.column_plan import ColumnPlan
from shoprel.data.formats import output_format
from shoprel.data.records import FloatText
from shoprel.errors import OutputError, one_line_reason
from shoprel.utils.atomic import atomic_file
from shoprel.utils.outputs import Guard


def _json_value(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def jsonl_lines(df: pd.DataFrame, line_end: str = "\n") -> str:
    """JSON lines text with non-ASCII kept readable, as the competition files are."""
    columns = list(df.columns)
    parts = []
    for values in df.itertuples(index=False, name=None):
        record = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
        parts.append(json.dumps(record, ensure_ascii=False))
    return "".join(part + line_end for part in parts)


def append_table(df: pd.DataFrame, fh, fmt: str, header: bool, line_end: str = "\n") -> None:
    """Append rows to an open text file (JSON lines, CSV or TSV) while streaming; `line_end`
    ends each line ("\r\n" in a copy of a file that ends its lines so: records.copy_line_end)."""
    if fmt == "jsonl":
        fh.write(jsonl_lines(df, line_end))
    else:
        df.to_csv(fh, sep="," if fmt == "csv" else "\t", index=False, header=header,
                  lineterminator=line_end)


def text_encoding(bom: bool) -> str:
    """How a text output is encoded: UTF-8, after a byte-order mark where the file it copies
    had one (records.copy_has_bom)."""
    return "utf-8-sig" if bom else "utf-8"


def write_table(df: pd.DataFrame, path: str | Path, replace: bool = True,
                guard: Guard | None = None, bom: bool = False, line_end: str = "\n") -> Path:
    """`replace` and `guard`: what may stand at the path at the swap (utils/atomic.atomic_file);
    `bom`: a text output starts with a byte-order mark (text_encoding); `line_end`: what ends
    its lines (append_table)."""
    path = Path(path)
    fmt = output_format(path)
    with atomic_file(path, durable=True, replace=replace, guard=guard) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding=text_encoding(bom), newline="") as fh:
                append_table(df, fh, fmt, header=True, line_end=line_end)
    return path


def _json_text(value) -> str:
    """JSON of a value read from a file, numbers as the file wrote them (1.50 stays 1.50)."""
    if isinstance(value, FloatText):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_json_text(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _column(values: list, as_text: bool) -> pd.Series:
    """One column as written back: absent and null cells are None (never NaN), and in a column
    of text (or any column of a text format) a number is the text the file wrote; in a text
    format a list or object is its JSON (pandas wrote Python's {'a': None, 'b': True})."""
    def cell(value):
        if isinstance(value, FloatText):
            return value.text if as_text else float(value)
        if as_text and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if as_text and isinstance(value, dict | list | tuple):
            return _json_text(value)
        return value
    return pd.Series([cell(v) for v in values], dtype=object)


def records_frame(records: list[dict], fmt: str, plan: ColumnPlan) -> pd.DataFrame:
    """Records (one chunk of a file) as a table for CSV, TSV or Parquet, in the columns `plan`
    gathered over the whole file: a record's absent keys are empty cells."""
    columns = {}
    for name in plan.names:
        values = [record.get(name) for record in records]
        columns[name] = _column(values, as_text=fmt != "parquet" or name in plan.text)
    return pd.DataFrame(columns, columns=plan.names)


def write_record_chunks(chunks: Iterable[tuple[list[dict], list[int]]], path: str | Path,
                        plan: ColumnPlan, replace: bool = True,
                        guard: Guard | None = None, bom: bool = False,
                        line_end: str = "\n") -> Path:
    """Write records read from a file back out with what a command added, every other value as
    read (JSON lines keep nulls null, absent keys absent and numbers as written): (records,
    their line numbers) chunk by chunk, each written as it comes, the output appearing only when
    whole. `plan` holds the columns of every chunk's records, gathered beforehand, so each chunk
    is written with the whole file's columns and a value Parquet cannot hold is told at its line
    before anything is written. `replace` False: a file that appeared at `path` meanwhile is
    kept; True: one there at the end is replaced only as `guard` allows (atomic_file). `bom`:
    a text output starts with a byte-order mark, as the file read did (text_encoding);
    `line_end` ends its lines, as the file read ended them (records.copy_line_end)."""
    path = Path(path)
    fmt = output_format(path)
    with atomic_file(path, replace=replace, durable=True, guard=guard) as tmp:
        if fmt == "parquet":
            _parquet_chunks(chunks, tmp, path, plan)
            return path
        with open(tmp, "w", encoding=text_encoding(bom), newline="") as fh:
            for number, (records, _) in enumerate(chunks):
                if fmt == "jsonl":
                    fh.write("".join(_json_text(record) + line_end for record in records))
                else:
                    records_frame(records, fmt, plan).to_csv(
                        fh, sep="," if fmt == "csv" else "\t", index=False,
                        header=number == 0, lineterminator=line_end)
    return path


def _parquet_chunks(chunks, tmp: Path, path: Path, plan: ColumnPlan) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = plan.arrow_schema()
    writer = None
    try:
        for records, lines in _at_least_one(chunks):
            df = records_frame(records, "parquet", plan)
            try:
                table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise _not_parquet(df, path, lines, exc) from None
    finally:
        if writer is not None:
            writer.close()


def _at_least_one(chunks):
    """The chunks, or one empty chunk when there are none: an empty file is still a Parquet
    file with the plan's columns."""
    empty = True
    for chunk in chunks:
        empty = False
        yield chunk
    if empty:
        yield [], []


def _not_parquet(df: pd.DataFrame, path: Path, lines: list[int] | None,
                 exc: Exception) -> OutputError:
    """A column pyarrow cannot store (text and objects mixed), named in one line."""
    name = next((c for c in df.columns if not _arrow_ok(df[c])), None)
    row = _first_odd_row(df[name]) if name is not None else None
    where = (f", {'line' if lines else 'row'} {lines[row] if lines else row + 1}"
             if row is not None else "")
    field = f", field {name!r}" if name is not None else ""
    return OutputError(f"{path}{where}{field}: cannot be written as Parquet "
                       f"({one_line_reason(exc)}); write .jsonl or .csv")


def _arrow_ok(column: pd.Series) -> bool:
    import pyarrow as pa

    try:
        pa.array(column, from_pandas=True)
    except (pa.ArrowException, ValueError, TypeError):
        return False
    return True


def _first_odd_row(column: pd.Series) -> int | None:
    """The first cell whose type differs from the column's first non-null one."""
    kinds = [type(v) for v in column]
    first = next((k for k in kinds if k is not type(None)), None)
    return next((i for i, k in enumerate(kinds) if k not in (first, type(None))), None)
