"""File formats by extension: JSON lines (the competition's .txt), CSV, TSV, Parquet."""

from __future__ import annotations

from pathlib import Path

from shoprel.errors import InputError

JSONL_SUFFIXES = {".jsonl", ".json", ".txt", ".ndjson"}
FORMATS = {**{s: "jsonl" for s in JSONL_SUFFIXES}, ".csv": "csv", ".tsv": "tsv",
           ".parquet": "parquet", ".pq": "parquet"}
# a list of ids (`shoprel noise --out`, a config's noise.flagged) in a file named so is a table
# with an id column; under any other name (.txt, .json, .ndjson among them) it is one id a line
ID_TABLE_SUFFIXES = tuple(s for s in FORMATS if s not in (".txt", ".json", ".ndjson"))
# how help texts name each format of FORMATS (one missing here is named by its key)
FORMAT_NAMES = {"jsonl": "JSON lines", "csv": "CSV", "tsv": "TSV", "parquet": "Parquet"}


def formats_described() -> str:
    """Every format of FORMATS with its extensions, for help texts: a format added to the
    table is then named by every command that lists them, not only by those updated by hand."""
    suffixes: dict[str, list[str]] = {}
    for suffix, fmt in FORMATS.items():
        suffixes.setdefault(fmt, []).append(suffix)
    return ", ".join(f"{FORMAT_NAMES.get(fmt, fmt)} ({', '.join(sorted(names))})"
                     for fmt, names in suffixes.items())


def file_format(path: str | Path) -> str:
    if Path(path).is_dir():
        raise InputError("is a folder; give a file", path=path)
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"unknown file type {suffix!r}: use one of {known}", path=path) from None


def typed_format(path: str | Path) -> bool:
    """Whether the file keeps numbers and texts apart (JSON lines, Parquet), as a grader reading
    it does: there "1" is no number; CSV and TSV hold text only."""
    return file_format(path) not in ("csv", "tsv")
