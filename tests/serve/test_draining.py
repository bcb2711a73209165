"""Shutdown answers a request its client sent before it began, though the server had not read
it yet (serve/draining.py)."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn
from tests.serve.threaded import threaded_server

from shoprel.serve import ServeSettings, create_app
from shoprel.serve.draining import DrainingHTTPProtocol

BODY = json.dumps({"pairs": [{"query": "vestido", "category_path": "women's clothing,dresses"}]})
REQUEST = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
           b"content-length: %d\r\n\r\n%s" % (len(BODY), BODY.encode()))


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (b"" for a reset)."""
    sock.settimeout(20)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except ConnectionResetError:
        pass
    return got


def _one_answer(sock: socket.socket) -> bytes:
    """One whole answer on a kept-alive connection (its body is JSON, its length declared)."""
    sock.settimeout(20)
    got = b""
    while b"\r\n\r\n" not in got:
        got += sock.recv(65536)
    head, _, body = got.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head


@pytest.fixture(scope="module")
def app(trained_runs):
    return create_app(trained_runs["QC"], ServeSettings(max_wait_ms=0))


def test_requests_waiting_unread_at_shutdown_are_answered(app):
    """The event loop is held (as a busy server's is, checking other bodies) while one client
    sends its first request and a kept-alive one its second; shutdown then asks every
    connection to close before the loop has read either. uvicorn's own protocol closed both
    at once, as idle: the clients were reset with no answer, not knowing whether their pairs
    were scored. Both are answered now, then closed, each answer saying `connection: close`
    (h11's protocol closed after an answer without it, which a client took as kept alive)."""
    config = uvicorn.Config(app, log_level="warning", http=DrainingHTTPProtocol,
                            timeout_graceful_shutdown=30)
    with threaded_server(config, timeout_s=30) as (server, address, thread):
        _answered_through_shutdown(server, address)
    assert not thread.is_alive()


def _answered_through_shutdown(server: uvicorn.Server, address) -> None:
    """Both requests sent while the loop is held, then every connection asked to close: each
    is answered 200 with `connection: close`."""
    fresh = socket.create_connection(address)
    kept = socket.create_connection(address)
    kept.sendall(REQUEST)
    assert _one_answer(kept).startswith(b"HTTP/1.1 200")
    while len(server.server_state.connections) < 2:  # both accepted
        time.sleep(0.01)
    sent, asked = threading.Event(), threading.Event()

    def busy_then_shutdown():
        """On the server's loop: held until both requests are sent, then each connection is
        asked to close, as uvicorn's shutdown does, before the loop reads them."""
        sent.wait(10)
        time.sleep(0.2)  # the bytes are in the server's socket buffers
        for connection in list(server.server_state.connections):
            connection.shutdown()
        asked.set()

    server.servers[0].get_loop().call_soon_threadsafe(busy_then_shutdown)
    fresh.sendall(REQUEST)
    kept.sendall(REQUEST)
    sent.set()
    assert asked.wait(10)
    try:
        for sock in (fresh, kept):
            answer = _answer(sock)  # read until the server closes the connection
            assert answer.startswith(b"HTTP/1.1 200"), answer
            head = answer.partition(b"\r\n\r\n")[0].lower().split(b"\r\n")
            assert b"connection: close" in head, head
            assert json.loads(answer.partition(b"\r\n\r\n")[2])["results"][0]["id"] == 0
    finally:
        fresh.close()
        kept.close()


def test_serve_runs_uvicorn_with_the_draining_protocol(trained_runs, monkeypatch):
    """The protocol is the one `shoprel serve` runs (draining, with its requests' deadlines
    and its connection limit: serve/connections.py), one process or several."""
    import os

    from shoprel.serve import server as serving
    from shoprel.serve.connections import (
        DEFAULT_MAX_CONNECTIONS,
        KEEP_ALIVE_SECONDS,
        GuardedHTTPProtocol,
    )

    seen = []
    monkeypatch.setattr(os, "environ", dict(os.environ))  # run_server's for the workers
    monkeypatch.setattr(serving.uvicorn, "run", lambda app, **kwargs: seen.append(
        (kwargs["http"], kwargs["limit_concurrency"], kwargs["timeout_keep_alive"])))
    monkeypatch.setattr(serving.ClosingSupervisor, "run", lambda supervisor: seen.append(
        (supervisor.config.http, supervisor.config.limit_concurrency,
         supervisor.config.timeout_keep_alive)))
    for workers in (1, 2):
        serving.run_server(trained_runs["QC"], ServeSettings(), port=0, workers=workers)
        serving.run_server(trained_runs["QC"], ServeSettings(), port=0, workers=workers,
                           max_connections=7)
    # uvicorn answers 503 once the connections reach its limit, the asking one among them
    limits = [DEFAULT_MAX_CONNECTIONS + 1, 8] * 2
    # idle connections are left for the client to close (httpx drops them after 5 s)
    assert seen == [(GuardedHTTPProtocol, limit, KEEP_ALIVE_SECONDS) for limit in limits]
    assert KEEP_ALIVE_SECONDS > 15
    assert issubclass(GuardedHTTPProtocol, DrainingHTTPProtocol)
