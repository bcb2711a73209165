"""One transaction on an SQLite file, its connection closed when the work is done.

`with sqlite3.connect(path) as db:` commits (or rolls back) but leaves the connection open
until the garbage collector finds it: a file handle held for nothing, a ResourceWarning on
Python 3.13+. The caches open one per call; this closes it at the end of the block.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


@contextmanager
def transaction(path: str | Path, timeout: float = 60.0) -> Iterator[sqlite3.Connection]:
    """A connection to `path`: committed when the block ends, rolled back when it raises,
    closed either way. `timeout`: seconds to wait for another process's write lock."""
    with closing(sqlite3.connect(path, timeout=timeout)) as db, db:
        yield db
