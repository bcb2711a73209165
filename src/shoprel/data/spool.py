"""An input given as a pipe (`<(zcat rows.jsonl.gz)`, `/dev/stdin`) or compressed (rows.jsonl.gz),
copied once to a private file, so that a command that reads its input once (predict,
check-submission, evaluate) takes it as it takes a file.

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

from shoprel.data.formats import FORMATS
from shoprel.errors import ConfigError, InputError, one_line_reason

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
STDIN = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")


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
    named = is_stdin(path) or str(path.parent) in ("/dev/fd", "/proc/self/fd")
    return named and path.suffix.lower() not in FORMATS


# compressions the standard library opens, by the suffix a compressed file carries
DECOMPRESSED = (".gz", ".bz2", ".xz")


def is_decompressed(path: Path) -> bool:
    """Whether `path` is a file (or pipe) named as compressed in a way `readable_input` opens
    (rows.jsonl.gz), read once into its copy."""
    return path.suffix.lower() in DECOMPRESSED and (path.is_file() or is_pipe(path))


# the first bytes of a compressed stream (bzip2's 'BZh' is followed by its block size, 1-9)
MAGIC = ((b"\x1f\x8b", ".gz"), (b"\xfd7zXZ\x00", ".xz"),
         *((b"BZh" + str(size).encode(), ".bz2") for size in range(1, 10)))


def magic_compression(head: bytes) -> str | None:
    """The suffix of the compression whose magic bytes `head` starts with, else None."""
    return next((suffix for magic, suffix in MAGIC if head.startswith(magic)), None)


def _not_decompressed(compression: str, by_name: bool, shown, exc: BaseException) -> InputError:
    """A compressed file cut short, damaged or not compressed as its name (or, for a stream,
    its first bytes) says, in one line."""
    if by_name:
        return InputError(f"cannot be decompressed as {compression} ({one_line_reason(exc)}): is "
                          "the file whole, and compressed as its name says?", path=shown)
    name = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}[compression]
    return InputError(f"starts as {name}-compressed data but cannot be decompressed "
                      f"({one_line_reason(exc)}): is the stream whole?", path=shown)


def _open_compressed(source, compression: str):
    import bz2
    import gzip

    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[compression](source, "rb")


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
        return stack.enter_context(_open_compressed(path, path.suffix.lower())), path.suffix
    raw = stack.enter_context(open(path, "rb"))
    head = _read_up_to(raw, max(len(magic) for magic, _ in MAGIC))
    source = io.BufferedReader(_Prefixed(head, raw))
    compression = magic_compression(head)
    if compression is None:
        return source, None
    return stack.enter_context(_open_compressed(source, compression)), compression


def input_name(path: str | Path) -> str:
    """An input as messages name it: `-` as "stdin", else as given."""
    return "stdin" if str(path) == "-" else str(path)


def _not_misnamed_gzip(path: Path) -> None:
    """A file of gzip bytes named as plain (rows.jsonl) is refused, as the readers refuse it,
    but told the name these commands read it by: no gzip stream is UTF-8 text (0x8b starts no
    character), so its first bytes say it. bzip2's 'BZh1' can start a CSV header: left be."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return  # the reader names what is wrong with it
    if magic_compression(head) == ".gz":
        raise InputError(f"is gzip-compressed, not text; name it {path.name}.gz, which predict, "
                         "evaluate and check-submission read, or decompress it first (gunzip "
                         "-k) and give the file inside", path=path)


@contextmanager
def readable_input(path: str | Path) -> Iterator[Path]:
    """`path` itself, or for a pipe, standard input or a compressed file (.gz, .bz2, .xz) a
    private copy of everything it gives (decompressed: a file by its name, a stream by its
    first bytes), removed on leaving; an InputError
    naming the copy is said of `path` (`-` as "stdin")."""
    path = Path(path).expanduser()
    compressed = is_decompressed(path)
    if not (compressed or is_stream(path)):
        if path.is_file():
            _not_misnamed_gzip(path)
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
                raise _not_decompressed(compression, compressed, shown, exc) from None
            raise InputError(f"could not be copied into the temporary folder {folder.parent} to be "
                             f"read once ({os.strerror(exc.errno)}): set TMPDIR to a folder with "
                             "room, or give an uncompressed file", path=shown) from None
        except (EOFError, zlib.error, lzma.LZMAError) as exc:  # cut short, or damaged
            raise _not_decompressed(compression, compressed, shown, exc) from None
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
