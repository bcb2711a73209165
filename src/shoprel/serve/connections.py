"""A client cannot hold the server's connections for ever: each request has a deadline to
arrive, and connections past --max-connections are answered 503 and closed.

uvicorn puts no deadline on a request's arrival: its keep-alive timeout runs only between
requests and stops at the first byte of the next, and a connection that never sends a byte
has none. A socket that sent nothing, and one that sent its head a byte a second, were both
held for as long as their clients liked (slowloris: a few hundred such sockets hold every
connection the system allows the process). uvicorn's `limit_concurrency` answers 503 to a
request once that many connections are open, but keeps every connection a client opens.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from uvicorn.protocols.http.flow_control import CLOSE_HEADER

from shoprel.serve.draining import DrainingHTTPProtocol
from shoprel.serve.guards import OVER_CAPACITY
from shoprel.serve.limits import error_body
from shoprel.serve.lingering import LingeringTransport, declared_length

DEFAULT_MAX_CONNECTIONS = 1000
HEAD_SECONDS = 10.0  # from the connection, or from the first byte of a kept-alive one's next
BODY_SECONDS = 30.0  # from the head: 2 MiB (the default body limit) at 1 Mbit/s takes 17 s
# past BODY_SECONDS, each byte of the body that arrived earns it this share of a second: a body
# limit raised to 100 MB (--max-body-bytes) takes 13 min at 1 Mbit/s, and a client sending it
# steadily got a 408 at 30 s; a trickle (a byte a second) still ends at about BODY_SECONDS
BODY_BYTES_A_SECOND = 64 * 1024
OVER_LIMIT_HEAD_SECONDS = 1.0  # a connection past the limit: its head, to answer it 503
# how long a connection may sit idle between requests before the server closes it: longer than
# the clients' own idle expiry (httpx 5 s, aiohttp 15 s), so that the client, not the server,
# closes an idle connection. At uvicorn's 5 s, equal to httpx's, a client reused a connection
# just as the server closed it and its request was lost (httpx.ReadError: 3 of 949 requests at
# c=64 in one load run; 29 of 60 sockets that sent their next request 5 s after an answer)
KEEP_ALIVE_SECONDS = 20

logger = logging.getLogger("uvicorn.error")


def uvicorn_limit(max_connections: int) -> int:
    """uvicorn's `limit_concurrency` for at most `max_connections` served at once: a request
    is answered 503 once the open connections, the asking one among them, reach it (uvicorn's
    check, which GuardedHTTPProtocol makes in its place)."""
    return max_connections + 1


def timeout_answer(part: str, seconds: float, default_headers: list[tuple[bytes, bytes]]
                   ) -> bytes:
    """A whole 408 answer, its connection closed after it: with the headers uvicorn puts on
    each answer it sends (`date`, `server`: `default_headers`), and its body rendered as
    every other error's is."""
    body = error_body(f"the request's {part} did not arrive within {seconds:g} s; send the "
                      "request whole, promptly")
    headers = [*default_headers, (b"content-type", b"application/json"),
               (b"content-length", b"%d" % len(body)), CLOSE_HEADER]
    return b"HTTP/1.1 408 Request Timeout\r\n%s\r\n%s" % (
        b"".join(b"%s: %s\r\n" % header for header in headers), body)


class GuardedHTTPProtocol(DrainingHTTPProtocol):
    """The draining protocol with a deadline for each request to arrive: its head within
    HEAD_SECONDS (OVER_LIMIT_HEAD_SECONDS past the connection limit while the server stays
    full, so that such a connection is soon answered or gone), its body within BODY_SECONDS
    of the head and the time its bytes earn (BODY_BYTES_A_SECOND); past it the client is
    answered 408 and the connection closed. No deadline
    runs while the server answers, nor between requests (uvicorn's keep-alive timeout closes
    an idle connection)."""

    # uvicorn's `limit_concurrency`, taken over: uvicorn answered past it with a text/plain 503
    # of its own, past the app, so /metrics never counted it and its body was no API error
    connection_limit: int | None = None
    deadline: asyncio.TimerHandle | None = None
    waiting_for: str | None = None  # "head" or "body", while a deadline runs
    # the cycle made the connection's last while its body was on its way, with the
    # keep-alive and headers uvicorn had given it (restored once the body is whole)
    marked_last: tuple | None = None
    body_read = 0  # bytes of the current request's body handed to it so far
    body_awaited_since = 0.0  # the loop's time when the body's deadline began

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connection_limit, self.limit_concurrency = self.limit_concurrency, None
        self.app = partial(self.marked_past_limit, self.app)

    async def marked_past_limit(self, app, scope, receive, send) -> None:
        """Runs the request, marked OVER_CAPACITY (the connections served) where it comes
        past the limit, as uvicorn's check would have found it: the app's guard answers it 503
        and closes the connection, and its metrics count it. This request's task is one of
        the server's tasks by now."""
        limit = self.connection_limit
        if scope["type"] == "http" and limit is not None and (
                self.over_limit() or len(self.tasks) - 1 >= limit):
            scope = {**scope, "extensions": {**(scope.get("extensions") or {}),
                                             OVER_CAPACITY: limit - 1}}
            client = f"{self.client[0]}:{self.client[1]} - " if self.client else ""
            logger.warning("%sa request past the %d connections served: 503, connection "
                           "closed", client, limit - 1)
        await app(scope, receive, send)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(LingeringTransport(transport, self.loop, self.lingering_plan))
        if self.over_limit():
            self.waiting_for = "head"
            self.deadline = self.loop.call_later(OVER_LIMIT_HEAD_SECONDS, self.room_checked)
        else:
            self.await_part("head", HEAD_SECONDS)

    def over_limit(self) -> bool:
        """Whether a request on this connection now would be answered 503 (uvicorn counts
        the open connections, this one among them)."""
        limit = self.connection_limit
        return limit is not None and len(self.connections) >= limit

    def room_checked(self) -> None:
        """A connection opened past the limit whose head has not arrived: 408 while the
        server is still full; else it keeps the rest of the head's deadline, as a connection
        opened now would. A client that opened it ahead of its request (a browser's or a
        proxy's pool) lost that request to a 408 though a place had freed."""
        if self.over_limit():
            self.deadline_passed("head", OVER_LIMIT_HEAD_SECONDS)
        else:
            self.deadline = self.loop.call_later(HEAD_SECONDS - OVER_LIMIT_HEAD_SECONDS,
                                                 self.deadline_passed, "head", HEAD_SECONDS)

    def data_received(self, data: bytes) -> None:
        if self.transport.lingering:  # the connection has ended: never parsed
            self.transport.discard(data)
            return
        self.counting_body(super().data_received, data)
        self.follow_request()

    def counting_body(self, parse, *args) -> None:
        """Runs `parse`, adding the body bytes it handed to the request to body_read (from 0
        where it began the next one). Not data_received alone: h11 begins a request pipelined
        behind the one answered in on_response_complete, whose count then went on from the
        previous request's, and a lingering close ended that much before the client's body
        was in (reset: a client that sends before it reads lost its 401 or 413)."""
        cycle = self.cycle
        had = len(cycle.body) if cycle is not None else 0
        parse(*args)
        if self.cycle is not cycle:  # a new request began
            self.body_read, had = 0, 0
        if self.cycle is not None:
            self.body_read += len(self.cycle.body) - had

    def lingering_plan(self) -> tuple[float, int | None, float] | None:
        """How the connection's close lingers (serve/lingering.py) where it follows an answer
        given before its request's body is whole: until the body's deadline, with the time
        its bytes earn, those read and those dropped, for the rest of the length declared.
        With no length declared (chunked) bytes dropped earn nothing: nothing ends such a
        body, and a client sending faster than BODY_BYTES_A_SECOND lingered for ever."""
        cycle = self.cycle
        if cycle is None or not cycle.response_complete or not cycle.more_body:
            return None
        due = (self.body_awaited_since + self.body_allowed(BODY_SECONDS)
               if self.deadline is not None and self.waiting_for == "body"
               else self.loop.time() + BODY_SECONDS)
        declared = declared_length(cycle.scope["headers"])
        if declared is None:
            return due, None, 0.0
        return due, max(declared - self.body_read, 0), 1 / BODY_BYTES_A_SECOND

    def on_response_complete(self) -> None:
        self.counting_body(super().on_response_complete)
        self.follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_deadline()
        self.transport.end()  # a lingering close's timer
        super().connection_lost(exc)

    def follow_request(self) -> None:
        """The deadline of the part of a request awaited now, if any. An answer given before
        its request's body is whole (401 for a wrong key, 413 for a declared length past the
        limit) ends the connection: uvicorn kept it, reading the rest of the body under the
        next request's head deadline, and a client still sending it got a 408 after its
        answer (and HTTP/1.1 asks a server to read such a body whole or close)."""
        cycle = self.cycle
        begun = cycle is not None and not cycle.response_complete  # a request not yet answered
        if self.transport.is_closing():
            self.stop_deadline()
        elif begun and not cycle.more_body:
            self.stop_deadline()  # the request is whole: the server's turn
            self.keep_alive_after(cycle)
        elif begun:
            if self.marked_last is None or self.marked_last[0] is not cycle:
                self.marked_last = (cycle, cycle.keep_alive, cycle.default_headers)
            self.answer_last()  # an answer now says `connection: close`, then closes it
            if self.waiting_for != "body":
                self.await_part("body", BODY_SECONDS)
        elif self.timeout_keep_alive_task is not None:
            self.stop_deadline()  # idle after an answer: uvicorn's keep-alive timeout
        elif self.waiting_for != "head":  # the first bytes of a kept-alive one's next request
            self.await_part("head", HEAD_SECONDS)

    def keep_alive_after(self, cycle) -> None:
        """A request whose body is whole is answered as uvicorn would have answered it
        (answer_last() made it the last while its body was on its way), unless shutdown has
        made it the last: a request uvicorn itself answers as the last (HTTP/1.0, or one that
        said `connection: close`, under httptools) stays so."""
        marked, self.marked_last = self.marked_last, None
        if marked is None or marked[0] is not cycle:
            return
        if not self.draining and not cycle.response_started:
            cycle.keep_alive, cycle.default_headers = marked[1], marked[2]

    def await_part(self, part: str, seconds: float) -> None:
        self.stop_deadline()
        self.waiting_for = part
        if part == "body":
            self.body_awaited_since = self.loop.time()
        self.deadline = self.loop.call_later(seconds, self.deadline_passed, part, seconds)

    def stop_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.deadline, self.waiting_for = None, None

    def body_allowed(self, seconds: float) -> float:
        """The body's time from its deadline's start: `seconds` and what its bytes so far
        earned (BODY_BYTES_A_SECOND), for its 408 and for a lingering close alike."""
        return seconds + self.body_read / BODY_BYTES_A_SECOND

    def deadline_passed(self, part: str, seconds: float) -> None:
        """408 and closed; a request that had begun is dropped, its handler told the client
        has gone. A body's deadline first moves on by the time its bytes so far earned
        (BODY_BYTES_A_SECOND): set again where that is still to come."""
        self.deadline, self.waiting_for = None, None
        if self.transport.is_closing():
            return
        if part == "body":
            allowed = self.body_allowed(seconds)
            if self.body_awaited_since + allowed > self.loop.time():
                self.waiting_for = part
                self.deadline = self.loop.call_at(self.body_awaited_since + allowed,
                                                  self.deadline_passed, part, seconds)
                return
            seconds = round(allowed, 1)
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            # not amid an answer
            answer = timeout_answer(part, seconds, self.server_state.default_headers)
            self.transport.write(answer)
        client = f"{self.client[0]}:{self.client[1]} - " if self.client else ""
        logger.warning("%sthe request's %s did not arrive within %g s: 408, connection "
                       "closed", client, part, seconds)
        self.transport.close()
