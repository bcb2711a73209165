"""Where a command may write, decided before any work starts.

Every command that writes calls one of the two checks here with what it reads, so that no
output can destroy an input file, a run being read (or a file it, one of its members or its
carried student learnt from), a folder shoprel did not write, or (with --overwrite) a file
that is not the command's own earlier output. The checks look at paths (and the runs' records
of those files) only, but for that last one, which the command's guard tells by the file's
content (check_own_output); `atomic.py` does the writing (and repeats the folder check, and a
file's guard, under its lock, so that what changed during a long run is still not replaced
blindly).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from shoprel.data.file_kind import HEAD_BYTES, PARQUET_DATA, first_bytes_kind
from shoprel.data.formats import FORMATS, format_suffix
from shoprel.data.spool import FD_FOLDERS
from shoprel.errors import InputError, OutputError, OutputExistsError, one_line_reason
from shoprel.utils.output_stamp import (
    LEGACY_RUN_ENTRIES,
    LEGACY_RUN_FILES,
    LegacyEntries,
    LegacyFiles,
    check_replaceable,
)
from shoprel.utils.path_limits import nearest_existing
from shoprel.utils.run_training_files import (
    NOISE_FLAGGED,
    STAGE0_FILE,
    training_files,
    unreadable_records,
)
from shoprel.utils.shoprel_folders import (
    RUN_MARKER,
    PathLike,
    occupied,
    resolved,
    shoprel_output_holding,
)

# what reading a file that is no data file of the kind raises (a reader's one line, a binary
# file's bytes, a JSON or Parquet library's complaint)
UNREADABLE = (InputError, OSError, ValueError, UnicodeError)
# what an output file's command calls with `--overwrite` on the file there: it refuses (an
# OutputError) a file that is not the command's own earlier output (check_own_output)
Guard = Callable[[Path], None]


def at_or_below(path: Path, folder: Path) -> bool:
    """Whether the resolved `path` is `folder` or lies inside it: the one containment test of
    every check that keeps what a command writes apart from what it reads."""
    return path == folder or folder in path.parents


def _overlap(a: Path, b: Path) -> bool:
    """Whether one of two resolved paths is the other or lies inside it."""
    return at_or_below(a, b) or at_or_below(b, a)


def same_file(a: PathLike, b: PathLike) -> bool:
    """The same file by inode (hard links, symlinks), or the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return resolved(a) == resolved(b)


def check_not_a_link(out: PathLike, kind: str = "folder") -> None:
    """Refuse an output named by a symbolic link: --overwrite would replace the link, which
    the command did not write, and a build would write wherever it leads."""
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link (to {os.readlink(out)}); give the real "
                          f"{kind} or another path")


def check_not_special(out: PathLike) -> None:
    """Refuse a file output that exists as something other than a file: a device (`--out
    /dev/null`), a named pipe or a socket is no output to replace, and replaced by root it
    would leave the system without its /dev/null."""
    out = Path(out)
    if out.exists() and not out.is_file() and not out.is_dir():
        raise OutputError(f"{out}: is not a regular file (a device, pipe or socket); the output "
                          "must be a file name")


# the streams a path of /dev or of a process's fd folder names, by file descriptor
STREAMS = {0: "stdin", 1: "stdout", 2: "stderr"}


def stream_named(out: PathLike) -> str | None:
    """The open stream a path names, as written, not resolved ('/dev/stdout', '/dev/fd/2',
    '/proc/self/fd/1': 'stdout', 'stderr', 'file descriptor 5'), or None for any other path."""
    path = Path(os.path.abspath(Path(out).expanduser()))
    if path.parent == Path("/dev") and path.name in STREAMS.values():
        return path.name
    if str(path.parent) in FD_FOLDERS and path.name.isascii() and path.name.isdigit():
        return STREAMS.get(int(path.name), f"file descriptor {int(path.name)}")
    return None


def check_file_target(out: PathLike) -> None:
    """A file output's own path may be written: it is no folder, device, pipe or socket, nor
    `-` or a stream's path (/dev/stdout), which a user takes for stdout (inputs take `-` as
    stdin): `-` was written as a file of that name, and /dev/stdout was told 'cannot write in
    /dev (No such file or directory)' by langid (stdout a pipe) or 'already exists (use
    --overwrite ...)' (stdout a file), which --overwrite then refused as a link. Also asked
    before the first of several files is written (a run's metrics.json, then its report), so
    that a refused second one leaves the first as it was."""
    if Path(out) == Path("-"):
        raise OutputError("-: outputs are written to files, not to stdout; give a file name "
                          "(`-` is stdin only for an input)")
    if stream := stream_named(out):
        raise OutputError(f"{out}: outputs are written to files, not to {stream}; give a file "
                          "name")
    if Path(out).is_dir():
        raise OutputError(f"{out}: is a folder; the output must be a file name")
    check_not_special(out)


def check_folder_target(out: PathLike) -> None:
    """A folder output is not `-`: it reads as stdout to a user, as a file output's does
    (check_file_target), and was made as a folder of that name in the current folder."""
    if Path(out) == Path("-"):
        raise OutputError("-: this output is a folder, not stdout; give a folder name (`-` is "
                          "stdin only for an input)")


def check_parent(out: PathLike) -> None:
    """The output's nearest existing ancestor must be a folder this process can write in."""
    out = Path(out)
    ancestor = nearest_existing(out.absolute().parent)
    if not ancestor.is_dir():
        raise OutputError(f"{out}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot write in {ancestor} (permission denied)")


def check_output_file(out: PathLike, reads: Iterable[PathLike] = (),
                      runs: Iterable[PathLike] = (), own: Iterable[PathLike] = (),
                      overwrite: bool = False, guard: Guard | None = None) -> Path:
    """Refuse a file output that is a folder or a device, pipe or socket, is one of the input
    files `reads` or the file one of the runs `runs` was trained on (also through links, and
    with `overwrite`: the user's data), lies inside one of those run folders, unless it is
    one of the run files the command rewrites as its own (`own`, e.g. RUN/report.html for
    `report`), or exists without `overwrite` (a file of the user's that only looks like an
    output), or with it is not the command's own earlier output, as its `guard` tells
    (check_own_output)."""
    out, runs = Path(out), list(runs)  # `runs` is read twice below
    check_file_target(out)
    for source in reads:
        if Path(source).exists() and same_file(out, Path(source)):
            raise OutputError(f"{out}: is the input file {source}; writing it would destroy "
                              "the input, choose another output")
    for run in runs:
        for holder, field, trained_on in training_files(run):
            if Path(trained_on).exists() and same_file(out, Path(trained_on)):
                if field == NOISE_FLAGGED:  # no data of the user's, but what the run learnt
                    raise OutputError(f"{out}: is {trained_on}, the flagged ids the run {holder} "
                                      f"was trained with (its metrics.json {field}); writing it "
                                      "would change what that run learnt from, choose another "
                                      "output")
                who = f"the run {holder}"
                who = f"the stage 0 of {who}" if field == STAGE0_FILE else who
                raise OutputError(f"{out}: is {trained_on}, the file {who} was trained on (its "
                                  f"metrics.json {field}); writing it would destroy that data, "
                                  "choose another output")
    mine = {resolved(path) for path in own}
    if overwrite and holds_data(out) and resolved(out) not in mine:
        for run in runs:
            for record, why in unreadable_records(run):
                raise OutputError(f"{out}: --overwrite cannot tell whether it is a file the run "
                                  f"{record.parent} learnt from: {record} cannot be read "
                                  f"({why}); restore it, or choose another output")
    for run in runs:
        if resolved(out) not in mine and _overlap(resolved(out), resolved(run)):
            raise OutputError(f"{out}: lies inside the run folder {run} being read; write it "
                              "outside the run")
    if resolved(out) not in mine:
        check_outside_outputs(out, then="writing there would change it, write the file "
                                        "outside it")
    if overwrite:  # without it, "already exists" says enough
        check_not_a_link(out, "file")
    if occupied(out) and not overwrite and resolved(out) not in mine:
        raise OutputExistsError.at(out)
    if overwrite and guard is not None and resolved(out) not in mine:
        guard(out)
    check_parent(out)
    return out


def holds_data(path: PathLike) -> bool:
    """An existing, non-empty file: an empty one holds nothing to lose; what is no file at all
    check_file_target refuses."""
    path = Path(path)
    return path.is_file() and path.stat().st_size > 0


def check_own_output(out: PathLike, not_own: Callable[[Path], str | None], what: str,
                     command: str) -> None:
    """`--overwrite` replaces an existing non-empty file only when it is `command`'s own
    output, `what` (a predictions file, an HTML page shoprel wrote): outputs take the names of
    data files, and a gold labels file given as the output by mistake was destroyed.
    `not_own(out)` says why the file is not one, or None; a file it cannot read is not one,
    and is said to be what it is (unreadable_said). Refused in one line naming the file, why,
    and what to do."""
    out = Path(out)
    if not holds_data(out):
        return
    try:
        why = not_own(out)
    except UNREADABLE as exc:
        why = f"it does not read as one: {unreadable_said(out, exc)}"
    if why is not None:
        raise OutputError(f"{out}: exists and is not {what} ({why}); --overwrite replaces "
                          f"only {command}'s own output: choose another name or move the file "
                          "away first")


def unreadable_said(path: Path, exc: BaseException) -> str:
    """What a file that `exc` stopped a reader of is, in a few words for a refusal: what its
    first bytes show (compressed data, an archive, binary data: data/file_kind.py) where they
    show it, else where and why the reader stopped ('line 3: malformed JSON ...')."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        return f"it cannot be read ({error.strerror or one_line_reason(error)})"
    kind = first_bytes_kind(head)
    if kind == PARQUET_DATA and FORMATS.get(format_suffix(path)) == "parquet":
        kind = None  # a Parquet file that does not read: the reader says why
    if kind is not None:
        return f"it is {kind}"
    if isinstance(exc, InputError):
        return f"{exc.line_label} {exc.line}: {exc.reason}" if exc.line else exc.reason
    return one_line_reason(exc)


def check_outside_outputs(out: PathLike, then: str, allowed: PathLike | None = None) -> None:
    """Refuse an output inside a folder shoprel wrote (but `allowed`); `then`: what to do."""
    holder = shoprel_output_holding(out)
    if holder is not None and (allowed is None or holder != resolved(allowed)):
        raise OutputError(f"{out}: lies inside {holder}, a folder shoprel wrote (a run, an "
                          f"index or a backbone); {then}")


def check_html_name(out: PathLike) -> None:
    """A page (report, comparison) goes only to a .html/.htm name: written to a name like
    train_QC.txt with --overwrite it would replace a data file with HTML."""
    if Path(out).suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{out}: an HTML page is written there; give a name ending in .html")


def check_not_current(out: PathLike) -> None:
    """Refuse a folder output that is or holds the current folder (`--out .`, or `--out ""`
    from an unset shell variable)."""
    if at_or_below(Path.cwd().resolve(), resolved(out)):
        raise OutputError(f"{out}: is the current folder or holds it; the output must be a "
                          "new folder")


def check_not_reading(out: PathLike, reads: Iterable[PathLike]) -> None:
    """Refuse an output that is, holds or lies inside a folder the command reads (writing it
    would change what is being read)."""
    target = resolved(out)
    for source in reads:
        if _overlap(target, resolved(source)):
            raise OutputError(f"{out}: overlaps {source}, which this command reads; the "
                              "output must be a separate folder")


def check_output_dir(out: PathLike, overwrite: bool = False, reads: Iterable[PathLike] = (),
                     legacy_entries: LegacyEntries = LEGACY_RUN_ENTRIES,
                     marker: str = RUN_MARKER, inside: PathLike | None = None,
                     guard: Callable[[Path], None] | None = None,
                     legacy_files: LegacyFiles = LEGACY_RUN_FILES) -> Path:
    """Refuse a folder output that is `-`, is a symbolic link, is or holds the current folder
    or anything read, lies inside a folder shoprel wrote (but `inside`, the run a carried
    student goes into), is a file, exists without `overwrite`, or (with it) is not a folder
    shoprel wrote — decided by `guard` where the command has its own (the one it gives
    atomic_dir), else by check_replaceable."""
    out = Path(out)
    check_folder_target(out)
    check_not_a_link(out)
    check_not_current(out)
    check_not_reading(out, reads)
    check_outside_outputs(out, allowed=inside,
                          then="writing there would change it, choose a folder outside it")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out}: is a file, not a folder; choose a new folder name")
        if not overwrite:
            raise OutputExistsError.at(out)
        if guard is not None:
            guard(out)
        else:
            check_replaceable(out, legacy_entries, marker, legacy_files)
    check_parent(out)
    return out
