"""Lower-layer states kept on disk, so a second `train` (a sweep, a rerun) skips the frozen layers.

The states of a text depend only on the frozen backbone, the first tuned layer and the token
limit, never on a fit: one SQLite file per such triple (the weights' checksum in its name), rows
keyed by a hash of the text, float16 bytes of its (tokens, hidden) states (float32 for a text whose
states pass float16's range: the blob's length tells which). EmbeddingGemma's
states of QC's 11.9k distinct texts take ~0.4 GB and ~7 minutes to compute on 2 cores; read back
they take seconds. No pickle; safe to share between processes (SQLite's locking).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from shoprel.models.backbones.cache import mark_used
from shoprel.models.backbones.embedding_cache import text_key
from shoprel.utils.sqlite_in import rows_where_in
from shoprel.utils.sqlite_transaction import remade_if_pruned, transaction

FOLDER = "states"
KIND = "state"  # the hash's namespace: a text's states, not its sentence vector
WIDTHS = {2: np.float16, 4: np.float32}  # bytes per value -> the dtype stored
T = TypeVar("T")


def _stored(states: torch.Tensor) -> torch.Tensor:
    return states if states.dtype == torch.float16 else states.float()


def state_file(root: str | Path, slug: str, start: int, max_length: int) -> Path:
    """`slug` names the backbone and its weights' checksum (Backbone.slug)."""
    return Path(root) / FOLDER / f"{slug}-from{start}-len{max_length}.sqlite"


def _make_table(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS states "
               "(key TEXT PRIMARY KEY, tokens INTEGER, hidden INTEGER, state BLOB)")


class StateCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with transaction(self.path) as db:
            _make_table(db)
        mark_used(self.path)  # read, maybe never written again: its age is its last use

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # its folder may have been pruned
        with transaction(self.path) as db:
            yield db

    def _with_db(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(db) in one transaction, the file made again where it was pruned (`shoprel
        cache prune --kind states` under a server: a served bi-encoder answered 500 to every
        request with a new text until it was restarted)."""
        return remade_if_pruned(self._transaction, _make_table, work)

    def lookup(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        if not self.path.exists():  # pruned: nothing to read, and no empty file left behind
            return {}
        keys = {text_key(KIND, t): t for t in texts}

        def found(db: sqlite3.Connection) -> dict[str, torch.Tensor]:
            rows = {}
            for key, tokens, hidden, blob in rows_where_in(
                    db, "SELECT key, tokens, hidden, state FROM states", "key", keys):
                dtype = WIDTHS.get(len(blob) // max(tokens * hidden, 1))
                if dtype is None or len(blob) != tokens * hidden * np.dtype(dtype).itemsize:
                    continue  # a torn or foreign row: computed again
                array = np.frombuffer(blob, dtype=dtype).reshape(tokens, hidden)
                if not np.isfinite(array).all():
                    continue  # float16 overflowed (written before kept_states): computed again
                rows[keys[key]] = torch.from_numpy(array.copy())
            return rows

        return self._with_db(found)

    def store(self, states: dict[str, torch.Tensor]) -> None:
        rows = [(text_key(KIND, t), int(s.shape[0]), int(s.shape[1]),
                 _stored(s).contiguous().numpy().tobytes()) for t, s in states.items()]
        self._with_db(lambda db: db.executemany(
            "INSERT OR REPLACE INTO states VALUES (?, ?, ?, ?)", rows))
