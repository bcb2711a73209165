"""Compressed inputs (rows.jsonl.gz, .bz2, .xz): every reader opens one by its name and reads the
file inside, so that train, index, translate and the rest take what predict takes; the format is
named by the suffix before the compression's (formats.format_suffix). A stream has no name to
say so, and is told by its first bytes (MAGIC; spool.py)."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterator
from pathlib import Path

from shoprel.errors import InputError, one_line_reason

# compressions the readers open, by the suffix a compressed file carries, with their names (each
# also the command that decompresses one: `gzip -dc`)
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
# compressions shoprel does not open, with the command that does
UNREAD = {".zst": "unzstd", ".zip": "unzip"}

# the first bytes of a compressed stream (bzip2's 'BZh' is followed by its block size, 1-9)
MAGIC = ((b"\x1f\x8b", ".gz"), (b"\xfd7zXZ\x00", ".xz"),
         *((b"BZh" + str(size).encode(), ".bz2") for size in range(1, 10)))
MAGIC_BYTES = max(len(magic) for magic, _ in MAGIC)
# what a damaged or cut-short compressed file raises while it is read (gzip's BadGzipFile and
# bz2's "Invalid data stream" are OSErrors; deflate's and xz's own errors are not)
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


def compression_of(path: str | Path) -> str | None:
    """The compression suffix `path` is named with (.gz, .bz2, .xz), else None."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in COMPRESSIONS else None


def magic_compression(head: bytes) -> str | None:
    """The suffix of the compression whose magic bytes `head` starts with, else None."""
    return next((suffix for magic, suffix in MAGIC if head.startswith(magic)), None)


def misnamed(path: str | Path, compression: str, kind: str = "text") -> str:
    """Why a file of compressed bytes under a plain name (rows.jsonl or rows.parquet holding
    gzip: a download saved still encoded) is refused, with the name every reader reads it by,
    as for every format: a file is decompressed by its name. `kind`: what its name says it is
    (text; Parquet, where pyarrow only says its footer has no magic bytes)."""
    tool, name = COMPRESSIONS[compression], Path(path).name
    # `gunzip -k rows.jsonl`, which it said, refuses a name without .gz ("unknown suffix")
    return (f"is {tool}-compressed, not {kind}; name it {name}{compression}, or decompress it "
            f"first ({tool} -dc < {name} > plain{Path(name).suffix}) and give the file inside")


def not_decompressed(compression: str, by_name: bool, shown, exc: BaseException) -> InputError:
    """A compressed file cut short, damaged or not compressed as its name (or, for a stream,
    its first bytes) says, in one line."""
    if by_name:
        return InputError(f"cannot be decompressed as {compression} ({one_line_reason(exc)}): is "
                          "the file whole, and compressed as its name says?", path=shown)
    return InputError(f"starts as {COMPRESSIONS[compression]}-compressed data but cannot be "
                      f"decompressed ({one_line_reason(exc)}): is the stream whole?", path=shown)


def open_compressed(source, compression: str):
    """`source` (a path or a binary file) decompressed as `compression`, to read in bytes."""
    import bz2
    import gzip

    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[compression](source, "rb")


def input_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, its bytes) of a file, decompressed where its name says it is
    compressed; damaged or cut-short compressed data is one InputError naming the file."""
    compression = compression_of(path)
    if compression is None:
        with open(path, "rb") as fh:
            yield from enumerate(fh, start=1)
        return
    try:
        with open_compressed(path, compression) as fh:
            yield from enumerate(fh, start=1)
    except DECOMPRESS_ERRORS as exc:
        raise not_decompressed(compression, True, path, exc) from None
