"""An input given as a pipe (`<(zcat rows.jsonl.gz)`, `/dev/stdin`), or compressed where the readers
cannot stream it (rows.parquet.gz, or rows.gz holding Parquet: Parquet's reader seeks, and every
reader copies it here), copied once to a private file, so that a command that reads its input once
(predict, check-submission, evaluate) takes it as it takes a file (rows.jsonl.gz is read as it is,
by every command: compression.py).

A pipe can be read only once and has no name to tell its format by (/dev/fd/63), while the
readers open their file by name, tell its format by its suffix, and Parquet's seeks: the copy
is named with the pipe's own suffix (`mkfifo rows.csv`), else by what its first bytes show, and
an error at one of its lines names the pipe as given, not the copy. A pipe with no name to
say it is compressed (`cat rows.jsonl.gz | shoprel predict RUN -`) is decompressed by its
first bytes, as a .gz file by its name."""

from __future__ import annotations

import errno
import io
import lzma
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from shoprel.data.compression import (
    MAGIC_BYTES,
    compression_of,
    magic_compression,
    not_decompressed,
    open_compressed,
)
from shoprel.data.formats import (
    FORMATS,
    SNIFF_BYTES,
    format_suffix,
    read_format,
    sniffed_suffix,
)
from shoprel.errors import ConfigError, InputError


def is_pipe(path: Path) -> bool:
    """Whether `path` is a pipe or socket (what `<(...)` and a piped stdin are), which can be
    read once from start to end. A device (a terminal, /dev/zero) is not: it may never end."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


# standard input, named as shells and other tools name it: read once, whatever it is
STDIN = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")
# the folders naming this process's open files by descriptor (/dev/fd/63 of `<(zcat ...)`)
FD_FOLDERS = ("/dev/fd", "/proc/self/fd")


def is_stdin(path: str | Path) -> bool:
    """Whether `path` names standard input, which two inputs of one command cannot both be:
    it is read once."""
    return str(path) in STDIN


def one_from_stdin(first: Path, second: Path, both_named: str) -> None:
    """Refuse two inputs of one command both given as standard input (`both_named`: how the
    message names the pair), which can be read only once."""
    if is_stdin(first) and is_stdin(second):
        raise ConfigError(f"{both_named} are both standard input, which is read once: give one "
                          "of them as a file")


def is_stream(path: Path) -> bool:
    """Whether `path` is read once from start to end: a pipe, or standard input (`-`,
    /dev/stdin, /dev/fd/N), which a shell may have pointed at a file of no suffix."""
    if is_pipe(path):
        return True
    named = is_stdin(path) or str(path.parent) in FD_FOLDERS
    return named and path.suffix.lower() not in FORMATS


def is_decompressed(path: Path) -> bool:
    """Whether `path` is named as compressed and read once into a decompressed copy: a pipe
    (rows.jsonl.gz made with mkfifo), or a file the readers do not stream by its name
    (formats.file_format): Parquet, whose reader seeks (rows.parquet.gz, and rows.gz whose
    first bytes inside are Parquet's). A file that will not decompress is left to the readers,
    which say so."""
    if compression_of(path) is None:
        return False
    return is_pipe(path) or (path.is_file() and read_format(path) == "parquet")


class _Prefixed(io.RawIOBase):
    """A stream's first bytes, read to tell its compression, then the rest of it."""

    def __init__(self, head: bytes, rest):
        super().__init__()
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            return n
        return self.rest.readinto(buffer)


def _read_up_to(stream, size: int) -> bytes:
    """`size` bytes of a pipe, or fewer where it ends first (one read may give fewer)."""
    head = b""
    while len(head) < size and (more := stream.read(size - len(head))):
        head += more
    return head


def _opened(path: Path, compressed: bool, stack: ExitStack) -> tuple:
    """(its bytes as a file to read, decompressed; the compression or None): a file named
    compressed by its suffix, a stream by its first bytes."""
    if compressed:
        return stack.enter_context(open_compressed(path, path.suffix.lower())), path.suffix
    raw = stack.enter_context(open(path, "rb"))
    head = _read_up_to(raw, MAGIC_BYTES)
    source = io.BufferedReader(_Prefixed(head, raw))
    compression = magic_compression(head)
    if compression is None:
        return source, None
    return stack.enter_context(open_compressed(source, compression)), compression


def input_name(path: str | Path) -> str:
    """An input as messages name it: `-` as "stdin", else as given."""
    return "stdin" if str(path) == "-" else str(path)


# the private decompressed copies held for a command's duration (held_input), by the resolved
# path of the file they copy: every readable_input of that file reads the one copy
_HELD: dict[str, Path] = {}


@contextmanager
def held_input(path: str | Path) -> Iterator[None]:
    """For the block's duration (a command that reads its input more than once: translate and
    langid read its columns' types, check every row, then read it again), one private
    decompressed copy of a compressed Parquet file (rows.parquet.gz, which every reader
    otherwise decompresses again), which every readable_input of it reads; removed on leaving,
    on an error too. Any other input (a pipe, which the readers refuse, a missing file, a format
    read as it is) is left to the readers."""
    path = Path(path).expanduser()
    key = str(path.resolve())
    if key in _HELD or not (path.is_file() and is_decompressed(path)):
        yield
        return
    with readable_input(path) as copy:
        _HELD[key] = copy
        try:
            yield
        finally:
            del _HELD[key]


@contextmanager
def readable_input(path: str | Path) -> Iterator[Path]:
    """`path` itself (rows.jsonl.gz too: the readers decompress it), or for a pipe, standard
    input or a compressed file the readers do not decompress (is_decompressed) a private copy
    of everything it gives (decompressed: a file by its name, a stream by its first bytes),
    removed on leaving, unless held_input holds one already; an InputError naming the copy is
    said of `path` (`-` as "stdin")."""
    path = Path(path).expanduser()
    held = _HELD.get(str(path.resolve())) if _HELD and path.is_file() else None
    if held is not None:
        with _said_of(held, str(path)):
            yield held
        return
    compressed = is_decompressed(path)
    if not (compressed or is_stream(path)):
        yield path
        return
    shown = input_name(path)
    if str(path) == "-":
        path = Path("/dev/stdin")
    folder = Path(tempfile.mkdtemp(prefix="shoprel-input-"))
    try:
        spooled = folder / "input"
        compression = path.suffix.lower() if compressed else None
        try:
            with ExitStack() as stack:
                source, compression = _opened(path, compressed, stack)
                copy = stack.enter_context(open(spooled, "wb"))
                head = source.read(SNIFF_BYTES)
                copy.write(head)
                shutil.copyfileobj(source, copy, 1 << 20)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                if compression is None:
                    raise
                raise not_decompressed(compression, compressed, shown, exc) from None
            raise InputError(f"could not be copied into the temporary folder {folder.parent} to be "
                             f"read once ({os.strerror(exc.errno)}): set TMPDIR to a folder with "
                             "room, or give an uncompressed file", path=shown) from None
        except (EOFError, zlib.error, lzma.LZMAError) as exc:  # cut short, or damaged
            raise not_decompressed(compression, compressed, shown, exc) from None
        suffix = format_suffix(path)  # rows.jsonl.gz (a pipe so named) is JSON lines
        copy_path = spooled.rename(
            folder / f"input{suffix if suffix in FORMATS else sniffed_suffix(head)}")
        with _said_of(copy_path, shown):
            yield copy_path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _said_of(copy_path: Path, shown: str) -> Iterator[None]:
    """An InputError naming a private copy said of the input it copies (`shown`)."""
    try:
        yield
    except InputError as exc:
        if exc.path != str(copy_path):
            raise
        raise InputError(exc.reason, path=shown, line=exc.line, field=exc.field,
                         line_label=exc.line_label) from None
