"""File formats by extension: JSON lines (the competition's .txt), CSV, TSV, Parquet; an input
may be compressed (rows.jsonl.gz, rows.parquet.gz: data/compression.py), its format named by the
suffix before the compression's."""

from __future__ import annotations

from pathlib import Path

from shoprel.data.compression import COMPRESSIONS, UNREAD, compression_of
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


def format_suffix(path: str | Path) -> str:
    """The suffix naming a file's format: its last, or the one before a compression's
    (rows.jsonl.gz's .jsonl)."""
    path = Path(path)
    return Path(path.stem).suffix.lower() if compression_of(path) else path.suffix.lower()


def file_format(path: str | Path) -> str:
    """The format an input is read as, by its name: any format may be compressed (rows.csv.gz,
    rows.parquet.gz), read as the file inside; a compressed name that says no format (rows.gz)
    is refused, as a compression shoprel does not open is."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; give a file", path=path)
    suffix, compression = path.suffix.lower(), compression_of(path)
    if suffix in UNREAD:
        raise InputError(f"is compressed ({suffix}), which shoprel does not read; decompress it "
                         f"first ({UNREAD[suffix]}) and give the file inside", path=path)
    fmt = FORMATS.get(format_suffix(path))
    if compression and fmt is None:
        named = Path(path.stem).stem
        raise InputError(f"is compressed ({compression}) but its name says no format before "
                         f"{compression}: name it as the file inside, with its format "
                         f"({named}.jsonl{compression}, .csv{compression}...)", path=path)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"unknown file type {suffix!r}: use one of {known}", path=path)
    return fmt


def output_format(path: str | Path) -> str:
    """The format an output is written in, by its name: shoprel writes no compressed file, so
    a compressed name (which every reader would decompress) is refused."""
    refuse_compressed_output(path)
    return file_format(path)


def refuse_compressed_output(path: str | Path) -> None:
    """One InputError for an output named as compressed: its text would be written plain."""
    suffix = Path(path).suffix.lower()
    if suffix in COMPRESSIONS or suffix in UNREAD:
        raise InputError(f"is named as compressed ({suffix}), which shoprel reads but does not "
                         f"write: name it {Path(path).stem} (and compress it afterwards)",
                         path=path)


def typed_format(path: str | Path) -> bool:
    """Whether the file keeps numbers and texts apart (JSON lines, Parquet), as a grader reading
    it does: there "1" is no number; CSV and TSV hold text only."""
    return file_format(path) not in ("csv", "tsv")
