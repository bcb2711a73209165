"""A uvicorn server in a thread of the test, on a socket bound to 127.0.0.1:0 (no port race),
for tests that reach into the server (its protocol, its connections) while it runs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


@contextmanager
def threaded_server(config: uvicorn.Config, timeout_s: float = 20
                    ) -> Iterator[tuple[uvicorn.Server, tuple[str, int], threading.Thread]]:
    """Yields (server, address, thread) once the server has started, failing the test if it
    has not within `timeout_s` or its thread ended first; stops it (as long again) after."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield server, listener.getsockname(), thread
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        listener.close()
