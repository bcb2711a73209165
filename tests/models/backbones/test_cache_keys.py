"""A long-lived scorer's record of the keys an embedding cache file holds: texts the file surely
lacks skip SQLite, and the record never changes which vector comes back."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest

from shoprel.models.backbones import cache_keys
from shoprel.models.backbones.cache_keys import KnownKeys, key_prefixes, known_keys
from shoprel.models.backbones.cache_writes import flush_cache_writes
from shoprel.models.backbones.embedding_cache import EmbeddingCache, text_key
from shoprel.models.backbones.embedding_store import EmbeddingStore, RecentTexts
from shoprel.models.backbones.resolve import Backbone

pytestmark = pytest.mark.usefixtures("writes_at_once")


@pytest.fixture
def asked(monkeypatch):
    """The texts each disk lookup asked SQLite for."""
    calls: list[list[str]] = []
    real = EmbeddingCache.lookup
    monkeypatch.setattr(EmbeddingCache, "lookup", lambda self, kind, texts: (
        calls.append(list(texts)), real(self, kind, texts))[1])
    return calls


def encode(texts, kind):
    return np.array([[len(t), ord(t[0]), 1.0] for t in texts], dtype=np.float32)


def served(cache, recent: int = 100) -> EmbeddingStore:
    """A store as serve builds one, its record read."""
    record = KnownKeys(cache.path)
    assert record.wait_read(10)
    return EmbeddingStore(encode, cache, recent=RecentTexts(recent), counts=Counter(),
                          write_behind=True, known_keys=record)


def test_a_text_the_file_lacks_skips_sqlite_and_one_it_holds_is_read(cache, asked):
    cache.store("query", ["drill", "saw"], encode(["drill", "saw"], "query"))
    store = served(cache)
    vectors = store.embed(["drill", "hammer", "saw"], "query")
    np.testing.assert_array_equal(vectors, encode(["drill", "hammer", "saw"], "query"))
    assert asked == [["drill", "saw"]]
    assert store.counts == {"disk": 2, "encoded": 1}
    store.embed(["drill"], "passage")  # another kind is another key
    assert asked[-1] == []


def test_a_key_another_process_added_after_the_read_costs_an_encode_not_a_wrong_vector(
        cache, asked):
    store = served(cache)
    other_process = EmbeddingCache(cache.folder, Backbone(
        name="tiny", source="elsewhere", fingerprint="sha256:" + "c" * 64))
    other_process.store("query", ["late"], encode(["late"], "query"))
    np.testing.assert_array_equal(store.embed(["late"], "query"), encode(["late"], "query"))
    assert store.counts == {"encoded": 1}  # taken as absent: encoded again, the same vector
    assert asked == [[]]


def test_a_shared_key_prefix_only_means_sqlite_is_asked(cache, asked, monkeypatch):
    cache.store("query", ["drill"], encode(["drill"], "query"))
    store = served(cache)
    twin = text_key("query", "drill")[:16] + "0" * 48  # same first 8 bytes, another key
    assert twin != text_key("query", "drill")
    monkeypatch.setattr(cache_keys, "text_key", lambda kind, text: twin
                        if text == "nail" else text_key(kind, text))
    np.testing.assert_array_equal(store.embed(["nail"], "query"), encode(["nail"], "query"))
    assert asked == [["nail"]] and store.counts == {"encoded": 1}


def test_texts_this_process_stored_are_read_back_once_out_of_memory(cache, asked):
    store = served(cache, recent=1)
    store.embed(["drill"], "query")
    flush_cache_writes()
    store.embed(["saw"], "query")  # memory of one text: drill leaves it
    np.testing.assert_array_equal(store.embed(["drill"], "query"), encode(["drill"], "query"))
    assert asked[-1] == ["drill"]
    assert store.counts == {"encoded": 2, "disk": 1}


def test_a_file_past_the_bound_is_not_recorded_and_every_text_is_asked(cache, asked,
                                                                       monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger=cache_keys.__name__)
    monkeypatch.setattr(cache_keys, "MAX_KEYS", 2)
    monkeypatch.setattr(cache_keys, "READ_PART", 1)
    cache.store("query", ["a", "b", "c"], encode(["a", "b", "c"], "query"))
    store = served(cache)
    store.embed(["a", "new"], "query")
    assert asked == [["a", "new"]]
    assert "not kept in memory" in caplog.text


def test_adding_past_the_bound_drops_the_record(cache, monkeypatch):
    monkeypatch.setattr(cache_keys, "MAX_KEYS", 3)
    monkeypatch.setattr(cache_keys, "MERGE_FROM", 2)
    cache.store("query", ["a"], encode(["a"], "query"))
    record = KnownKeys(cache.path)
    assert record.wait_read(10)
    record.add("query", ["b", "c"])  # merged into the sorted array: 3 keys
    assert record.may_hold("query", ["a", "b", "c", "d"]) == ["a", "b", "c"]
    record.add("query", ["d"])  # a fourth: over the bound
    assert record.may_hold("query", ["x", "y"]) == ["x", "y"]


def test_no_file_yet_holds_nothing_until_this_process_stores(tmp_path):
    record = KnownKeys(tmp_path / "embeddings" / "none.sqlite")
    assert record.wait_read(10)
    assert record.may_hold("query", ["a"]) == []
    record.add("query", ["a"])
    assert record.may_hold("query", ["a", "b"]) == ["a"]


def test_one_record_a_file_per_process(cache):
    assert known_keys(cache.path) is known_keys(cache.folder / ".." / cache.folder.name /
                                                cache.path.name)


def test_key_prefixes_keep_the_keys_order():
    keys = sorted(text_key("query", str(i)) for i in range(50))
    prefixes = key_prefixes(keys)
    assert prefixes.dtype == np.uint64 and np.all(np.diff(prefixes.astype(float)) >= 0)
