"""An input given as a pipe (`<(zcat rows.jsonl.gz)`, `/dev/stdin`) or compressed (rows.jsonl.gz),
copied once to a private file, so that a command that reads its input once (predict,
check-submission's --input) takes it as it takes a file.

A pipe can be read only once and has no name to tell its format by (/dev/fd/63), while the
readers open their file by name, tell its format by its suffix, and Parquet's seeks: the copy
is named with the pipe's own suffix (`mkfifo rows.csv`), else by what its first bytes show, and
an error at one of its lines names the pipe as given, not the copy."""

from __future__ import annotations

import errno
import lzma
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shoprel.data.formats import FORMATS
from shoprel.errors import InputError, one_line_reason

# how much of a pipe is looked at to tell its format: a header line, or a JSON line's start
SNIFF_BYTES = 1 << 16


def is_pipe(path: Path) -> bool:
    """Whether `path` is a pipe or socket (what `<(...)` and a piped stdin are), which can be
    read once from start to end. A device (a terminal, /dev/zero) is not: it may never end."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


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


# standard input, named as shells and other tools name it: read once, whatever it is
STDIN = ("-", "/dev/stdin")


def is_stream(path: Path) -> bool:
    """Whether `path` is read once from start to end: a pipe, or standard input (`-`,
    /dev/stdin, /dev/fd/N), which a shell may have pointed at a file of no suffix."""
    if is_pipe(path):
        return True
    named = str(path) in STDIN or str(path.parent) in ("/dev/fd", "/proc/self/fd")
    return named and path.suffix.lower() not in FORMATS


# compressions the standard library opens, by the suffix a compressed file carries
DECOMPRESSED = (".gz", ".bz2", ".xz")


def is_decompressed(path: Path) -> bool:
    """Whether `path` is a file (or pipe) named as compressed in a way `readable_input` opens
    (rows.jsonl.gz), read once into its copy."""
    return path.suffix.lower() in DECOMPRESSED and (path.is_file() or is_pipe(path))


def _not_decompressed(path: Path, shown, exc: BaseException) -> InputError:
    """A compressed file cut short, damaged or not compressed as its name says, in one line."""
    return InputError(f"cannot be decompressed as {path.suffix} ({one_line_reason(exc)}): is the "
                      "file whole, and compressed as its name says?", path=shown)


def _open_compressed(path: Path):
    import bz2
    import gzip

    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[path.suffix.lower()](path, "rb")


@contextmanager
def readable_input(path: str | Path) -> Iterator[Path]:
    """`path` itself, or for a pipe, standard input or a compressed file (.gz, .bz2, .xz) a
    private copy of everything it gives (decompressed), removed on leaving; an InputError
    naming the copy is said of `path` (`-` as "stdin")."""
    path = Path(path).expanduser()
    compressed = is_decompressed(path)
    if not (compressed or is_stream(path)):
        yield path
        return
    shown = "stdin" if str(path) == "-" else path
    if str(path) == "-":
        path = Path("/dev/stdin")
    folder = Path(tempfile.mkdtemp(prefix="shoprel-input-"))
    try:
        spooled = folder / "input"
        try:
            with (_open_compressed(path) if compressed else open(path, "rb")) as source, \
                    open(spooled, "wb") as copy:
                head = source.read(SNIFF_BYTES)
                copy.write(head)
                shutil.copyfileobj(source, copy, 1 << 20)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                if not compressed:
                    raise
                raise _not_decompressed(path, shown, exc) from None
            raise InputError(f"could not be copied into the temporary folder {folder.parent} to be "
                             f"read once ({os.strerror(exc.errno)}): set TMPDIR to a folder with "
                             "room, or give an uncompressed file", path=shown) from None
        except (EOFError, zlib.error, lzma.LZMAError) as exc:  # cut short, or damaged
            raise _not_decompressed(path, shown, exc) from None
        suffix = Path(path.stem).suffix.lower() if compressed else path.suffix.lower()
        copy_path = spooled.rename(
            folder / f"input{suffix if suffix in FORMATS else sniffed_suffix(head)}")
        try:
            yield copy_path
        except InputError as exc:
            if exc.path != str(copy_path):
                raise
            raise InputError(exc.reason, path=shown, line=exc.line, field=exc.field,
                             line_label=exc.line_label) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
