"""Sentence embeddings kept on disk, so each distinct text is embedded once per backbone.

One SQLite file per backbone fingerprint (the weights' checksum), rows keyed by a hash of kind
and text, vectors stored as raw float32 bytes: no pickle, safe to share between processes. QC
has few distinct category paths and many repeated queries, so most rows hit the cache.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

from shoprel.models.backbones.cache import mark_used
from shoprel.models.backbones.resolve import Backbone
from shoprel.utils.sqlite_in import rows_where_in
from shoprel.utils.sqlite_transaction import remade_if_pruned, transaction

T = TypeVar("T")
log = logging.getLogger(__name__)


def text_key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, folder: str | Path, backbone: Backbone):
        self.folder = Path(folder)
        self.path = self.folder / f"{backbone.slug}.sqlite"
        self.fingerprint = backbone.fingerprint
        try:
            with self._transaction() as db:
                stored = self._schema(db)
        except sqlite3.OperationalError as exc:
            if self.path.exists():
                raise
            # a read-only cache with no file (or folder) for this backbone yet: nothing to
            # read, and stores are skipped as in a read-only file; texts are embedded
            log.debug("no embedding cache at %s: %s", self.path, exc)
            return
        if stored != self.fingerprint:
            raise ValueError(f"{self.path}: holds embeddings of {stored}, not {self.fingerprint}")
        mark_used(self.path)  # read, maybe never written again: its age is its last use

    def _schema(self, db: sqlite3.Connection) -> str:
        """The tables (made where missing); the fingerprint the file holds."""
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS vectors "
                   "(key TEXT PRIMARY KEY, dim INTEGER, vector BLOB)")
        stored = db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if stored is None:  # written only when missing: a read-only cache is still read
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
            return self.fingerprint
        return stored[0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only cache: said as sqlite says a file it cannot open
            raise sqlite3.OperationalError(f"cannot make {self.folder}: {exc}") from exc
        with transaction(self.path) as db:
            yield db

    def _with_db(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(db) in one transaction, the file made again where it was pruned."""
        return remade_if_pruned(self._transaction, self._schema, work)

    def lookup(self, kind: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not texts or not self.path.exists():  # every text came from an index or memory,
            return {}  # or no file was made (a read-only cache): none to open
        keys = {text_key(kind, t): t for t in texts}

        def found(db: sqlite3.Connection) -> dict[str, np.ndarray]:
            return {keys[key]: np.frombuffer(blob, dtype=np.float32, count=dim)
                    for key, dim, blob in rows_where_in(
                        db, "SELECT key, dim, vector FROM vectors", "key", keys)}

        return self._with_db(found)

    def store(self, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(text_key(kind, t), int(v.shape[0]), np.ascontiguousarray(v, np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)]
        try:
            self._with_db(lambda db: db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows))
        except sqlite3.OperationalError as exc:  # best effort, like every cache write: a
            # read-only cache (a shared or mounted one) still scores, embedding again
            log.debug("could not store embeddings in %s: %s", self.path, exc)
