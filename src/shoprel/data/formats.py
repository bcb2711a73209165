"""File formats by extension: JSON lines (the competition's .txt), CSV, TSV, Parquet; an input
may be compressed (rows.jsonl.gz, rows.parquet.gz: data/compression.py), its format named by the
suffix before the compression's, else (rows.gz) told by the first bytes inside, as a pipe's
(spool.py) are."""

from __future__ import annotations

from pathlib import Path

from shoprel.data.compression import (
    COMPRESSIONS,
    DECOMPRESS_ERRORS,
    UNREAD,
    compression_of,
    not_decompressed,
    open_compressed,
)
from shoprel.data.run_folder_input import run_folder_reason
from shoprel.errors import InputError

JSONL_SUFFIXES = {".jsonl", ".json", ".txt", ".ndjson"}
FORMATS = {**{s: "jsonl" for s in JSONL_SUFFIXES}, ".csv": "csv", ".tsv": "tsv",
           ".parquet": "parquet", ".pq": "parquet"}
# a list of ids (`shoprel noise --out`, a config's noise.flagged) in a file named so is a table
# with an id column; under any other name (.txt, .json, .ndjson among them) it is one id a line
ID_TABLE_SUFFIXES = tuple(s for s in FORMATS if s not in (".txt", ".json", ".ndjson"))
# a spreadsheet's own file, which no reader takes: said as one, with what to save it as, by
# every command that reads or writes a data file (file_format, output_format), not told
# 'unknown file type'; told by name only, no spreadsheet library imported
SPREADSHEETS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers")
# how help texts name each format of FORMATS (one missing here is named by its key)
FORMAT_NAMES = {"jsonl": "JSON lines", "csv": "CSV", "tsv": "TSV", "parquet": "Parquet"}
# how much of a pipe, or of a compressed file of no format's name, is looked at to tell its
# format: a header line, or a JSON line's start
SNIFF_BYTES = 1 << 16


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


def sniffed_suffix(head: bytes) -> str:
    """A format's suffix for a file starting with `head`: Parquet by its magic bytes, JSON
    lines by a first line that opens an object (or an array, which its reader then names),
    TSV by a first line holding a tab, else CSV. Text that is no format (gzip, UTF-16) is
    then named by the reader of the format it is taken for."""
    if head.startswith(b"PAR1"):
        return ".parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "").strip()
    if first.startswith(("{", "[")):
        return ".jsonl"
    return ".tsv" if "\t" in first else ".csv"


def spreadsheet_said(path: str | Path) -> str | None:
    """What a spreadsheet's own file is to shoprel, and what to do ('a spreadsheet (.xlsx),
    which shoprel does not read; save (or export) the sheet as CSV in UTF-8, the column names
    in its first row'), or None for a file of any other name: the readers' words, and the
    demo's for a file of its --data folder it leaves alone."""
    suffix = format_suffix(path)
    if suffix not in SPREADSHEETS:  # rows.xlsx.gz too
        return None
    return (f"a spreadsheet ({suffix}), which shoprel does not read; save (or export) the "
            "sheet as CSV in UTF-8, the column names in its first row")


def file_format(path: str | Path) -> str:
    """The format an input is read as, by its name: any format may be compressed (rows.csv.gz,
    rows.parquet.gz), read as the file inside; a compressed file whose name says no format
    (rows.gz) is read as the format its first bytes inside show, by every command, as
    predict reads a pipe. A compression shoprel does not open is refused."""
    path = Path(path)
    if path.is_dir():
        raise InputError(run_folder_reason(path) or "is a folder; give a file", path=path)
    suffix, compression = path.suffix.lower(), compression_of(path)
    if suffix in UNREAD:
        raise InputError(f"is compressed ({suffix}), which shoprel does not read; decompress it "
                         f"first ({UNREAD[suffix]}) and give the file inside", path=path)
    if spreadsheet := spreadsheet_said(path):
        raise InputError(f"is {spreadsheet}, and give that file: shoprel reads "
                         f"{formats_described()}", path=path)
    fmt = FORMATS.get(format_suffix(path))
    if compression and fmt is None and path.is_file():
        return FORMATS[_sniffed_inside(path, compression)]
    if compression and fmt is None:  # a pipe so named is copied first (spool.py)
        named = Path(path.stem).stem
        raise InputError(f"is compressed ({compression}) but its name says no format before "
                         f"{compression}: name it as the file inside, with its format "
                         f"({named}.jsonl{compression}, .csv{compression}...)", path=path)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        if not suffix:  # `unknown file type ''` named nothing the user could see
            raise InputError(f"has no suffix to tell its format by: name it {path.name}.jsonl "
                             f"(or one of {known})", path=path)
        raise InputError(f"unknown file type {suffix!r}: use one of {known}", path=path)
    return fmt


def _sniffed_inside(path: Path, compression: str) -> str:
    """sniffed_suffix of a compressed file's first bytes once decompressed; a file that does
    not decompress is told as the readers tell rows.jsonl.gz (compression.not_decompressed)."""
    try:
        with open_compressed(path, compression) as inside:
            return sniffed_suffix(inside.read(SNIFF_BYTES))
    except DECOMPRESS_ERRORS as exc:
        raise not_decompressed(compression, True, path, exc) from None


def read_format(path: str | Path | None) -> str | None:
    """The format `path` is read as (file_format), or None where no reader takes it (no
    path, an unknown name, a file that will not decompress): what a message about its rows
    goes by (a CSV's header is line 1, a Parquet file has rows), rows.gz's by its content."""
    if path is None:
        return None
    try:
        return file_format(path)
    except InputError:
        return None


def output_format(path: str | Path) -> str:
    """The format an output is written in, by its name: shoprel writes no compressed file, so
    a compressed name (which every reader would decompress) is refused."""
    refuse_compressed_output(path, table=True)
    refuse_spreadsheet_output(path)
    return file_format(path)


def refuse_spreadsheet_output(path: str | Path) -> None:
    """One InputError for an output named as a spreadsheet (out.xlsx): shoprel writes none, and
    a file of text (or of Parquet) under that name is one the spreadsheet will not open."""
    suffix = Path(path).suffix.lower()
    if suffix in SPREADSHEETS:
        raise InputError(f"is named as a spreadsheet ({suffix}), which shoprel does not write; "
                         f"name it {Path(path).stem}.csv, which a spreadsheet opens (or .jsonl, "
                         ".tsv, .parquet)", path=path)


def refuse_compressed_output(path: str | Path, table: bool = False) -> None:
    """One InputError for an output named as compressed: its text would be written plain.
    `table`: the output is a data file, written in the format its name says, so a name of no
    format (out.gz) is told a name with one (out.jsonl), not out, which no writer takes."""
    suffix = Path(path).suffix.lower()
    if suffix in COMPRESSIONS or suffix in UNREAD:
        stem = Path(path).stem
        if table and Path(stem).suffix.lower() not in FORMATS:
            raise InputError(f"is named as compressed ({suffix}), which shoprel reads but does "
                             f"not write, and says no format before {suffix}: name it "
                             f"{stem}.jsonl (or .csv, .tsv, .parquet) and compress it "
                             "afterwards", path=path)
        raise InputError(f"is named as compressed ({suffix}), which shoprel reads but does not "
                         f"write: name it {stem} (and compress it afterwards)", path=path)


def typed_format(path: str | Path) -> bool:
    """Whether the file keeps numbers and texts apart (JSON lines, Parquet), as a grader reading
    it does: there "1" is no number; CSV and TSV hold text only."""
    return file_format(path) not in ("csv", "tsv")
