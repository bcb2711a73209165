"""Outputs appear complete or not at all: write beside the target, then rename.

Temporary names carry the writer's pid and host (`.NAME.PID@HOST.RANDOM.partial`): a writer
killed with SIGKILL cleans nothing up, so the next writer of the same target removes what dead
writers left. A folder written for a command (`guard` given) is also locked for the whole write,
so that of two processes writing one output the second fails at once instead of both training
and the later silently replacing the earlier; and the final rename never replaces a folder
unless overwrite was asked.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from shoprel.errors import OutputError, OutputExistsError
from shoprel.utils.lock_files import foreign_lock_words, pid_alive
from shoprel.utils.output_stamp import read_stamp, stamp_entries
from shoprel.utils.outputs import Guard, check_file_target, check_not_a_link
from shoprel.utils.shoprel_folders import STAMP, occupied
from shoprel.utils.temp_names import LOCK_FILE, TEMP_FILE, lock_holder

# how long a short read-modify-write of a file several commands update (a run's stamp or
# metrics) waits for another process's, before failing with the holder's pid
SHARED_FILE_WAIT_S = 60.0
# a disk (or quota) filling up mid-write: said in one line naming the output, not a traceback
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
# os.link refused by the file system itself (FAT, some network mounts): no hard links there
_NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def host_tag() -> str:
    """This machine's HOST in temporary names (6 hex digits of its name's SHA-1): only the
    leftovers of writers on this host are judged dead by their pid."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def _prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}@{host_tag()}."


def clean_stale(target: str | os.PathLike) -> list[Path]:
    """Remove what dead writers left beside `target`: their temporary files and folders (of any
    output in that folder) and output_lock's lock files (lock_text) nobody holds; another
    program's `.NAME.lock` is left alone, whatever pid it holds. Returns what was removed.

    Only this host's writers are judged (a pid means nothing on another machine sharing the
    folder); a lock file is removed only while this process holds its flock, so a writer that
    opens it meanwhile notices (output_lock re-checks the inode) and takes a fresh one.
    """
    target = Path(target).expanduser()
    removed = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    own_lock = _lock_path(target)
    for path in siblings:
        if TEMP_FILE.match(path.name):
            if not dead_writer_leftover(path):
                continue
            if restore_swapped(path):
                continue  # a writer killed mid-swap: its output is the previous one, restored
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        elif LOCK_FILE.match(path.name) and path != own_lock and _unheld_lock_removed(path):
            removed.append(path)
    return removed


def dead_writer_leftover(path: str | os.PathLike) -> bool:
    """Whether `path` is a temporary file or folder that a writer on this host left when it
    died (its pid gone): never part of a finished output, safe to remove."""
    match = TEMP_FILE.match(Path(path).name)
    return bool(match) and match["host"] == host_tag() and not pid_alive(int(match["pid"]))


def restore_swapped(path: str | os.PathLike) -> bool:
    """Put back the output in `path`, a dead writer's `.old` backup (_backup_beside) whose
    output is gone: atomic_dir's writer was killed between its two renames, so the backup is
    the only copy (restored_on_failure's keeps its file in place: gone only if removed since).
    True when it went back; False for anything else (to be removed as a leftover, or left)."""
    path = Path(path)
    match = TEMP_FILE.match(path.name)
    return (bool(match) and path.name.endswith(".old") and path.is_dir()
            and not path.is_symlink() and dead_writer_leftover(path)
            and _put_back(path, path.parent / match["name"]))


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _real_lock_path(target: Path) -> Path:
    """The lock of what `target` names, wherever links lead: two writers reaching one output by
    different paths (a symlinked folder) must take the same lock. A link to nowhere locks
    beside the link."""
    real = target.resolve()
    if not real.parent.is_dir():
        real = target.parent.resolve() / target.name
    return _lock_path(real)


def live_writer(target: str | os.PathLike) -> int | None:
    """The pid of a shoprel process on this host writing `target` now (its output_lock held),
    else None: a reader can tell a build in progress from one that was stopped."""
    try:
        held = _real_lock_path(Path(target)).read_bytes()[:64]
    except OSError:
        return None
    writer = local_writer(held)
    return writer[0] if writer is not None and writer[1] else None


def local_writer(held: bytes) -> tuple[int, bool] | None:
    """(pid, alive) of the shoprel writer on this host that a lock file's bytes name; None for
    another program's lock (or garbled bytes) and for another machine's writer, whose pid
    means nothing here. live_writer (a build running) and clean_stale (a lock nobody holds)
    both ask it, so a lock is never both running and removable."""
    holder = lock_holder(held)
    if holder is None or holder[1] != host_tag():
        return None
    return holder[0], pid_alive(holder[0])


def lock_text(pid: int) -> bytes:
    """What output_lock writes into its lock file (temp_names.LOCK_HOLDER): the writer's pid and
    host, marked as shoprel's, so that clean_stale and --overwrite tell it from another
    program's `.NAME.lock` holding a pid of its own."""
    return f"shoprel {pid}@{host_tag()}".encode("ascii")


def _unheld_lock_removed(lock: Path) -> bool:
    """Remove a lock file that output_lock wrote on this host (lock_text) for a process now
    dead; another program's lock (a bare pid, anything else) is left alone."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        writer = local_writer(os.read(fd, 64))
        if writer is None or writer[1]:
            raise BlockingIOError  # not ours, another machine's, or its writer lives
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    try:
        lock.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return True


def _make_parent(target: Path) -> list[Path]:
    """Create the target's missing parent folders; returns those created (deepest last)."""
    missing = []
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{target}: a part of the path is a file, not a folder") from None
    except PermissionError:
        raise OutputError(f"{target}: cannot create {target.parent} (permission denied)") from None
    except OSError as exc:  # a read-only or virtual file system (/proc, /sys), a full disk
        raise OutputError(f"{target}: cannot create {target.parent} "
                          f"({exc.strerror or exc})") from None
    return list(reversed(missing))


def _remove_created(created: list[Path]) -> None:
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only while empty: never what another writer put there


@contextlib.contextmanager
def _write_access(target: Path) -> Iterator[None]:
    """Creating the temporary file, folder or lock beside `target`: refused, it is one line
    naming the folder. A folder that passes the output checks' access test but takes no new
    file (/proc: 'No such file or directory') came out as a traceback."""
    try:
        yield
    except PermissionError:
        raise OutputError(f"{target}: cannot write in {target.parent} (permission denied)"
                          ) from None
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise _disk_full(target, exc.errno) from None
        raise OutputError(f"{target}: cannot write in {target.parent} "
                          f"({exc.strerror or exc})") from None


@contextlib.contextmanager
def _swap_access(target: Path) -> Iterator[None]:
    """Renaming the finished output over `target`: refused (an immutable file or folder, one
    of another user's in a sticky folder such as /tmp: 'Operation not permitted'), it is one
    line saying the old one is kept. It was a PermissionError traceback, after the whole
    run (`distill --overwrite`, `far-pairs` on a run whose metrics.json is locked)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise
        raise OutputError(f"{target}: cannot be replaced ({exc.strerror or exc}); the one "
                          "there is kept as it was: make it writable, or choose another "
                          "output") from None


def fsync_file(path: Path) -> None:
    """Push a written file's bytes to the disk: renamed into place before they are, a power cut
    can leave the file under its final name empty or zero-filled."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename into `folder` itself survive a power cut, where the platform allows it
    (some cannot open or fsync a folder: then the rename is as durable as it gets there)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Push every file below `folder`, and each folder's entries, to the disk before the folder
    is renamed into place: unsynced, a power cut can leave the renamed folder with files empty
    or missing under their final names. Links and special files are left alone (opening a
    FIFO would block)."""
    for root, _, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            if stat.S_ISREG(path.lstat().st_mode):
                fsync_file(path)
        fsync_folder(Path(root))


def _synced(sync: Callable[[Path], None], written: Path, target: Path) -> None:
    """`sync(written)` (fsync_file, fsync_tree), a disk that fails it (an I/O error, or a full
    disk some file systems report only now) said in one line naming the output."""
    try:
        sync(written)
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise _disk_full(target, exc.errno) from None
        raise OutputError(f"{target}: could not be written to the disk ({exc.strerror or exc}); "
                          "nothing was written") from None


def _disk_full(target: Path, code: int) -> OutputError:
    return OutputError(f"{target}: {os.strerror(code)} while writing it; nothing was written "
                       "(free some space, or write elsewhere)")


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, replace: bool = True,
                durable: bool = False, guard: Guard | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it over the target on success.
    `replace` False: a target that appeared meanwhile (a user's file, another command's output
    written before this one's lock) is kept and the write refused, as without --overwrite;
    True with a `guard`: the target there at the swap is replaced only if the guard passes it
    (outputs.check_own_output: the command's own output, not a file made while it worked).
    `durable`: the file is fsynced before its rename and the folder after it, for a file that
    is trusted as whole once in place: every output a command reports as written (predictions,
    reports, a run's metrics) and a target index's segments; caches rebuilt when damaged skip it."""
    target = Path(path).expanduser()  # as pandas and the output checks read it
    check_file_target(target)
    created = _make_parent(target)
    clean_stale(target)
    with _write_access(target):
        fd, tmp = tempfile.mkstemp(prefix=_prefix(target), suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        if not replace and occupied(target):
            raise OutputExistsError(f"{target} was created by another process while this one "
                                    "worked; nothing was replaced (use --overwrite to replace "
                                    "it)")
        if replace and guard is not None and target.exists():
            guard(target)
        if durable:
            _synced(fsync_file, tmp_path, target)
        with _swap_access(target):
            os.replace(tmp_path, target)
        if durable:
            fsync_folder(target.parent)
    except BaseException as exc:
        tmp_path.unlink(missing_ok=True)
        _remove_created(created)
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            raise _disk_full(target, exc.errno) from None
        raise


@contextlib.contextmanager
def restored_on_failure(path: str | os.PathLike) -> Iterator[None]:
    """Keep the file at `path` as it is now while the block replaces it and then a file that
    goes with it (a run's report, then its metrics.json): a block that fails puts it back, so
    that the two change together or not at all. Kept in a backup beside it as atomic_dir keeps
    a folder it replaces (_backup_beside), but as a hard link (a copy where the file system has
    none), not moved: the file stays in place for its readers, so a killed writer's backup is
    never the only copy and the next write beside it removes it (restore_swapped). A file that
    was not there is removed again. A symbolic link there is kept as the link (not what it
    leads to): it was removed, as though nothing had been there."""
    target = Path(path).expanduser()
    with contextlib.ExitStack() as stack:
        kept = None
        if target.is_symlink() or target.is_file():
            backup = _backup_beside(target)
            stack.callback(shutil.rmtree, backup, ignore_errors=True)
            kept = backup / "old"
            with _write_access(target):
                _link_or_copy(target, kept)
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError):  # never swapped (the same entry): nothing to undo
                if kept is None:
                    target.unlink(missing_ok=True)
                elif not _same_entry(kept, target):
                    os.replace(kept, target)
            raise


def _link_or_copy(source: Path, kept: Path) -> None:
    """`kept`: another name of the file `source` (a link as the link itself), a copy where the
    file system has no hard links."""
    try:
        os.link(source, kept, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if source.is_symlink():
            os.symlink(os.readlink(source), kept)
        else:
            shutil.copy2(source, kept)


def _same_entry(a: Path, b: Path) -> bool:
    """Whether two names are one file, a link as itself (samefile follows it)."""
    first, second = os.lstat(a), os.lstat(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _new_lock(lock: Path) -> int | None:
    """Create `lock` already holding lock_text and flocked, or None when it exists. The text is
    written into a temporary file first, then hard-linked to the lock's name (which fails if it
    exists, as O_EXCL would): a `.NAME.lock` is never seen empty while shoprel takes it, so an
    empty one is another program's. Where hard links are not supported, O_EXCL then write."""
    fd, tmp = tempfile.mkstemp(prefix=f".{lock.name}.{os.getpid()}@{host_tag()}.",
                               suffix=".partial", dir=lock.parent)
    try:
        os.fchmod(fd, 0o644 & ~_umask())
        os.write(fd, lock_text(os.getpid()))
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else knows it yet
        os.link(tmp, lock)
    except FileExistsError:
        os.close(fd)
        return None
    except OSError as exc:
        os.close(fd)
        if exc.errno not in _NO_HARD_LINKS:
            raise
        return _new_lock_without_links(lock)
    finally:
        os.unlink(tmp)
    return fd


def _new_lock_without_links(lock: Path) -> int | None:
    """_new_lock on a file system without hard links: empty for the moment before its text."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, lock_text(os.getpid()))
    return fd


@contextlib.contextmanager
def output_lock(target: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold `.NAME.lock` beside the target (at its real path) for the whole write; when another
    process holds it, wait up to `wait_s` (a short read-modify-write of a shared file), then
    fail. flock dies with its process, so a killed writer never blocks the next."""
    target = Path(target).expanduser()
    created = _make_parent(target)  # the lock sits beside the output: its folder must exist
    lock = _real_lock_path(target)
    deadline = time.monotonic() + wait_s
    while True:
        with _write_access(target):
            fd = _new_lock(lock)
        if fd is not None:
            break  # ours, created holding its text and flocked
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            continue  # its holder let it go meanwhile: create it again
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(os.read(fd, 64))
            os.close(fd)
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise OutputError(f"{target}: another shoprel process"
                              + (f" (pid {holder[0]})" if holder else "")
                              + " is writing it; wait for it or choose another output") from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        held = os.pread(fd, 64, 0) if same else b""
        if same and lock_holder(held) is None:
            os.close(fd)  # another program's lock (empty ones too): neither rewritten nor removed
            raise OutputError(f"{target}: {lock} is a lock file shoprel cannot tell for its "
                              f"own ({foreign_lock_words(held)}); delete it if nothing uses "
                              "it, or choose another output")
        if same:  # a dead writer's, unheld: removed while flocked (a waiter notices), then anew
            lock.unlink(missing_ok=True)
        os.close(fd)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)
        _remove_created(created)  # folders it made and nothing was written into


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, overwrite: bool = False,
               guard: Callable[[Path], None] | None = None,
               written_for: str | os.PathLike | None = None,
               durable: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside the target; move it into place when the block succeeds.

    An existing target is replaced only with overwrite=True, and only once the new folder is
    complete, so an interrupted run never destroys the previous one; a disk filling up while
    the block writes (a model's file) is one line naming the output, as for a file.
    `guard(target)` (for a command's output, e.g. output_stamp.check_replaceable) decides
    whether an existing target may be replaced; with it the target is locked for the whole
    write and the new folder is stamped with what it holds (and `written_for`: the folder whose
    writer lists it once in place, output_stamp.stamp_entries). `durable`: everything in the
    folder is fsynced before its rename and the parent folder after it, for an output a command
    reports as written (a run, a pretrained backbone, an ONNX export).
    """
    target = Path(path).expanduser()  # as pandas and the output checks read it
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: is a file, not a folder; choose a new folder name")
    if target.exists() and not overwrite:
        raise OutputExistsError.at(target)
    created = _make_parent(target)
    with contextlib.ExitStack() as stack:
        stack.callback(_remove_created, created)
        if guard is not None:
            check_not_a_link(target)  # a command's output: never replace a link, nor follow it
            stack.enter_context(output_lock(target))
            if target.exists():
                if not overwrite:  # another writer finished it between the check above and here
                    raise OutputExistsError.at(target)
                guard(target)
        tmp = _partial_beside(target)
        try:
            yield tmp
            if guard is not None:
                stamp_entries(tmp, written_for)
            _readable(tmp)
            if durable:
                _synced(fsync_tree, tmp, target)
            if guard is not None:
                check_not_a_link(target)  # one may have been put there while this run worked
            if overwrite and target.exists():
                if guard is not None:
                    guard(target)  # it may have changed while this run worked
                backup = _backup_beside(target)
                try:
                    with _swap_access(target):
                        os.replace(target, backup / "old")
                        os.replace(tmp, target)
                except BaseException:  # Ctrl-C between the two renames: the old one goes back
                    if not _put_back(backup, target):
                        with contextlib.suppress(OSError):  # empty: the old one never moved
                            backup.rmdir()
                    raise
                shutil.rmtree(backup, ignore_errors=True)
            else:
                _rename_new(tmp, target)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in _DISK_FULL:  # a model's file, say
                raise _disk_full(target, exc.errno) from None
            raise
        if durable:
            fsync_folder(target.parent)  # the rename itself
        created.clear()  # the parents now hold the output


@contextlib.contextmanager
def scratch_dir(target: str | os.PathLike) -> Iterator[Path]:
    """A folder beside `target` for what its build needs only on the way (downloaded parts, a
    joined GGUF file), removed when the block ends. Named as atomic_dir's temporaries are, so
    that one a killed writer left (SIGKILL; SIGTERM where the program leaves it at its default,
    as a Scorer does) is a dead writer's: the next build of `target` removes it (clean_stale,
    here too) and `shoprel cache prune` lists and removes it. EmbeddingGemma's parts (1.15 GB) were
    left in a `shoprel-egemma-*` folder, Gemma-3-270M's GGUF file in a `shoprel-gguf-*` one
    of the system's temporary folder, that nothing listed or removed."""
    target = Path(target).expanduser()
    _make_parent(target)
    scratch = _partial_beside(target)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _partial_beside(target: Path) -> Path:
    """A new temporary folder beside `target`, named so that one a killed writer left is found
    as a dead writer's (clean_stale, `cache prune`); the dead writers' ones go first."""
    clean_stale(target)
    with _write_access(target):
        return Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".partial",
                                     dir=target.parent))


def _backup_beside(target: Path) -> Path:
    """A new `.NAME.PID@HOST.RANDOM.old` folder beside `target`, where the output being
    replaced is kept as `old` until the swap is done: atomic_dir moves a folder there,
    restored_on_failure links a file. A killed writer's is judged by restore_swapped: put
    back when its output is gone (the only copy), else removed as a leftover."""
    with _write_access(target):
        return Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".old", dir=target.parent))


def _put_back(backup: Path, target: Path) -> bool:
    """Return a replaced output to its place when the new one never got there (an interrupted
    swap; a writer killed in it leaves the backup to the next, see clean_stale)."""
    old = backup / "old"
    if occupied(target) or not old.exists():
        return False
    os.replace(old, target)
    shutil.rmtree(backup, ignore_errors=True)
    return True


def _rename_new(tmp: Path, target: Path) -> None:
    """Move into place without replacing: a folder that appeared meanwhile wins."""
    if target.exists() and any(target.iterdir()):
        raise OutputExistsError(f"{target} was created by another process while this one "
                                "worked; nothing was replaced (use --overwrite to replace it)")
    try:
        os.rename(tmp, target)  # replaces at most an empty folder, never a non-empty one
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise OutputExistsError(f"{target} was created by another process while this one "
                                    "worked; nothing was replaced") from None
        raise


def _readable(folder: Path) -> None:
    """Open up what mkdtemp (0700) and some writers (transformers' weights: 0600) keep private:
    a run or model folder is meant to be read by whoever the umask allows."""
    mask = _umask()
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        wanted = (0o777 if path.is_dir() else 0o666) & ~mask
        mode = path.stat().st_mode & 0o777
        if mode | wanted != mode:
            path.chmod(mode | wanted)


def add_to_stamp(folder: Path, entry: str) -> None:
    """Record a folder written into a finished output after its stamp (a run's target index,
    carried student, a model's ONNX export; `entry` relative, e.g. "models/full/onnx"), so that
    `--overwrite` still knows the folder as shoprel's and what lies below `entry` as its
    writer's. Locked: an index build and a student finishing may both add theirs at once."""
    top = entry.split("/", 1)[0]
    with output_lock(folder / STAMP, wait_s=SHARED_FILE_WAIT_S):
        stamp = read_stamp(folder)
        if stamp is None or (top in stamp["entries"] and entry in stamp.get("open", [])):
            return
        stamp["entries"] = sorted({*stamp["entries"], top})
        stamp["open"] = sorted({*stamp.get("open", []), entry})
        with atomic_file(folder / STAMP, durable=True) as tmp:
            tmp.write_text(json.dumps(stamp), encoding="utf-8")
