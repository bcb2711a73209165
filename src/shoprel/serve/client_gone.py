"""Stop scoring for a client that has left.

uvicorn runs an endpoint to its end after its client closed the connection: a search page that
gave up on a slow answer, or a proxy's timeout, left its request's slices taking turns with the
live requests' in the model's one thread until every slice was scored (or --request-timeout
passed), for an answer nobody read. Waiting on the client too, the request is cancelled once it
has gone, and the batcher drops its slices not yet taken.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ClientLeft(Exception):
    """The client closed its connection before its answer."""


async def _closed(receive: Callable[[], Awaitable[dict]]) -> None:
    """Returns once the connection is closed: ASGI's receive gives `http.disconnect` then (or
    once the answer is sent, which does not happen while the request waits)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(receive: Callable[[], Awaitable[dict]], work: Awaitable[T],
                               timeout: float) -> T:
    """`work`'s result; cancels it and raises ClientLeft once the client has gone, or
    TimeoutError after `timeout` seconds (inf: none). `receive`: the request's, its body
    read already."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_closed(receive))
    try:
        done, _ = await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED,
                                     timeout=None if math.isinf(timeout) else timeout)
    finally:
        watch.cancel()
        if not task.done():
            task.cancel()  # its job's future too: the batcher takes no more of its slices
    if task in done:
        return task.result()
    if watch in done:
        watch.exception()  # a receive that failed: the connection is broken, gone as well
        raise ClientLeft
    raise TimeoutError
