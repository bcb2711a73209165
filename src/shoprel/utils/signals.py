"""SIGTERM (what `kill`, systemd and job schedulers send) stops a command as Ctrl-C does.

Python's default for SIGTERM ends the process at once, skipping every `finally`, so temporary
outputs stayed behind; raised as KeyboardInterrupt, the atomic writers remove them.
"""

from __future__ import annotations

import signal
import threading


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def terminate_as_interrupt() -> None:
    """Install the handler (main thread only; a server installs its own later)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
