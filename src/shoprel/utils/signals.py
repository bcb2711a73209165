"""SIGTERM (what `kill`, systemd and job schedulers send) stops a command as Ctrl-C does.

Python's default for SIGTERM ends the process at once, skipping every `finally`, so temporary
outputs stayed behind; raised as KeyboardInterrupt, the atomic writers remove them. It is the
way to stop a command started with `&` from a script: such a job ignores SIGINT (bash sets
it so), and Python keeps a SIGINT it was started ignoring ignored.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SignalStop(KeyboardInterrupt):
    """The interrupt a signal raised, carrying its number: the record lives and dies with the
    interrupt, so one caught and carried past leaves nothing that a later Ctrl-C reads."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _interrupt(signum, frame):
    raise SignalStop(signum)


def exit_status(stop: BaseException) -> int:
    """A stopped command's exit status, as a shell gives a process the signal ended, 128 + its
    number: 143 for SIGTERM (job schedulers, systemd, docker and Kubernetes read it as stopped
    by SIGTERM; it exited 130, Ctrl-C's), 130 for Ctrl-C. A command that says what it kept
    raises its own interrupt while handling the signal's, so the chain is followed back."""
    seen = stop
    while isinstance(seen, KeyboardInterrupt):
        if isinstance(seen, SignalStop):
            return 128 + seen.signum
        seen = seen.__cause__ or seen.__context__
    return 128 + signal.SIGINT


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
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def sigterm_at_default_as_interrupt() -> Iterator[None]:
    """For a Python call (the API's) that keeps what it finished when stopped, as its command
    does: SIGTERM raises KeyboardInterrupt inside the block where the program leaves SIGTERM
    at its default (which ends the process at once, skipping every `finally`), and the
    default is back after. A handler of the program's own, SIG_IGN, and every handler off the
    main thread are left as they are: the program chose what SIGTERM does."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stops_on_sigterm(function: Callable) -> Callable:
    """An API call that stops on SIGTERM as its command does (sigterm_at_default_as_interrupt
    for the call's length): at SIGTERM's default the process ended mid-call, leaving the
    temporaries and lock of what it was writing, a spooled input in TMPDIR, and not saying
    what it kept (a translation cache, an index's parts, a run whose student was stopped)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with sigterm_at_default_as_interrupt():
            return function(*args, **kwargs)
    return wrapper
