"""A `shoprel serve` child process in tests: a free port, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_ready(url: str, proc: subprocess.Popen, output: Callable[[], str],
                     timeout_s: float = 60) -> None:
    """Poll /readyz until it answers 200; fail with the server's output if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            assert proc.poll() is None, output()
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
