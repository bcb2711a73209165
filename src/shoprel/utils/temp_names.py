"""shoprel's own temporary and lock file names, told apart from a user's: --overwrite passes
over them and atomic.py writes, clears and removes them."""

from __future__ import annotations

import re
from pathlib import Path

# shoprel's own temporary names (atomic.py): `.NAME.PID@HOST.RANDOM.partial` (`.old`: an
# output being replaced, kept until the swap is done) and a writer's `.NAME.lock`
TEMP_FILE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)@(?P<host>[0-9a-f]{6})\.[^.]+"
                       r"\.(partial|old)$")
LOCK_FILE = re.compile(r"^\..+\.lock$")
# what output_lock writes into its lock file, its writer's pid and HOST: another program's
# `.NAME.lock` (a bare pid, anything else) is not shoprel's to pass over or remove
LOCK_HOLDER = re.compile(r"shoprel (?P<pid>\d{1,20})@(?P<host>[0-9a-f]{6})")


def is_temporary(path: Path) -> bool:
    """A temporary file or folder of a shoprel writer, live or killed (TEMP_FILE), or a lock
    file output_lock left (it holds LOCK_HOLDER from the moment it exists): never user data, so
    --overwrite passes over it. A name only shaped like one (`.notes.old`, a `.db.lock` of the
    user's or another program's, even one holding a bare pid or nothing) is the user's."""
    if TEMP_FILE.match(path.name):
        return True
    if not LOCK_FILE.match(path.name) or path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            held = handle.read(64)
    except OSError:
        return False
    return lock_holder(held) is not None


def lock_holder(held: bytes) -> tuple[int, str] | None:
    """(pid, host) of the writer a lock file's bytes name, as output_lock writes them; None
    for anything else (another program's lock, a bare pid of shoprel before LOCK_HOLDER)."""
    match = LOCK_HOLDER.fullmatch(held.decode("ascii", errors="replace"))
    return (int(match["pid"]), match["host"]) if match else None
