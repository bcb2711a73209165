"""A worker of `serve --workers N` ends when its supervisor is gone.

uvicorn's supervisor stops its workers on SIGINT/SIGTERM, but a supervisor killed outright
(SIGKILL, the OOM killer) leaves them serving the port with nobody to restart or stop them,
and a new `serve` on that port is refused. Each worker watches the process that started it and,
once that is gone, stops itself as SIGTERM would: in-flight requests finish first.
"""

from __future__ import annotations

import os
import signal
import threading

SUPERVISOR_ENV = "SHOPREL_SERVE_SUPERVISOR"  # the supervisor's pid, set before workers start
POLL_SECONDS = 1.0


def watch_supervisor(poll_seconds: float = POLL_SECONDS) -> threading.Thread | None:
    """Start a daemon thread that sends this process SIGTERM when its parent is no longer the
    supervisor named in the environment (it is re-parented when the supervisor dies); None
    when not started by one."""
    expected = os.environ.get(SUPERVISOR_ENV)
    if not expected or not expected.isdigit():
        return None
    supervisor = int(expected)
    stopped = threading.Event()

    def watch() -> None:
        while not stopped.wait(poll_seconds):
            if os.getppid() != supervisor:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=watch, name="shoprel-supervisor-watch", daemon=True)
    thread.start()
    return thread
