"""Every SQLite connection the caches open is closed when its work is done, not left to the
garbage collector (`with sqlite3.connect(...)` only commits; Python 3.13 warns of the rest)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import torch

from shoprel.augment.cache import CachedTranslator
from shoprel.errors import InputError
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.resolve import Backbone
from shoprel.models.biencoder.state_cache import StateCache


@pytest.fixture
def opened(monkeypatch) -> list[sqlite3.Connection]:
    """Every connection opened while the test runs, kept alive so an unclosed one shows."""
    connections: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def spy(*args, **kwargs):
        connections.append(connect(*args, **kwargs))
        return connections[-1]

    monkeypatch.setattr(sqlite3, "connect", spy)
    return connections


def is_open(db: sqlite3.Connection) -> bool:
    try:
        db.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        return False
    return True


def still_open(connections: list[sqlite3.Connection]) -> int:
    return sum(is_open(db) for db in connections)


def test_the_embedding_cache_closes_each_connection(tmp_path, opened):
    backbone = Backbone(name="tiny", source=str(tmp_path / "tiny"),
                        fingerprint="sha256:" + "d" * 64)
    cache = EmbeddingCache(tmp_path / "embeddings", backbone)
    cache.store("query", ["a", "b"], np.ones((2, 3), np.float32))
    assert set(cache.lookup("query", ["a", "b", "c"])) == {"a", "b"}
    cache.path.unlink()  # pruned under a running process: made again by the next store
    cache.store("query", ["c"], np.ones((1, 3), np.float32))
    assert set(cache.lookup("query", ["a", "c"])) == {"c"}
    assert len(opened) == 6  # the store after the prune is tried once, then again
    assert still_open(opened) == 0


def test_the_state_cache_closes_each_connection(tmp_path, opened):
    cache = StateCache(tmp_path / "states" / "tiny-from1-len8.sqlite")
    cache.store({"a": torch.ones(2, 4)})
    assert torch.equal(cache.lookup(["a", "b"])["a"], torch.ones(2, 4))
    assert len(opened) == 3
    assert still_open(opened) == 0


class Echo:
    name, model = "echo", "none"

    def translate(self, texts, source_langs, target):
        return list(texts)


def test_the_translation_cache_closes_its_connection_also_when_it_refuses_the_file(
        tmp_path, opened):
    with CachedTranslator(Echo(), tmp_path / "c.sqlite") as cached:
        assert cached.translate(["hola"], ["es"], "en") == ["hola"]
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database, but not empty either" * 50)
    with pytest.raises(InputError, match="not a translation cache"):
        CachedTranslator(Echo(), garbage)
    assert len(opened) == 2
    assert still_open(opened) == 0
