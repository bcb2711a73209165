"""A body that gives one key twice (`{"pairs": [...], "pairs": [...]}`, a pair with two
`query` keys) is refused, not read as its last value: the client that sent it has a bug, and
the pairs it meant may not be the ones scored.

Python's JSON reader keeps the last value without a word, so the route reads bodies with an
`object_pairs_hook` that marks an object whose keys repeat; the request and pair models refuse
a marked object where pydantic locates it (`body`, `body.pairs.3`), as any other bad field is
answered: 422 naming the key. An object whose keys are distinct (every normal body's) is the
plain dict json would have made.
"""

from __future__ import annotations

import json
from collections import Counter

from fastapi import Request
from fastapi.routing import APIRoute


class RepeatedKeys(dict):
    """An object read from JSON whose keys repeat: its last values, as json keeps them, and
    the repeated keys in the order they first appear."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        counts = Counter(key for key, _ in pairs)
        self.repeated = {key: n for key, n in counts.items() if n > 1}


def keys_checked(pairs: list[tuple[str, object]]) -> dict:
    """json's object_pairs_hook: the object as json.loads makes it, marked when a key repeats."""
    read = dict(pairs)
    return read if len(read) == len(pairs) else RepeatedKeys(pairs)


def refusing_repeated_keys(what: str):
    """A model's before-validator: a marked object is refused in one line naming its repeated
    keys and `what` it is ("the body", "this pair"; pydantic's location says which pair)."""

    def refuse(cls, data):
        if isinstance(data, RepeatedKeys):
            said = ", ".join(f"{key!r} " + ("twice" if n == 2 else f"{n} times")
                             for key, n in data.repeated.items())
            raise ValueError(f"{what} gives the key {said}; keys must be distinct (a JSON "
                             "reader keeps only the last value, so send each key once)")
        return data

    return refuse


class KeysCheckedRequest(Request):
    """A request whose JSON body is read with keys_checked (Starlette's json.loads, hooked)."""

    async def json(self):
        if not hasattr(self, "keys_checked_body"):
            self.keys_checked_body = json.loads(await self.body(), object_pairs_hook=keys_checked)
        return self.keys_checked_body


class KeysCheckedRoute(APIRoute):
    """A route that reads its body as KeysCheckedRequest (FastAPI's custom-route pattern)."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def read_with_keys_checked(request: Request):
            return await handler(KeysCheckedRequest(request.scope, request.receive))

        return read_with_keys_checked
