"""What a lock file shoprel cannot tell for its own holds, said the same way wherever one
stops a write: beside an output (atomic.output_lock) or inside a folder --overwrite would
replace (output_stamp.check_replaceable)."""

from __future__ import annotations

import os
import re


def pid_alive(pid: int) -> bool:
    """Whether a process of that pid runs here. No process has a pid below 1 (kill's 0 and
    -1 address groups of processes) or past the system's pid type (a lock holding a time in
    milliseconds was an OverflowError traceback)."""
    if pid < 1:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def foreign_lock_words(held: bytes) -> str:
    """What a lock file that is not shoprel's holds, so that the user can tell whether deleting
    it is safe: an older shoprel wrote its bare pid (and left it when killed), and one killed as
    it took the lock where the file system refuses hard links left it empty. Whose a bare pid
    is cannot be told: another program's lock may hold one too, so it is only named."""
    if not held:
        return ("it is empty: another program's, or left by a shoprel killed as it took it "
                "where the file system refuses hard links")
    bare_pid = re.fullmatch(rb"(\d{1,20})\r?\n?", held)  # as `echo $$ > FILE` writes it too
    if bare_pid:
        pid = int(bare_pid.group(1))
        if pid_alive(pid):
            return (f"it holds pid {pid}, a running process's: another program's or an older "
                    "shoprel's")
        return (f"it holds pid {pid}, not running: left by an older shoprel or another program "
                "that stopped")
    return "another program's, or an older shoprel's"
