"""Disk-cache writes off the scoring thread: a scorer that keeps recent texts in memory answers
without waiting on the disk, and what it queued reaches the cache (also when the process exits)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter

import numpy as np
import pytest

from shoprel.models.backbones import cache_writes
from shoprel.models.backbones.cache_writes import flush_cache_writes, store_later
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.embedding_store import EmbeddingStore, RecentTexts

pytestmark = pytest.mark.usefixtures("writes_at_once")


def encode(texts, kind):
    return np.array([[len(t), ord(t[0]), 1.0] for t in texts], dtype=np.float32)


def test_queued_vectors_reach_the_cache(cache):
    store_later(cache, "query", ["drill", "saw"], encode(["drill", "saw"], "query"))
    store_later(cache, "passage", ["tools"], encode(["tools"], "passage"))
    flush_cache_writes()
    found = cache.lookup("query", ["drill", "saw", "tools"])
    assert set(found) == {"drill", "saw"}
    np.testing.assert_array_equal(found["saw"], [3, ord("s"), 1])
    assert set(cache.lookup("passage", ["tools", "drill"])) == {"tools"}


def test_a_scorer_with_recent_texts_does_not_wait_on_the_disk(cache, monkeypatch):
    disk_free = threading.Event()
    real_store = EmbeddingCache.store

    def slow_store(self, kind, texts, vectors):
        disk_free.wait(10)  # a commit stuck behind a busy disk
        real_store(self, kind, texts, vectors)

    monkeypatch.setattr(EmbeddingCache, "store", slow_store)
    store = EmbeddingStore(encode, cache, recent=RecentTexts(100), counts=Counter(),
                           write_behind=True)
    answered = []
    scoring = threading.Thread(target=lambda: answered.append(store.embed(["hammer"], "query")))
    scoring.start()
    scoring.join(5)
    assert answered, "the scorer waited for the disk write"
    np.testing.assert_array_equal(answered[0], encode(["hammer"], "query"))
    assert cache.lookup("query", ["hammer"]) == {}  # not written yet
    disk_free.set()
    flush_cache_writes()
    assert set(cache.lookup("query", ["hammer"])) == {"hammer"}


def test_a_flush_commits_at_once_and_unflushed_writes_still_wait_their_second(cache,
                                                                            monkeypatch):
    monkeypatch.setattr(cache_writes, "WRITE_EVERY_S", 1.0)
    store_later(cache, "query", ["drill", "saw"], encode(["drill", "saw"], "query"))
    time.sleep(0.2)
    assert cache.lookup("query", ["drill"]) == {}  # batched: not committed yet
    started = time.monotonic()
    flush_cache_writes()
    assert time.monotonic() - started < 0.3
    assert set(cache.lookup("query", ["drill", "saw"])) == {"drill", "saw"}
    store_later(cache, "query", ["nail"], encode(["nail"], "query"))
    time.sleep(0.2)
    assert cache.lookup("query", ["nail"]) == {}  # after the flush, batching again
    flush_cache_writes()
    assert set(cache.lookup("query", ["nail"])) == {"nail"}


def test_without_write_behind_the_vector_is_on_disk_when_embed_returns(cache):
    store = EmbeddingStore(encode, cache, counts=Counter())
    store.embed(["nail"], "query")
    assert set(cache.lookup("query", ["nail"])) == {"nail"}


def test_the_store_tallies_only_the_sources_texts_came_from(cache):
    """A source that gave nothing is not tallied: the counts name no source at zero, the same
    vectors come back whichever source gave them."""
    store = EmbeddingStore(encode, cache, recent=RecentTexts(100), counts=Counter())
    first = store.embed(["nail", "saw", "nail"], "query")
    assert store.counts == {"encoded": 2}
    np.testing.assert_array_equal(store.embed(["nail", "saw", "nail"], "query"), first)
    assert store.counts == {"encoded": 2, "memory": 2}
    fresh = EmbeddingStore(encode, cache, recent=RecentTexts(100), counts=Counter())
    np.testing.assert_array_equal(fresh.embed(["saw", "nail"], "query"), first[[1, 0]])
    assert fresh.counts == {"disk": 2}


def test_a_failed_write_is_dropped_and_the_writer_goes_on(cache, monkeypatch, caplog):
    real_store = EmbeddingCache.store
    calls = []

    def failing_once(self, kind, texts, vectors):
        calls.append(list(texts))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real_store(self, kind, texts, vectors)

    monkeypatch.setattr(EmbeddingCache, "store", failing_once)
    store_later(cache, "query", ["lost"], encode(["lost"], "query"))
    flush_cache_writes()
    store_later(cache, "query", ["kept"], encode(["kept"], "query"))
    flush_cache_writes()
    assert set(cache.lookup("query", ["lost", "kept"])) == {"kept"}
    assert "1 vectors not stored (" in caplog.text and "No space left" in caplog.text


def test_past_the_pending_limit_new_writes_are_not_queued(cache, monkeypatch):
    monkeypatch.setattr(cache_writes, "MAX_PENDING", 2)
    hold = threading.Event()
    real_store = EmbeddingCache.store
    monkeypatch.setattr(EmbeddingCache, "store",
                        lambda self, *a: (hold.wait(10), real_store(self, *a)))
    store_later(cache, "query", ["a", "b"], encode(["a", "b"], "query"))
    store_later(cache, "query", ["c"], encode(["c"], "query"))  # over the limit: dropped
    hold.set()
    flush_cache_writes()
    assert set(cache.lookup("query", ["a", "b", "c"])) == {"a", "b"}
    store_later(cache, "query", ["c"], encode(["c"], "query"))  # room again
    flush_cache_writes()
    assert "c" in cache.lookup("query", ["c"])


def test_what_is_queued_is_written_when_the_process_exits(cache, tmp_path):
    script = f"""
import threading, numpy as np
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.resolve import Backbone
from shoprel.models.backbones.cache_writes import store_later
real = EmbeddingCache.store
def slow(self, *a):  # still writing when the main thread ends
    threading.Event().wait(0.5)
    real(self, *a)
EmbeddingCache.store = slow
backbone = Backbone(name="tiny", source={str(tmp_path / "tiny")!r},
                    fingerprint="sha256:" + "c" * 64)
cache = EmbeddingCache({str(tmp_path / "embeddings")!r}, backbone)
store_later(cache, "query", ["late"], np.ones((1, 3), dtype=np.float32))
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert set(cache.lookup("query", ["late"])) == {"late"}
