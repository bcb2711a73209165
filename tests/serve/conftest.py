"""A real uvicorn server on a free 127.0.0.1 port, in a thread, over the demo QC run."""

from __future__ import annotations

import socket
import sys
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from shoprel.serve import ServeSettings, create_app

TEST_SETTINGS = ServeSettings(max_pairs=400, max_text_chars=500, max_body_bytes=256 * 1024,
                              max_batch_pairs=4096, max_wait_ms=20)


class LiveServer:
    def __init__(self, app, server: uvicorn.Server, thread: threading.Thread, url: str):
        self.app, self.server, self.thread, self.url = app, server, thread, url

    def stop(self, timeout: float = 30) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@contextmanager
def live_server(app):
    """Serve app on a socket bound to 127.0.0.1:0 (no port race), wait until ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not become ready")
        time.sleep(0.05)
    live = LiveServer(app, server, thread, url)
    try:
        yield live
    finally:
        live.stop()
        sock.close()


@pytest.fixture(scope="session")
def qc_run(trained_runs):
    return trained_runs["QC"]


@pytest.fixture(scope="session")
def qc_server(qc_run):
    with live_server(create_app(qc_run, TEST_SETTINGS)) as live:
        yield live


@pytest.fixture
def client(qc_server):
    with httpx.Client(base_url=qc_server.url, timeout=30) as c:
        yield c


@pytest.fixture
def start_server():
    """start_server(app) -> context manager yielding a LiveServer, for tests needing their own."""
    return live_server


@pytest.fixture
def int_digit_limit():
    """int_digit_limit(n): Python's int digit limit for this test (the server thread's too: it
    is the interpreter's), whatever PYTHONINTMAXSTRDIGITS says; restored afterwards."""
    before = sys.get_int_max_str_digits()
    yield sys.set_int_max_str_digits
    sys.set_int_max_str_digits(before)


@pytest.fixture
def never_served(monkeypatch):
    """Serve refuses before any port opens: starting a server fails the test."""
    from shoprel.serve import server

    def served(*args, **kwargs):
        raise AssertionError("the server started")

    monkeypatch.setattr(server.uvicorn, "run", served)
    monkeypatch.setattr(server.ClosingSupervisor, "run", served)
