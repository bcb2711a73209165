"""SIGTERM (what `kill`, systemd and job schedulers send) stops a command as Ctrl-C does.

Python's default for SIGTERM ends the process at once, skipping every `finally`, so temporary
outputs stayed behind; raised as KeyboardInterrupt, the atomic writers remove them. It is the
way to stop a command started with `&` from a script: such a job ignores SIGINT (bash sets
it so), and Python keeps a SIGINT it was started ignoring ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_received: list[int] = []  # the signals _interrupt raised, in the block now running


def _interrupt(signum, frame):
    _received.append(signum)
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def exit_status() -> int:
    """A stopped command's exit status, as a shell gives a process the signal ended, 128 + its
    number: 143 for SIGTERM (job schedulers, systemd, docker and Kubernetes read it as stopped
    by SIGTERM; it exited 130, Ctrl-C's), 130 for Ctrl-C."""
    return 128 + (_received[-1] if _received else signal.SIGINT)


def terminate_as_interrupt():
    """Install the handler (main thread only; a server installs its own later); returns the
    handler it replaced (None off the main thread, where nothing was changed)."""
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
        return signal.SIG_DFL if previous is None else previous  # None: set outside Python
    return None


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt inside the block; the handler before it is back after
    (a command run in-process, from tests or `main(standalone_mode=False)`, leaves the
    caller's handler as it was)."""
    previous = terminate_as_interrupt()
    received = list(_received)
    _received.clear()
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        _received[:] = received
