"""A slow or hostile client cannot hold connections for ever (serve/connections.py): a request
has a deadline to arrive, and connections past the limit are answered 503 and closed. A tiny
ASGI app stands for the model; the deadlines are cut to fractions of a second."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import uvicorn
from tests.serve.threaded import threaded_server

from shoprel.serve import ServeSettings, connections, create_app, lingering
from shoprel.serve.connections import GuardedHTTPProtocol, uvicorn_limit
from shoprel.serve.guards import RequestGuards
from shoprel.serve.lingering import LingeringTransport

REQUEST = b"POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello"


async def echo(scope, receive, send):
    """Answers the body it read, after `work` seconds of the server's (the query string)."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body, more = body + message.get("body", b""), message.get("more_body", False)
    await asyncio.sleep(float(scope["query_string"] or 0))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def short_deadlines(monkeypatch):
    monkeypatch.setattr(connections, "HEAD_SECONDS", 0.5)
    monkeypatch.setattr(connections, "BODY_SECONDS", 0.8)
    monkeypatch.setattr(connections, "OVER_LIMIT_HEAD_SECONDS", 0.3)


@contextmanager
def serving(max_connections: int = 100, app=echo):
    config = uvicorn.Config(
        app, log_level="error", http=GuardedHTTPProtocol, timeout_keep_alive=1,
        limit_concurrency=uvicorn_limit(max_connections), lifespan="off")
    with threaded_server(config) as (_, address, _):
        yield address


def connect(address) -> socket.socket:
    return socket.create_connection(address, timeout=10)


def until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and when it closed it."""
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got, time.monotonic()


def one_answer(sock: socket.socket) -> bytes:
    """One whole answer on a kept-alive connection (its length declared)."""
    got = b""
    while b"\r\n\r\n" not in got:
        got += sock.recv(65536)
    head = got.partition(b"\r\n\r\n")[0]
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(got) < len(head) + 4 + length:
        got += sock.recv(65536)
    return got


def status_and_error(answer: bytes) -> tuple[bytes, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], json.loads(body)["error"]


def test_a_connection_that_sends_nothing_is_answered_408_and_closed(short_deadlines):
    """uvicorn held a connection that never sent a byte for as long as its client liked."""
    with serving() as address, connect(address) as sock:
        opened = time.monotonic()
        answer, closed = until_closed(sock)
    assert status_and_error(answer) == (
        b"HTTP/1.1 408 Request Timeout",
        "the request's head did not arrive within 0.5 s; send the request whole, promptly")
    assert 0.4 < closed - opened < 3
    assert b"connection: close" in answer


def test_a_head_sent_a_byte_at_a_time_meets_the_deadline_all_the_same(short_deadlines):
    """Each byte put off uvicorn's keep-alive timeout: a client sending its head a byte every
    few seconds held the connection for ever (slowloris)."""
    with serving() as address, connect(address) as sock:
        opened = time.monotonic()
        sock.settimeout(0.1)
        answer = b""
        for byte in REQUEST[:40]:
            try:
                sock.sendall(bytes([byte]))
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionError:
                break
            if answer.endswith(b"}"):
                break
        closed = time.monotonic()
    assert status_and_error(answer)[0] == b"HTTP/1.1 408 Request Timeout"
    assert 0.4 < closed - opened < 3


def test_a_body_that_trickles_is_answered_408(short_deadlines):
    with serving() as address, connect(address) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n\r\nab")
        answer, _ = until_closed(sock)
    assert status_and_error(answer) == (
        b"HTTP/1.1 408 Request Timeout",
        "the request's body did not arrive within 0.8 s; send the request whole, promptly")


def send_body_at(sock: socket.socket, length: int, chunk: int, every: float) -> bytes:
    """Sends a request of `length` body bytes, `chunk` of them every `every` seconds, and
    returns what the server answered once it closed or the body was sent."""
    sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nconnection: close\r\n"
                 b"content-length: %d\r\n\r\n" % length)
    sent = 0
    try:
        while sent < length:
            time.sleep(every)
            sock.sendall(b"x" * min(chunk, length - sent))
            sent += chunk
    except ConnectionError:
        pass
    return until_closed(sock)[0]


def test_a_body_that_keeps_coming_earns_time_past_the_deadline(short_deadlines, monkeypatch):
    """A body larger than the default limit (--max-body-bytes raised) sent steadily got a
    408 at BODY_SECONDS: its bytes now earn it time, 1,000 a second here (0.8 s + 3 s for
    3,000 bytes sent in 2 s); a trickle earns little and still meets the deadline."""
    monkeypatch.setattr(connections, "BODY_BYTES_A_SECOND", 1000)
    with serving() as address, connect(address) as sock:
        answer = send_body_at(sock, 3000, 300, 0.2)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"x" * 3000)
    with serving() as address, connect(address) as sock:
        began = time.monotonic()
        answer = send_body_at(sock, 3000, 10, 0.1)
        closed = time.monotonic()
    status, error = status_and_error(answer)
    assert status == b"HTTP/1.1 408 Request Timeout"
    # 0.8 s and what its ~90 bytes earned (0.09 s): 0.9 s, or 0.8 where a loaded machine's
    # client had sent fewer of them by then
    assert error in [f"the request's body did not arrive within {seconds} s; send the request "
                     "whole, promptly" for seconds in ("0.8", "0.9")]
    assert closed - began < 3


def test_no_deadline_runs_while_the_server_answers_or_between_requests(short_deadlines):
    """A request that takes the server longer than the deadlines is answered, and a kept-alive
    connection's next request, sent after a pause, too; the idle one is then closed by
    uvicorn's keep-alive timeout (1 s here), with no 408."""
    with serving() as address, connect(address) as sock:
        sock.sendall(REQUEST.replace(b"/echo", b"/echo?1.2"))
        first = one_answer(sock)
        time.sleep(0.7)  # longer than the head's deadline
        sock.sendall(REQUEST)
        second = one_answer(sock)
        idle = time.monotonic()
        rest, closed = until_closed(sock)
    assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"hello")
    assert second.startswith(b"HTTP/1.1 200") and second.endswith(b"hello")
    assert rest == b"" and 0.8 < closed - idle < 3


def test_connections_past_the_limit_are_answered_503_and_closed(short_deadlines, monkeypatch):
    """uvicorn's limit_concurrency answered 503 past its limit but kept every connection a
    client opened (and minus one: `limit_concurrency=2` served one connection)."""
    monkeypatch.setattr(connections, "HEAD_SECONDS", 10.0)
    with serving(max_connections=2, app=RequestGuards(echo, ServeSettings())) as address:
        held = [connect(address), connect(address)]  # the two the server serves, idle
        time.sleep(0.2)
        with connect(address) as third:
            third.sendall(REQUEST)
            answer, _ = until_closed(third)
        assert answer.startswith(b"HTTP/1.1 503") and b"connection: close" in answer
        assert answer.endswith(b'{"error":"the server\'s connections are all taken '
                               b'(--max-connections 2); try again shortly","detail":[]}')
        with connect(address) as silent:
            opened = time.monotonic()
            answer, closed = until_closed(silent)
        assert answer.startswith(b"HTTP/1.1 408") and closed - opened < 2
        for sock in held:  # both limits' own connections are served
            sock.sendall(REQUEST)
            assert one_answer(sock).startswith(b"HTTP/1.1 200")
        held.pop().close()
        time.sleep(0.2)
        with connect(address) as fresh:  # a place freed is taken again
            fresh.sendall(REQUEST)
            assert one_answer(fresh).startswith(b"HTTP/1.1 200")
        held[0].close()


def headers_of(answer: bytes) -> dict[bytes, bytes]:
    head = answer.partition(b"\r\n\r\n")[0]
    pairs = (line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
    return {name.lower(): value for name, value in pairs}


def test_a_408_carries_the_headers_and_body_shape_of_every_other_answer(short_deadlines):
    """The 408 was written by hand without the `date` and `server` headers uvicorn puts on
    each answer it sends, its body spaced unlike every other error's (json.dumps')."""
    with serving() as address:
        with connect(address) as sock:
            sock.sendall(REQUEST)
            served = headers_of(one_answer(sock))
        with connect(address) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n\r\nab")
            answer, _ = until_closed(sock)
    timed_out = headers_of(answer)
    assert timed_out[b"server"] == served[b"server"] == b"uvicorn"
    assert timed_out[b"date"].endswith(b" GMT") and len(timed_out[b"date"]) == 29
    assert list(timed_out)[:2] == list(served)[:2] == [b"date", b"server"]
    assert answer.endswith(b'"error":"the request\'s body did not arrive within 0.8 s; send the '
                           b'request whole, promptly","detail":[]}')


@pytest.fixture(scope="module")
def keyed_app(trained_runs):
    """The app over the fast QC run, with a key and a body limit of 2 KiB."""
    return create_app(trained_runs["QC"], ServeSettings(api_key="right", max_body_bytes=2048))


def test_a_request_past_the_limit_is_an_api_error_the_metrics_count(keyed_app):
    """uvicorn answered a request past its limit itself: `Service Unavailable` as plain text,
    where every other error is the API's {error, detail}, and past the app, so /metrics
    counted none of them: an operator saw no sign of the connections turned away."""
    with serving(max_connections=1, app=keyed_app) as address, connect(address) as held:
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert one_answer(held).startswith(b"HTTP/1.1 200")
        with connect(address) as second:
            second.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer, _ = until_closed(second)
        held.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
                     b"authorization: Bearer right\r\n\r\n")
        scraped = one_answer(held).decode()
    assert answer.startswith(b"HTTP/1.1 503") and headers_of(answer)[b"connection"] == b"close"
    assert headers_of(answer)[b"content-type"] == b"application/json"
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {
        "error": "the server's connections are all taken (--max-connections 1); try again "
                 "shortly", "detail": []}
    assert 'shoprel_requests_total{method="GET",path="/healthz",status="503"} 1.0' in scraped
    assert 'shoprel_errors_total{kind="unavailable"} 1.0' in scraped


def answers_while_sending(sock: socket.socket, head: bytes, seconds: float
                          ) -> tuple[bytes, float | None]:
    """Sends `head`, then a byte of body every 0.05 s for `seconds` (or until the server has
    closed), reading meanwhile; what the server sent until it closed the connection, and how
    long after the head its close was met (the byte sent then reset), None if it was not."""
    sock.sendall(head)
    sock.settimeout(0.05)
    got, sent_at, closed_after = b"", time.monotonic(), None
    while time.monotonic() < sent_at + seconds:
        try:
            sock.sendall(b"x")
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:  # closed: the rest of the body refused
            closed_after = time.monotonic() - sent_at
            break
        got += chunk
        if not chunk:  # the server has shut its side, and may still read
            time.sleep(0.05)
    sock.settimeout(5)
    try:
        got += until_closed(sock)[0]
    except ConnectionResetError:
        pass
    return got, closed_after


@pytest.mark.parametrize(("headers", "status"), [
    (b"authorization: Bearer wrong\r\ncontent-length: 2000", b"401"),
    (b"authorization: Bearer right\r\ncontent-length: 999999", b"413")])
def test_an_answer_given_before_the_body_arrived_is_the_connections_last(
        short_deadlines, keyed_app, headers, status):
    """A 401 (wrong key) or 413 (declared length past the limit) answers a request from its
    head. uvicorn kept the connection and read the rest of its body under the next request's
    head deadline: a client still sending it was answered 408 too, after its answer. The
    answer now says `connection: close` and the connection ends after it (what the client
    still sends is read and dropped meanwhile: serve/lingering.py)."""
    head = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n%s"
            b"\r\n\r\n{" % headers)
    with serving(app=keyed_app) as address, connect(address) as sock:
        got, _ = answers_while_sending(sock, head, seconds=1.2)  # past the head deadline
    assert got.startswith(b"HTTP/1.1 %s " % status) and got.count(b"HTTP/1.1") == 1
    assert headers_of(got)[b"connection"] == b"close"


def test_a_body_sent_in_parts_and_answered_whole_keeps_the_connection(short_deadlines):
    """The mark that closes after an early answer is lifted once the body is whole."""
    with serving() as address, connect(address) as sock:
        sock.sendall(REQUEST[:-3])
        time.sleep(0.2)
        sock.sendall(REQUEST[-3:])
        first = one_answer(sock)
        sock.sendall(REQUEST)
        second = one_answer(sock)
    assert b"connection" not in headers_of(first) and first.endswith(b"hello")
    assert second.startswith(b"HTTP/1.1 200") and second.endswith(b"hello")


@pytest.mark.parametrize("after", [0.15, 0.6])
def test_a_connection_opened_while_full_is_served_once_there_is_room(short_deadlines,
                                                                      monkeypatch, after):
    """A connection opened while the server was full (as a browser or a proxy opens one ahead
    of its request) that sends a request once a place has freed is served, before or after
    the over-limit deadline (0.3 s here); it was answered 408 at that deadline though there
    was room, where a connection opened then had the head deadline (2 s here)."""
    monkeypatch.setattr(connections, "HEAD_SECONDS", 2.0)
    with serving(max_connections=2) as address:
        held = [connect(address), connect(address)]
        time.sleep(0.1)
        with connect(address) as early:
            opened = time.monotonic()
            time.sleep(0.05)
            held.pop().close()  # a place frees
            time.sleep(after - (time.monotonic() - opened))
            early.sendall(REQUEST)
            assert one_answer(early).startswith(b"HTTP/1.1 200")
        held[0].close()


def test_a_request_uvicorn_answers_as_the_last_stays_the_last_once_its_body_is_whole():
    """Lifting the early-answer mark restores what uvicorn gave the request: under httptools
    an HTTP/1.0 request, or one that said `connection: close`, starts with keep_alive False,
    and setting it True once its body was whole kept a connection the client asked to end
    (h11, installed here, decides that itself: the protocol is driven by hand)."""
    loop = asyncio.new_event_loop()
    try:
        protocol = GuardedHTTPProtocol.__new__(GuardedHTTPProtocol)
        protocol.loop, protocol.transport = loop, SimpleNamespace(is_closing=lambda: False)
        headers = [(b"server", b"uvicorn")]
        for asked_to_close in (True, False):
            protocol.cycle = SimpleNamespace(
                keep_alive=not asked_to_close, default_headers=headers, more_body=True,
                response_complete=False, response_started=False)
            protocol.follow_request()  # the head read, the body on its way: marked last
            assert protocol.cycle.keep_alive is False
            protocol.cycle.more_body = False
            protocol.follow_request()  # the body whole
            assert protocol.cycle.keep_alive is (not asked_to_close)
            assert protocol.cycle.default_headers == headers
        protocol.stop_deadline()
    finally:
        loop.close()


def answer_after_sending(sock: socket.socket, head: bytes, body: bytes) -> bytes:
    """Sends the whole request before reading, as requests and curl do; what the server sent
    until it closed the connection, or the error the client met."""
    try:
        sock.sendall(head)
        time.sleep(0.05)  # the answer is given from the head, before the body arrives
        sock.sendall(body)
        return until_closed(sock)[0]
    except OSError as exc:
        return type(exc).__name__.encode()


def score_head(key: bytes, length: int) -> bytes:
    return (b"POST /v1/score HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer %s\r\ncontent-length: %d\r\n\r\n" % (key, length))


@pytest.mark.parametrize(("key", "status"), [(b"wrong", b"401"), (b"right", b"413")])
def test_an_early_answer_reaches_a_client_that_sends_its_whole_body_first(
        short_deadlines, monkeypatch, keyed_app, key, status):
    """The connection ends only once the client has sent its body (read and dropped): closed
    at once, the body still arriving, the client met a reset (BrokenPipeError or
    ConnectionResetError) and never read its 401 or 413. It ends once the length declared is
    in, not at the body's deadline (10 s here)."""
    monkeypatch.setattr(connections, "BODY_SECONDS", 10)
    body = b'{"pairs": [' + b" " * 1_000_000 + b"]}"
    with serving(app=keyed_app) as address, connect(address) as sock:
        got = answer_after_sending(sock, score_head(key, len(body)), body)
        _, closed_after = answers_while_sending(sock, b"", seconds=3)
    assert got.startswith(b"HTTP/1.1 %s " % status) and got.count(b"HTTP/1.1") == 1
    assert headers_of(got)[b"connection"] == b"close"
    assert closed_after is not None


def test_an_early_answer_lingers_while_the_body_keeps_coming(short_deadlines, monkeypatch,
                                                             keyed_app):
    """A body sent steadily past BODY_SECONDS earns its time (test_connections' 3,000 bytes in
    2 s); after an early answer the close lingered only until BODY_SECONDS (0.8 s here), and
    the client still sending met a reset before its 401 was read."""
    monkeypatch.setattr(connections, "BODY_BYTES_A_SECOND", 1000)
    with serving(app=keyed_app) as address, connect(address) as sock:
        sock.sendall(score_head(b"wrong", 3000))
        for _ in range(10):
            time.sleep(0.2)
            sock.sendall(b" " * 300)
        got = until_closed(sock)[0]
    assert got.startswith(b"HTTP/1.1 401 ") and got.count(b"HTTP/1.1") == 1


def test_a_client_that_never_stops_sending_is_closed_at_the_bodys_deadline(short_deadlines,
                                                                            keyed_app):
    """What a client sends after an early answer is read and dropped until the body's deadline
    (0.8 s from the head here), then the connection is closed: no 408 follows the answer."""
    with serving(app=keyed_app) as address, connect(address) as sock:
        got, closed_after = answers_while_sending(sock, score_head(b"wrong", 999_999), 5)
    assert got.startswith(b"HTTP/1.1 401 ") and got.count(b"HTTP/1.1") == 1
    assert 0.7 < closed_after < 1.3


def test_a_client_streaming_a_body_of_no_declared_length_is_closed_at_its_deadline(
        short_deadlines, monkeypatch, keyed_app):
    """With no length declared (chunked), bytes dropped after an early answer earn the close
    no time: each had, and a client sending forever faster than BODY_BYTES_A_SECOND (10 here,
    it sends 20 a second) held the connection for ever (still open after 3 s), and shutdown
    waited on it. It ends at the body's deadline (0.8 s from the head)."""
    monkeypatch.setattr(connections, "BODY_BYTES_A_SECOND", 10)
    head = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer wrong\r\ntransfer-encoding: chunked\r\n\r\nffffff\r\n")
    with serving(app=keyed_app) as address, connect(address) as sock:
        got, closed_after = answers_while_sending(sock, head, 3)
    assert got.startswith(b"HTTP/1.1 401 ") and got.count(b"HTTP/1.1") == 1
    assert closed_after is not None and 0.7 < closed_after < 1.3


def test_a_lingering_close_ends_at_its_ceiling_whatever_the_length_declared(
        short_deadlines, monkeypatch, keyed_app):
    """A 413's declared length is past the limit and may be anything: bytes dropped earned
    the close time up to it, so a client declaring 10**12 bytes and sending steadily held the
    connection for months. The close lingers LINGER_MAX_SECONDS at most (1 s here)."""
    monkeypatch.setattr(connections, "BODY_BYTES_A_SECOND", 10)
    monkeypatch.setattr(lingering, "LINGER_MAX_SECONDS", 1.0)
    with serving(app=keyed_app) as address, connect(address) as sock:
        got, closed_after = answers_while_sending(sock, score_head(b"right", 10**12), 4)
    assert got.startswith(b"HTTP/1.1 413 ") and got.count(b"HTTP/1.1") == 1
    assert closed_after is not None and 0.9 < closed_after < 2.2


def test_a_client_gone_as_the_answer_is_written_is_closed_at_once():
    """A client that resets the connection on reading an early answer (curl stops its upload
    so) can do it before the sending side is shut: shutdown() then raised ENOTCONN, a
    traceback in the log, and the connection lingered on."""
    class Reset(SimpleNamespace):
        def write_eof(self):
            raise OSError(107, "Transport endpoint is not connected")

    socket_transport = Reset(closed=False, can_write_eof=lambda: True,
                             is_closing=lambda: socket_transport.closed)
    socket_transport.close = lambda: setattr(socket_transport, "closed", True)
    transport = LingeringTransport(socket_transport, None, plan=lambda: (0.0, 1000, 0.0))
    transport.close()
    assert socket_transport.closed and not transport.lingering


def test_a_pipelined_request_s_early_answer_lingers_for_its_own_body(short_deadlines,
                                                                      monkeypatch, keyed_app):
    """A request pipelined behind one with a body (1,500 bytes) is begun by h11 once the first
    is answered, outside data_received: its body's count went on from the first's, so the
    close after its 401 ended 1,500 bytes before its own 2,000 were in, and the client still
    sending met a reset."""
    monkeypatch.setattr(connections, "BODY_SECONDS", 10)
    first = score_head(b"right", 1500) + b"x" * 1500
    with serving(app=keyed_app) as address, connect(address) as sock:
        sock.sendall(first + score_head(b"wrong", 2000))
        answers, _ = until_closed(sock)  # the sending side is shut after the 401
        sent = 0
        try:
            while sent < 2000:
                sock.sendall(b"y" * 100)
                sent += 100
                time.sleep(0.02)  # the server reads it, and would close meanwhile
            closed = sock.recv(1)  # closed once the body is in, not reset
        except OSError as exc:
            closed = exc
    assert [answer.split(b"\r\n")[0] for answer in answers.split(b"HTTP/1.1 ")[1:]] == [
        b"422 Unprocessable Entity", b"401 Unauthorized"]
    assert (sent, closed) == (2000, b"")
