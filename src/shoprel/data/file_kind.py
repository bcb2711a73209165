"""What a file's first bytes show it to be, where they are no data file's text: said of a
file that will not read (an input, or an existing output `--overwrite` judges) instead of the
byte at which decoding or parsing gave up."""

from __future__ import annotations

from shoprel.data.compression import COMPRESSIONS, magic_compression

ZIP = b"PK\x03\x04"
UTF16 = (b"\xff\xfe", b"\xfe\xff")  # a spreadsheet's 'Unicode text', either byte order
PARQUET = b"PAR1"
PARQUET_DATA = "Parquet data"
# how many bytes are looked at: enough to tell text from binary data
HEAD_BYTES = 4096


def first_bytes_kind(head: bytes) -> str | None:
    """What a file starting with `head` holds ('gzip-compressed data', 'a ZIP archive',
    'binary data, not text'), or None where it starts as UTF-8 text."""
    compression = magic_compression(head)
    if compression:
        return f"{COMPRESSIONS[compression]}-compressed data"
    if head.startswith(ZIP):
        return "a ZIP archive"
    if head.startswith(UTF16):
        return "UTF-16 text"
    if head.startswith(PARQUET):
        return PARQUET_DATA
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
