"""Which texts an embedding cache file holds, kept in memory by a long-lived scorer (serve, a
`Scorer` keeping recent texts), so that a text the file surely lacks skips SQLite.

A server's new queries are the common case, and each batch's disk lookup of them found nothing
yet sat on the request's path: ~0.5 ms at the median but 36-57 ms at the 99th percentile on a
shared 2-core machine's disk, most of the slowest batches' time (README "Recent texts in
memory"). The record is the sorted first 8 bytes of every key in the file, read once on a
background thread in short read transactions, plus the keys this process has since handed to
the cache. It only decides whether SQLite is asked, never which vector comes back: a key another
process added after the read is taken as absent and its text encoded again (the same vector:
the file is one backbone fingerprint's), and two keys sharing 8 bytes only mean SQLite is asked.
Until the read is done, and for a file of more than MAX_KEYS keys, every text is asked as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import numpy as np

from shoprel.models.backbones.embedding_cache import text_key

log = logging.getLogger(__name__)

MAX_KEYS = 8_000_000  # 8 bytes each: 64 MB at most; past it the record is dropped
READ_PART = 20_000  # keys a read transaction: a writer waits ~20 ms at most, not the whole read
MERGE_FROM = 65_536  # keys added since the read, kept in a set until merged into the array


def key_prefixes(keys: Sequence[str]) -> np.ndarray:
    """The first 8 bytes of each hex key (text_key), as sorted-comparable unsigned integers."""
    return np.frombuffer(bytes.fromhex("".join(key[:16] for key in keys)),
                         dtype=">u8").astype(np.uint64)


class KnownKeys:
    """The keys one cache file may hold: `may_hold` drops the texts it surely lacks."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._held: np.ndarray | None = None  # sorted prefixes; None while reading, or dropped
        self._added: set[int] = set()  # this process's keys since the read began
        self._dropped = False
        self._read_done = threading.Event()
        threading.Thread(target=self._load, name="shoprel-cache-keys", daemon=True).start()

    def wait_read(self, timeout: float | None = None) -> bool:
        return self._read_done.wait(timeout)

    def may_hold(self, kind: str, texts: Sequence[str]) -> list[str]:
        """The texts whose vectors the file may hold: all of them until the read is done."""
        if not texts:
            return []
        with self._lock:
            if self._held is None:
                return list(texts)
            prefixes = key_prefixes([text_key(kind, t) for t in texts])
            at = np.minimum(np.searchsorted(self._held, prefixes), max(len(self._held) - 1, 0))
            in_file = (self._held[at] == prefixes) if len(self._held) else \
                np.zeros(len(texts), dtype=bool)
            return [text for text, held, prefix in zip(texts, in_file, prefixes, strict=True)
                    if held or int(prefix) in self._added]

    def add(self, kind: str, texts: Sequence[str]) -> None:
        """Texts this process handed to the cache: asked of SQLite from now on."""
        if not texts:
            return
        prefixes = key_prefixes([text_key(kind, t) for t in texts])
        with self._lock:
            if self._dropped:
                return
            self._added.update(int(p) for p in prefixes)
            if self._held is not None and len(self._added) >= MERGE_FROM:
                self._held = np.union1d(self._held, np.fromiter(self._added, np.uint64))
                self._added = set()
            if len(self._added) + (0 if self._held is None else len(self._held)) > MAX_KEYS:
                self._drop()

    def _load(self) -> None:
        try:
            held = self._read()
        except (sqlite3.Error, ValueError) as exc:  # unreadable (or not ours): ask SQLite
            log.debug("embedding cache %s: keys not read (%s)", self.path, exc)
            held = None
        with self._lock:
            if held is None or len(held) + len(self._added) > MAX_KEYS:
                self._drop()
            elif not self._dropped:
                self._held = held
        self._read_done.set()

    def _read(self) -> np.ndarray | None:
        """The file's key prefixes, sorted; None past MAX_KEYS. No file: none held."""
        if not self.path.exists():
            return np.zeros(0, dtype=np.uint64)
        parts, count, last = [], 0, ""
        with closing(sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True,
                                     timeout=60)) as db:
            while True:  # each SELECT its own read transaction, in key order (the key's index)
                keys = [key for key, in db.execute(
                    "SELECT key FROM vectors WHERE key > ? ORDER BY key LIMIT ?",
                    (last, READ_PART))]
                if not keys:
                    break
                count += len(keys)
                if count > MAX_KEYS:
                    return None
                parts.append(key_prefixes(keys))
                last = keys[-1]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)

    def _drop(self) -> None:
        """Too many keys to keep: every text is asked of SQLite, as without a record."""
        if not self._dropped:
            log.info("embedding cache %s: its keys are not kept in memory (over %d, or "
                     "unreadable); every new text is looked up on disk", self.path, MAX_KEYS)
        self._dropped = True
        self._held, self._added = None, set()


_RECORDS: dict[Path, KnownKeys] = {}
_RECORDS_LOCK = threading.Lock()


def known_keys(path: str | Path) -> KnownKeys:
    """The process's one record of a cache file (fold models of one backbone share it)."""
    with _RECORDS_LOCK:
        key = Path(path).resolve()
        if key not in _RECORDS:
            _RECORDS[key] = KnownKeys(key)
        return _RECORDS[key]
