"""Embedding-cache writes taken off the scoring thread, for long-lived scorers (serve, a `Scorer`
kept in memory) that answer repeated texts from memory anyway.

A served request with new queries waited on SQLite's commit before it could be answered: storing
10 vectors took 1-5 ms at the median and 10-88 ms at the 99th percentile on a shared 2-core
machine's disk (`bench/cache_writes.py`), while every request queued behind it in the model
thread waited too. Here one daemon thread per process writes what the scorers hand it, once a
second, everything pending in one transaction per cache file (README "Serving": a USE run served
at concurrency 8 went from 909-931 to 982-1,039 pairs/s, p99 153-172 to 135-145 ms); what is
still queued is written when the process exits normally (`atexit`). A flush (that exit, or a
caller's `flush_cache_writes`) wakes the writer at once rather than waiting out its second. The
disk cache stays what it was, a best-effort store: a write that fails is logged and dropped, as a
read-only cache's are, and past `MAX_PENDING` queued texts new ones are not queued (a disk slower
than the encoder must not grow memory without bound).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Sequence

import numpy as np

from shoprel.models.backbones.embedding_cache import EmbeddingCache

log = logging.getLogger(__name__)

# A commit holds the scorers' own reads of the cache file (SQLite's rollback journal) for its
# fsync: written at once, the server's p99 barely moved; written once a second, p99 fell with p50.
WRITE_EVERY_S = 1.0
MAX_PENDING = 100_000  # texts queued and not yet written (~300 MB of 768-d float32)


class _Writer:
    """The process's one writing thread and its queue of (cache, kind, texts, vectors)."""

    def __init__(self):
        self.queue: queue.Queue = queue.Queue()
        self.pending = 0
        self.lock = threading.Lock()
        self.flushes = 0  # flushes waiting: while any waits, commit at once, not after a second
        self.flushed = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None

    def put(self, cache: EmbeddingCache, kind: str, texts: list[str], vectors: np.ndarray):
        with self.lock:
            if self.pending + len(texts) > MAX_PENDING:
                log.debug("embedding cache writes: %d texts queued, %d more not stored",
                          self.pending, len(texts))
                return
            self.pending += len(texts)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name="shoprel-cache-writes",
                                               daemon=True)
                self.thread.start()
        self.queue.put((cache, kind, texts, vectors))

    def run(self) -> None:
        while True:
            items = [self.queue.get()]
            with self.flushed:  # what comes meanwhile joins this commit
                self.flushed.wait_for(lambda: self.flushes > 0, timeout=WRITE_EVERY_S)
            while True:  # everything queued meanwhile goes in the same transactions
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.write(items)
            finally:
                with self.lock:
                    self.pending -= sum(len(texts) for _, _, texts, _ in items)
                for _ in items:
                    self.queue.task_done()

    def flush(self) -> None:
        """Commit what is queued now and wait for it: an exiting process, or a caller about to
        read the cache, should not wait out the batching second."""
        if self.thread is None or not self.thread.is_alive():
            return
        with self.flushed:
            self.flushes += 1
            self.flushed.notify()
        try:
            self.queue.join()
        finally:
            with self.lock:
                self.flushes -= 1

    @staticmethod
    def write(items) -> None:
        groups: dict[tuple[int, str], tuple[EmbeddingCache, list, list]] = {}
        for cache, kind, texts, vectors in items:
            _, group_texts, group_vectors = groups.setdefault((id(cache), kind),
                                                              (cache, [], []))
            group_texts += texts
            group_vectors.append(vectors)
        for (_, kind), (cache, texts, vectors) in groups.items():
            try:
                cache.store(kind, texts, np.vstack(vectors))
            except Exception as exc:  # noqa: BLE001 — a cache write never stops the writer
                log.warning("embedding cache %s: %d vectors not stored (%s)", cache.path,
                            len(texts), exc)


_WRITER = _Writer()


def store_later(cache: EmbeddingCache, kind: str, texts: Sequence[str],
                vectors: np.ndarray) -> None:
    """Queue vectors for `cache`; the caller goes on at once."""
    _WRITER.put(cache, kind, list(texts), np.asarray(vectors, dtype=np.float32))


def flush_cache_writes() -> None:
    """Wait until every queued vector is written (or its write has failed)."""
    _WRITER.flush()


atexit.register(flush_cache_writes)
