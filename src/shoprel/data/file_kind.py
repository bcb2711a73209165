"""What a file's first bytes show it to be, where they are no data file's text: said of a
file that will not read (an input, or an existing output `--overwrite` judges) instead of the
byte at which decoding or parsing gave up."""

from __future__ import annotations

from shoprel.data.compression import COMPRESSIONS, magic_compression

ZIP = b"PK\x03\x04"
UTF16 = (b"\xff\xfe", b"\xfe\xff")  # a spreadsheet's 'Unicode text', either byte order
PARQUET = b"PAR1"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Office 97-2003 file: an .xls workbook, a .doc
ZIP_ARCHIVE = "a ZIP archive"
OFFICE_FILE = "an Office 97-2003 file"
UTF16_TEXT = "UTF-16 text"
PARQUET_DATA = "Parquet data"
# what a file's magic bytes show it to be, other than a compression (compression.MAGIC)
MAGIC_KINDS = {ZIP: ZIP_ARCHIVE, **dict.fromkeys(UTF16, UTF16_TEXT), PARQUET: PARQUET_DATA,
               OLE2: OFFICE_FILE}
# how many bytes are looked at: enough to tell text from binary data
HEAD_BYTES = 4096


def magic_kind(head: bytes) -> str | None:
    """What the magic bytes `head` starts with show, and nothing else: a compression's suffix
    ('.gz'), else a MAGIC_KINDS name ('a ZIP archive'), else None. The one place the readers'
    refusals (records.py) and an output's description (first_bytes_kind) tell them by."""
    compression = magic_compression(head)
    if compression:
        return compression
    return next((kind for magic, kind in MAGIC_KINDS.items() if head.startswith(magic)), None)


def first_bytes_kind(head: bytes) -> str | None:
    """What a file starting with `head` holds ('gzip-compressed data', 'a ZIP archive',
    'binary data, not text'), or None where it starts as UTF-8 text."""
    kind = magic_kind(head)
    if kind in COMPRESSIONS:
        return f"{COMPRESSIONS[kind]}-compressed data"
    if kind:
        return kind
    if b"\0" in head or not _starts_as_utf8(head):
        return "binary data, not text"
    return None


def _starts_as_utf8(head: bytes) -> bool:
    """Whether `head` is UTF-8 but perhaps for a character its end cut in two."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
    return True
