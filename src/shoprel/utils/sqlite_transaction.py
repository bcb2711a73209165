"""One transaction on an SQLite file, its connection closed when the work is done.

`with sqlite3.connect(path) as db:` commits (or rolls back) but leaves the connection open
until the garbage collector finds it: a file handle held for nothing, a ResourceWarning on
Python 3.13+. The caches open one per call; this closes it at the end of the block.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def transaction(path: str | Path, timeout: float = 60.0) -> Iterator[sqlite3.Connection]:
    """A connection to `path`: committed when the block ends, rolled back when it raises,
    closed either way. `timeout`: seconds to wait for another process's write lock."""
    with closing(sqlite3.connect(path, timeout=timeout)) as db, db:
        yield db


def remade_if_pruned(opened: Callable[[], AbstractContextManager[sqlite3.Connection]],
                     make_tables: Callable[[sqlite3.Connection], object],
                     work: Callable[[sqlite3.Connection], T]) -> T:
    """work(db) in one transaction of `opened()`. A cache file pruned while this process runs
    (`shoprel cache prune` under a server that runs for days, or a long `train`) comes back
    empty, its tables gone: they are made again (`make_tables`) and the work redone, instead
    of every call failing from then on. Any other SQLite error is raised."""
    try:
        with opened() as db:
            return work(db)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
    with opened() as db:
        make_tables(db)
        return work(db)
