"""File formats by extension: JSON lines (the competition's .txt), CSV, TSV, Parquet."""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import InputError

JSONL_SUFFIXES = {".jsonl", ".json", ".txt", ".ndjson"}
FORMATS = {**{s: "jsonl" for s in JSONL_SUFFIXES}, ".csv": "csv", ".tsv": "tsv",
           ".parquet": "parquet", ".pq": "parquet"}


def file_format(path: str | Path) -> str:
    if Path(path).is_dir():
        raise InputError("is a folder; give a file", path=path)
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"unknown file type {suffix!r}: use one of {known}", path=path) from None
