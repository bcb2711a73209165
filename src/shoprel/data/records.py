"""Raw records with their line numbers, streamed from any supported format."""

from __future__ import annotations

import csv
import datetime
import errno
import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from shoprel.data.compression import (
    COMPRESSIONS,
    MAGIC_BYTES,
    input_lines,
    magic_compression,
    misnamed,
)
from shoprel.data.csv_header import header_problem, row_problem
from shoprel.data.file_kind import (
    OFFICE_FILE,
    PARQUET_DATA,
    UTF16_TEXT,
    ZIP_ARCHIVE,
    magic_kind,
)
from shoprel.data.formats import file_format, read_format
from shoprel.data.parquet_maps import map_readers
from shoprel.data.run_folder_input import run_folder_reason
from shoprel.data.spool import is_stream, readable_input
from shoprel.data.tasks import QUERY_COLUMN, TARGET_COLUMN, parted_by
from shoprel.errors import ConfigError, InputError
from shoprel.utils.bounds import not_whole, out_of_range
from shoprel.utils.scalars import is_boolean

Record = tuple[int, dict]  # (line or row number, fields)
# what every reader of pairs says of a file that yields no record (a header-only CSV, an empty
# JSON lines file): a wrong file or a failed export, refused alike by each command
NO_ROWS = "the file has no rows"


class FloatText(float):
    """A JSON number with a fraction or exponent, which remembers how the file wrote it: a
    query such as 1.50 or 1e20 is read as that text, not as Python's 1.5 or 1e+20. It is a
    float everywhere else (labels, probabilities, ids)."""

    text: str

    def __new__(cls, text: str) -> FloatText:
        number = super().__new__(cls, text)
        number.text = text
        return number


def as_written(value) -> str:
    """A value as the file wrote it: a JSON 7.0 or 2.50 as written, not Python's 7.0 or 2.5,
    and JSON's NaN and Infinity, not Python's nan and inf (only a JSON file or request holds
    them: a table's NaN cell is no value, read as null)."""
    if isinstance(value, FloatText):
        return value.text
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return str(value)


def written_kind(value) -> str:
    """A value as the file that held it says it (JSON's null, true, a number as written, a list,
    an object), not by Python's type ("bool True", "dict"), for the errors on a field of the
    wrong kind: "true is not an id", "an object is not a text"."""
    if value is None:
        return "null"
    if is_boolean(value):
        return "true" if value else "false"
    if isinstance(value, str):
        return "a text" if value else "an empty text"
    if isinstance(value, int | float | np.number):
        return f"the number {as_written(value)}"
    if isinstance(value, list | tuple | np.ndarray):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    if isinstance(value, datetime.date | datetime.time):
        return f"a date or time ({value})"
    return f"{value!r}"


def shown_value(value) -> str:
    """A value in its file's words, for "must be 0 or 1, got ...": a text quoted, JSON's true
    and null and a number as written (1e0, NaN), not Python's True, None, 1.0 or nan."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float) and not is_boolean(value):
        return as_written(value)
    return written_kind(value)  # null, true, a list...


def not_a_written_count(value, ge: int = 0) -> str | None:
    """What is wrong with a count a file holds (a saved model's field), or None for a whole
    number of at least `ge`: what is no number in the file's words ("true is not a whole
    number"), a number in an integer option's (utils/bounds.py: "-1 is out of range; it must
    be at least 0", "2.5 is not a whole number"). Saved files said "the number -1 is not a
    whole number >= 0" or "must be a whole number of saved boosters (at least 1), not 0"."""
    if is_boolean(value) or not isinstance(value, int | float | np.number):
        return f"{written_kind(value)} is not a whole number"
    if isinstance(value, float | np.floating):
        return not_whole(float(value), as_written(value))
    return out_of_range(value, as_written(value), ge=ge)


def python_kind(value) -> str:
    """A Python argument as the API's errors say it, in written_kind's words for a text, a
    number or a list and in Python's for None and True/False ("None is not a path", "a list
    is not a dict of fields"); anything else by its type's name ("a DataFrame"), never its
    repr, which may span lines."""
    if value is None or is_boolean(value):
        return repr(value if value is None else bool(value))
    if isinstance(value, str | int | float | np.number | list | bytes | bytearray):
        return written_kind(value)
    if isinstance(value, np.ndarray):
        return "a numpy array"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def require_config_file(key: str, path: Path, expected: str, advice: str) -> None:
    """A file a config key names (noise.flagged, augment.table): one ConfigError naming the
    key when it cannot be read, which `train` then locates at the key's line in the file. A
    run folder there is said to be no `expected` file, with `advice`: neither key names a
    pairs file, which not_a_file's wording asks for."""
    reason = run_folder_reason(path, expected, advice) or not_a_file(path)
    if reason:
        raise ConfigError(f"{key}: {path}: {reason}")


# a pipe given as an input where the command needs a file (train records its file, which noise
# and distill read again): predict, evaluate and check-submission copy one (spool.py)
PIPE = ("is a pipe or standard input, which only predict, evaluate and check-submission "
        "read: write it to a file first and give that file (a .gz, .bz2 or .xz file is read "
        "as it is)")


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as an input file (said as the error's reason), or None."""
    if path.is_file():
        return None
    if path.is_dir():
        return run_folder_reason(path) or "is a folder; give a file"
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "is a link that leads back to itself; give a file"
            return "is a link to nothing; give a file"
    if path.exists():
        return "is not a regular file (a pipe, a socket or a device); give a file"
    return "file not found"


def require_file(path: Path, option: str | None = None) -> None:
    """One InputError naming `path` (and the option it came from) unless it is a file; a pipe
    is told what to do instead (only predict copies one to read it: spool.py)."""
    reason = PIPE if is_stream(path) else not_a_file(path)
    if reason:
        raise InputError(f"{reason} ({option})" if option else reason, path=path)


def column_line(path: str | Path | None, line: int) -> int:
    """The line at which a missing, misnamed or unexpected column is told, given the record
    `line` it was noticed on: a CSV or TSV file names its columns in its header (line 1), not
    in its first data row; a JSON line names its own, and a Parquet row stays its row."""
    delimited = read_format(path) in ("csv", "tsv")  # rows.gz: by its content
    return 1 if delimited else line


def position_label(path: str | Path | None) -> str:
    """The word a record's number is told with: a Parquet file has rows, not lines (numbered
    from 1 too, as a user counts them); the text formats, and a name of no known format (a
    plain list of ids), have lines. With `column_line`: a CSV header's problem is at line 1, a
    Parquet row's at row N, a JSON line's at line N."""
    parquet = read_format(path) == "parquet"
    return "row" if parquet else "line"


def iter_records(path: str | Path) -> Iterator[Record]:
    """Yield (line number, record) pairs; line numbers are 1-based as an editor shows them
    (a Parquet file's are row numbers, told as `position_label` names them)."""
    path = Path(path).expanduser()  # `~/data.jsonl` from Python, as the CLI reads it
    require_file(path)
    fmt = file_format(path)  # rows.jsonl.gz is JSON lines, decompressed as it is read
    if fmt == "jsonl":
        yield from jsonl_records(path)
    elif fmt in ("csv", "tsv"):
        yield from _delimited_records(path, "," if fmt == "csv" else "\t")
    else:
        yield from _parquet_records(path)


def file_columns(path: str | Path) -> list[str]:
    """The columns a data file holds: a CSV or TSV file's header (a header alone, rows or
    none), a Parquet file's schema, a JSON-lines file's first record's keys; [] for a file of
    blank lines. Read by the readers' own code (iter_records'), so a file they refuse is
    refused here in the same words, and its rows are not read."""
    path = Path(path).expanduser()
    require_file(path)
    fmt = file_format(path)
    if fmt == "parquet":
        with readable_input(path) as plain:  # rows.parquet.gz: a decompressed copy
            return list(_parquet_file(plain, path.name).schema_arrow.names)
    if fmt in ("csv", "tsv"):
        return _delimited_header(path, "," if fmt == "csv" else "\t")[0] or []
    return next((list(record) for _, record in iter_records(path)), [])


# what a file's first bytes show it to be, where it is no UTF-8 text: said instead of "invalid
# UTF-8 at byte 0" (a spreadsheet's "Unicode text" is UTF-16; ZIP is an archive; a compressed
# file under a plain name is told the name it is read by: compression.misnamed)
NOT_TEXT = {
    ZIP_ARCHIVE: "is a ZIP archive (a spreadsheet workbook?), not text; save it as CSV (UTF-8) "
                 "or unpack it first",
    UTF16_TEXT: "is UTF-16 text (a spreadsheet's 'Unicode text'); save it as UTF-8",
    # an .xls workbook renamed .csv, or a download saved so: it was told 'invalid UTF-8 at byte 0'
    OFFICE_FILE: "is an Office 97-2003 file (an Excel .xls workbook?), not text; save the sheet "
                 "as CSV in UTF-8",
    # df.to_parquet("test.txt"): the rows are there, under a name read as text
    PARQUET_DATA: "is Parquet data under a name read as text; name it .parquet (or .pq), the "
                  "suffix shoprel reads Parquet by",
}


# a config is saved by an editor, not exported from a spreadsheet as a data file is
UTF16_CONFIG = "is UTF-16 text (an editor's 'Unicode' or 'UTF-16' encoding); save it as UTF-8"


def utf16_said(head: bytes) -> str | None:
    """'is UTF-16 text ...; save it as UTF-8' (as NOT_TEXT says it of a data file) for a YAML
    config whose first bytes (file_kind.magic_kind) are UTF-16's, else None: it read as
    "line 1: invalid UTF-8 (b'\\xff\\xfe...')"."""
    return UTF16_CONFIG if magic_kind(head) == UTF16_TEXT else None


def _not_text(raw: bytes, path: Path) -> str | None:
    """What a first line that is no UTF-8 shows the file to be (file_kind.magic_kind), or
    None."""
    kind = magic_kind(raw)
    if kind in COMPRESSIONS:
        return misnamed(path, kind)
    return NOT_TEXT.get(kind)


def _decode(raw: bytes, path: Path, line_no: int) -> str:
    """A line as text. A first line of binary data is said as what its first bytes show where
    they show something, though it decodes: a small Parquet file's first line (up to a byte
    0x0a) is often valid UTF-8, and was told 'holds a NUL byte (\\0) at column 15'."""
    if line_no == 1 and b"\0" in raw and _not_text(raw, path):
        raise InputError(_not_text(raw, path), path=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = _not_text(raw, path) if line_no == 1 else None
        if shown:
            raise InputError(shown, path=path) from None
        raise InputError(
            f"invalid UTF-8 at byte {exc.start} of the line ({raw[exc.start:exc.start + 4]!r}); "
            "save the file as UTF-8", path=path, line=line_no,
        ) from None


def iter_text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line, a leading byte-order mark dropped; a line that is not
    UTF-8 is one InputError naming it."""
    return _text_lines(Path(path), None)


def marked_text_lines(path: str | Path) -> tuple[list[tuple[int, str]], bool]:
    """A file's iter_text_lines, read whole, and whether its first line began with a
    byte-order mark, which they drop: a copy made of the lines keeps it (copy_has_bom)."""
    marked = []
    return list(_text_lines(Path(path), marked.append)), bool(marked)


def _text_lines(path: Path, on_mark) -> Iterator[tuple[int, str]]:
    for line_no, raw in input_lines(path):  # decompressed where named so (rows.txt.gz)
        text = _decode(raw, path, line_no)
        if line_no == 1 and text.startswith("\ufeff"):
            text = text[1:]
            if on_mark is not None:
                on_mark(True)
        yield line_no, text


def _first_line(path: str | Path) -> bytes:
    """A text file's first line as bytes, its end kept (decompressed, where its name says so);
    empty for an empty file. The rest is not read."""
    lines = input_lines(Path(path))
    try:
        first = next(lines, None)
    finally:
        lines.close()
    return b"" if first is None else first[1]


def starts_with_bom(path: str | Path) -> bool:
    """Whether a text file's first bytes (decompressed, where its name says so) are the UTF-8
    byte-order mark; its first line alone is read."""
    return _first_line(path).startswith(b"\xef\xbb\xbf")


def copy_has_bom(source: str | Path, out_format: str, marked: bool | None = None) -> bool:
    """Whether a copy of `source` written in `out_format` (noise's filtered file, translate's
    and langid's) starts with a byte-order mark, as `source` does: the readers drop it, so a
    copy written from the rows lost it, and a CSV saved with one for Excel (which reads a
    UTF-8 file without it in the system's code page) came back garbled there. Kept only in
    the input's own text format: a JSON-lines copy of a marked CSV gets none it never had.
    `marked`: whether `source` starts with one, where its reader saw (marked_text_lines);
    else its first line is read."""
    if out_format == "parquet" or file_format(source) != out_format:
        return False
    return starts_with_bom(source) if marked is None else marked


def copy_line_end(source: str | Path, out_format: str) -> str:
    """The line end of a copy of `source` written in `out_format` (noise's filtered file,
    translate's and langid's): "\r\n" where `source` ends its first line so (a file saved on
    Windows, or by Excel) and the copy is in its own text format, as copy_has_bom keeps its
    byte-order mark; else "\n". A copy written from the rows ended every line in "\n", so a
    diff against the input showed every line changed, and a tool of the user's that splits on
    "\r\n" read the copy as one line."""
    if out_format == "parquet" or file_format(source) != out_format:
        return "\n"
    return "\r\n" if _first_line(source).endswith(b"\r\n") else "\n"


# names a header line of a table holds, any of which tells it from a mistyped JSON line
HEADER_NAMES = {"id", "label", "language", QUERY_COLUMN, *TARGET_COLUMN.values()}
# a file whose lines end in a carriage return alone (old Mac OS) reads as one long line
LONE_CR = ("holds a carriage return (\\r) inside the line: the file ends its lines with \\r "
           "alone; save it with \\n (or \\r\\n) line ends")
# a file a crash or a full disk left padded with zero bytes: json says "Expecting value"
NUL_BYTE = ("holds a NUL byte (\\0) at column {}: the file is damaged (a crash can leave zero "
            "bytes) or is not JSON lines")
# json's "Unexpected UTF-8 BOM (decode using utf-8-sig)", of a file's first line only dropped
MID_BOM = ("starts with a byte-order mark (U+FEFF) that only a file's first line may hold: were "
           "files joined one after another? delete it")
JSON_ARRAY = "holds a JSON array, not JSON lines; write one JSON object a line"
# a pretty-printed JSON document (run.json, an indented export) starts with "{" alone
JSON_SPREAD = ("holds a JSON object spread over several lines, not JSON lines; write one JSON "
               "object a line")


def has_lone_cr(text: str) -> bool:
    """Whether a line holds a carriage return other than its \\r\\n ending."""
    return "\r" in text.rstrip("\r\n")


def _malformed(exc: json.JSONDecodeError, text: str) -> str:
    """json's reason in one phrase (its "Unterminated string starting at" names no place of its
    own), and what an object left open usually means: a file cut short mid-line."""
    place = f"{exc.msg}{' ' if exc.msg.endswith(' at') else ' at '}column {exc.colno}"
    if text.rstrip().endswith("},"):  # an array's items pasted as lines: not a file cut short
        return (f"malformed JSON: {place}: a comma after the object closes; end each line at "
                "its object's '}' (JSON lines part objects by line ends, not commas)")
    cut = text.lstrip().startswith("{") and not text.rstrip().endswith("}")
    return f"malformed JSON: {place}" + ("; the line ends before its object closes (was the "
                                         "file cut short?)" if cut else "")


class _RepeatedKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object as a dict, refusing a key given twice: json keeps the last silently, so
    {"id": 3, "id": 1} was read as id 1 (a duplicate of line 1, or another row's label)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return record


def jsonl_records(path: Path, lines: Iterable[tuple[int, str]] | None = None
                  ) -> Iterator[Record]:
    """A JSON-lines file's records; `lines`: its (line number, text) pairs already read
    (iter_text_lines), parsed here without reading the file again (noise copies them as
    written)."""
    first = True
    for line_no, text in iter_text_lines(path) if lines is None else lines:
        if not text.strip():
            continue
        if first and text.lstrip().startswith("["):
            raise InputError(JSON_ARRAY, path=path, line=line_no)
        if first and text.strip() == "{":
            raise InputError(JSON_SPREAD, path=path, line=line_no)
        said = parted_by(text.strip(), HEADER_NAMES) if first else None
        if said:  # a CSV saved under the competition's .txt name
            raise InputError(f"holds a header of columns parted by {said}, not JSON lines: name "
                             "the file .csv (columns parted by ',') or .tsv (tabs)", path=path,
                             line=line_no)
        first = False
        try:
            # without its line end: json read on past the newline, and named column 1 of a
            # next line (or a "control character") for a line cut short mid-file
            record = json.loads(text.removesuffix("\n").removesuffix("\r"),
                                parse_float=FloatText, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            reason = (LONE_CR if has_lone_cr(text) else NUL_BYTE.format(text.index("\0") + 1)
                      if "\0" in text else MID_BOM if text.startswith("\ufeff")
                      else _malformed(exc, text))
            raise InputError(reason, path=path, line=line_no) from None
        except _RepeatedKey as exc:
            raise InputError("the object gives this field twice; keep one", path=path,
                             line=line_no, field=exc.key) from None
        if not isinstance(record, dict):
            raise InputError(f"{written_kind(record)} is not a JSON object; write one JSON "
                             "object a line", path=path, line=line_no)
        yield line_no, record


def _delimited_header(path: Path, delimiter: str) -> tuple[list[str] | None, Iterator]:
    """A CSV/TSV file's header, checked, and the reader positioned on the row after it; None
    for a file of blank lines (or a byte-order mark alone). What file_columns reads too."""

    def lines() -> Iterator[str]:
        for _, text in iter_text_lines(path):
            yield text

    # strict: text after a field's closing quote ("dewalt" drill) is refused by line, where
    # the lenient reader dropped the quotes and scored another query ("dewalt drill")
    reader = csv.reader(lines(), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return None, reader
    except csv.Error as exc:
        raise InputError(_csv_problem(exc, "header"), path=path, line=1) from None
    header = [h.strip() for h in header]
    if not any(header) and _only_blank(reader):  # blank lines (or a byte-order mark): no rows
        return None, reader
    problem = header_problem(header, delimiter)
    if problem:
        raise InputError(problem, path=path, line=1)
    _check_header(header, path)
    return header, reader


def _delimited_records(path: Path, delimiter: str) -> Iterator[Record]:
    """CSV/TSV rows as dicts of strings; quoted fields may span lines, numbers stay exact."""
    header, reader = _delimited_header(path, delimiter)
    if header is None:
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(_csv_problem(exc, "row"), path=path, line=reader.line_num) from None
        if not row or all(not cell.strip() for cell in row):
            continue
        wrong = row_problem(row, header, delimiter)
        if wrong:
            problem, at_header = wrong
            raise InputError(problem, path=path, line=1 if at_header else reader.line_num)
        yield reader.line_num, dict(zip(header, row, strict=True))


def _only_blank(reader) -> bool:
    """Whether the rest of a CSV reader's file is blank lines (a malformed line is not)."""
    try:
        return not any(any(cell.strip() for cell in row) for row in reader)
    except csv.Error:
        return False


def _csv_problem(exc: csv.Error, part: str) -> str:
    """The csv module's reason, in words for a file's author (its own quotes a tab): `malformed
    {part}: ...`. Lines ended by \r alone are said as a JSON lines file's are: csv's "new-line
    character seen in unquoted field - do you need to open the file in universal-newline
    mode?" named a mode no user of the command can set."""
    if "new-line character seen in unquoted field" in str(exc):
        return LONE_CR
    return f"malformed {part}: {_csv_reason(exc)}"


def _csv_reason(exc: csv.Error) -> str:
    if "expected after" in str(exc):
        return ('a field goes on after its closing quote; quote the whole field and double '
                'the quotes in it ("""dewalt"" drill" for "dewalt" drill)')
    if "field larger than field limit" in str(exc):  # a 1 MB cell, or a quote left open
        return (f"a field runs past {csv.field_size_limit():,} characters: a quote opened here "
                "or above never closes, or a cell holds far more than a query, title or path")
    if "unexpected end of data" in str(exc):
        return "the file ends inside a quoted field: a quote opened here or above never closes"
    return str(exc)


def _check_header(header: list[str], path: Path, line: int | None = 1) -> None:
    """A column named twice is refused: a row's cells are read by name, so the second would
    silently stand for the first (an id or a target of the wrong column scored). Unnamed
    columns (a written index) are never read, so they may repeat. `line` None: a Parquet
    file's schema, which has no line."""
    first: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if name and name in first:
            raise InputError(f"the header names this column twice (columns {first[name]} and "
                             f"{number}); rename or drop one", path=path, line=line, field=name)
        first.setdefault(name, number)


def parquet_types(path: str | Path) -> dict:
    """Each column's Arrow type where `path` is a Parquet file (else none), for a file written
    back from it to keep (a map stays a map with its empty maps, a timestamp its unit): the
    types found again from the values read would not (a map's (key, value) pairs read as lists).
    Call once its records were read: an unreadable file is told by `iter_records`."""
    path = Path(path).expanduser()
    if file_format(path) != "parquet":
        return {}
    import pyarrow.parquet as pq

    with readable_input(path) as plain:  # rows.parquet.gz: a decompressed copy
        return {field.name: field.type for field in pq.read_schema(plain)}


def _parquet_file(path: Path, name: str):
    """A Parquet file opened (its rows not yet read), its column names checked as a CSV
    header's are; one InputError naming the file for anything pyarrow cannot open, saying
    what its first bytes show where they are a compression's (pyarrow's words do not).
    `name`: the file's own name (`path` may be the decompressed copy of rows.parquet.gz)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        with open(path, "rb") as handle:
            compression = magic_compression(handle.read(MAGIC_BYTES))
        if compression:
            raise InputError(misnamed(name, compression, "Parquet"), path=path) from None
        raise InputError(f"not a readable Parquet file: {exc}", path=path) from None
    _check_header(parquet.schema_arrow.names, path, line=None)
    return parquet


def _parquet_records(path: Path) -> Iterator[Record]:
    """A Parquet file's rows; rows.parquet.gz is read from a decompressed private copy (Parquet's
    reader seeks), removed once its rows are read or the reading stops."""
    with readable_input(path) as plain:
        parquet = _parquet_file(plain, path.name)
        maps = map_readers(parquet.schema_arrow)  # a map column's values as objects
        row_no = 0
        for batch in parquet.iter_batches(batch_size=65536):
            for record in batch.to_pylist():
                row_no += 1
                yield row_no, {k: maps[k](v) if k in maps else _none_if_nan(v)
                               for k, v in record.items()}


def _none_if_nan(value):
    return None if isinstance(value, float) and math.isnan(value) else value

