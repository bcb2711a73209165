"""Sentence embeddings kept on disk, so each distinct text is embedded once per backbone.

One SQLite file per backbone fingerprint (the weights' checksum), rows keyed by a hash of kind
and text, vectors stored as raw float32 bytes: no pickle, safe to share between processes. QC
has few distinct category paths and many repeated queries, so most rows hit the cache.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from shoprel.models.backbones.resolve import Backbone
from shoprel.utils.sqlite_in import rows_where_in


def text_key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, folder: str | Path, backbone: Backbone):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{backbone.slug}.sqlite"
        self.fingerprint = backbone.fingerprint
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS vectors "
                       "(key TEXT PRIMARY KEY, dim INTEGER, vector BLOB)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
            (stored,) = db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if stored != self.fingerprint:
            raise ValueError(f"{self.path}: holds embeddings of {stored}, not {self.fingerprint}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=60)

    def lookup(self, kind: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        if not texts:  # every text came from an index or memory: no file to open
            return found
        keys = {text_key(kind, t): t for t in texts}
        with self._connect() as db:
            for key, dim, blob in rows_where_in(db, "SELECT key, dim, vector FROM vectors",
                                                "key", keys):
                found[keys[key]] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def store(self, kind: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(text_key(kind, t), int(v.shape[0]), np.ascontiguousarray(v, np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
