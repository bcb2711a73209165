"""Write tables in the format the file name asks for, atomically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.formats import file_format
from shoprel.utils.atomic import atomic_file


def _json_value(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def jsonl_lines(df: pd.DataFrame) -> str:
    """JSON lines text with non-ASCII kept readable, as the competition files are."""
    columns = list(df.columns)
    parts = []
    for values in df.itertuples(index=False, name=None):
        record = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
        parts.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(parts) + ("\n" if parts else "")


def append_table(df: pd.DataFrame, fh, fmt: str, header: bool) -> None:
    """Append rows to an open text file (JSON lines, CSV or TSV) while streaming."""
    if fmt == "jsonl":
        fh.write(jsonl_lines(df))
    else:
        df.to_csv(fh, sep="," if fmt == "csv" else "\t", index=False, header=header,
                  lineterminator="\n")


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    fmt = file_format(path)
    with atomic_file(path) as tmp:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                append_table(df, fh, fmt, header=True)
    return path
