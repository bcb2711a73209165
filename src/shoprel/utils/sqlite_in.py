"""`SELECT ... WHERE column IN (many values)` asked in parts, for the SQLite caches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

PART = 500  # under SQLite's bound-parameter limit (999 on old builds), with room for `params`


def rows_where_in(db: sqlite3.Connection, select: str, column: str, values: Iterable,
                  where: str = "", params: Sequence = (), part: int = PART) -> Iterator[tuple]:
    """Rows of `select` whose `column` is one of `values` (and that meet `where`, whose `?`
    take `params`), asked `part` values at a time."""
    values = list(values)
    condition = f"{where} AND " if where else ""
    for start in range(0, len(values), part):
        chunk = values[start:start + part]
        yield from db.execute(f"{select} WHERE {condition}{column} IN "
                              f"({','.join('?' * len(chunk))})", (*params, *chunk))
