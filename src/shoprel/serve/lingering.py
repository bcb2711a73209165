"""An answer given before its request's body is whole reaches a client that sends its whole
body before reading: the connection is closed only once that body is in.

A 401 (wrong key) or 413 (declared length past the limit) answers a request from its head and
ends the connection (`connection: close`). Closing the socket at once, the body still
arriving, made the kernel reset the connection: a client that sends before it reads met
BrokenPipeError or ECONNRESET and never read its answer (a raw socket: 5 of 5 requests of
1.5 MB with a wrong key, 5 of 5 of 3 MB over a 2 MB limit; urllib.request: 5 of 9; requests,
httpx and curl read the answer after the failed send). So the close lingers, as HTTP/1.1
servers' do: the answer is written and the sending side shut (the client reads it, then end
of stream), and what the client still sends is read and dropped, never parsed, until it
closes its side, the declared body is in, or the request's body deadline passes (each byte
dropped moving it on as each byte read did, where a length was declared). That deadline
bounds a client that never stops: it holds the connection no longer than it could have had
its body been read (shutdown waits for it as for a body on its way). With no length declared
the bytes dropped earn nothing, since nothing else ends such a body: a chunked client
sending faster than the rate that earns a second held the connection for ever."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# until when (the event loop's time) a close lingers, how many bytes of the body are still to
# come (None where no length was declared), and the seconds each byte dropped meanwhile adds to
# that time (as each byte of a body being read does to its deadline); None where a close ends
# the connection at once
LingerPlan = Callable[[], tuple[float, int | None, float] | None]
# the longest a close lingers once it begins, whatever its bytes earn: a 413's declared length
# is past the limit and may be anything (10**12), and a client sending it steadily held the
# connection for months; nginx's lingering_time is 30 s, this leaves a raised body limit room
LINGER_MAX_SECONDS = 300.0


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The request's Content-Length (its ASGI scope's headers), None where it declares none."""
    value = dict(headers).get(b"content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


class LingeringTransport:
    """The connection's transport as uvicorn's protocol sees it: a close() while `plan` gives
    a time lingers (see the module's docstring); the protocol hands what arrives meanwhile to
    discard(). Every other call goes to the socket's own transport."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop,
                 plan: LingerPlan):
        self.transport, self.loop = transport, loop
        self.plan = plan
        self.lingering = False
        self.still_to_come: int | None = None
        self.timer: asyncio.TimerHandle | None = None

    def __getattr__(self, name: str):
        return getattr(self.transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self.transport.is_closing()

    def close(self) -> None:
        """Lingers where the plan says so; a second close, or one with nothing to wait for,
        closes the socket."""
        plan = None if self.is_closing() else self.plan()
        if plan is None or plan[1] == 0:
            self.end()
            return
        if self.transport.can_write_eof():  # TLS cannot: the client reads with it open
            try:
                self.transport.write_eof()  # once what is written has gone
            except OSError:  # the client reset the connection: nothing left to wait for
                self.end()
                return
        self.until, self.still_to_come, self.seconds_a_byte = plan
        self.latest = max(self.until, self.loop.time() + LINGER_MAX_SECONDS)
        self.lingering = True
        self.transport.resume_reading()  # uvicorn paused it past its buffer's high water
        self.timer = self.loop.call_at(self.until, self.time_up)

    def time_up(self) -> None:
        """Ends the close, or waits on where the bytes dropped since have moved its time."""
        self.timer = None
        if self.until > self.loop.time():
            self.timer = self.loop.call_at(self.until, self.time_up)
        else:
            self.end()

    def discard(self, data: bytes) -> None:
        """Bytes the client sent while the close lingers: dropped, counted against the body,
        each earning the close its share of a second."""
        self.until = min(self.until + len(data) * self.seconds_a_byte, self.latest)
        if self.still_to_come is not None:
            self.still_to_come -= len(data)
            if self.still_to_come <= 0:
                self.end()

    def end(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.transport.close()
