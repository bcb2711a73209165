"""The on-disk embedding cache: vectors back as stored, and a file pruned while a process (a
server) still uses the cache is made again instead of failing every later call."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.resolve import Backbone


@pytest.fixture
def backbone(tmp_path):
    return Backbone(name="tiny", source=str(tmp_path / "tiny"), fingerprint="sha256:" + "b" * 64)


def test_vectors_come_back_as_stored(tmp_path, backbone):
    cache = EmbeddingCache(tmp_path / "embeddings", backbone)
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.store("query", ["a", "b"], vectors)
    found = cache.lookup("query", ["a", "b", "c"])
    assert set(found) == {"a", "b"}
    np.testing.assert_array_equal(found["b"], vectors[1])
    assert cache.lookup("passage", ["a"]) == {}  # kinds are kept apart
    with sqlite3.connect(cache.path) as db:  # the file now says another backbone's vectors
        db.execute("UPDATE meta SET value = 'sha256:other' WHERE key = 'fingerprint'")
    with pytest.raises(ValueError, match="holds embeddings of sha256:other"):
        EmbeddingCache(tmp_path / "embeddings", backbone)


@pytest.mark.parametrize("pruned", ["file", "folder"])
def test_a_file_pruned_under_a_running_process_is_made_again(tmp_path, backbone, pruned):
    cache = EmbeddingCache(tmp_path / "embeddings", backbone)
    cache.store("query", ["a"], np.ones((1, 3), np.float32))
    if pruned == "file":
        cache.path.unlink()
    else:
        shutil.rmtree(cache.folder)
    assert cache.lookup("query", ["a"]) == {}  # gone, not an error
    cache.store("query", ["b"], np.full((1, 3), 2, np.float32))
    np.testing.assert_array_equal(cache.lookup("query", ["b"])["b"], [2, 2, 2])
    # the file made again is a whole cache: another process opens it as one
    assert set(EmbeddingCache(cache.folder, backbone).lookup("query", ["a", "b"])) == {"b"}


def test_a_read_only_cache_is_read_and_not_written(tmp_path, backbone, monkeypatch):
    """A cache on a read-only disk (shared, mounted): opening it reads the fingerprint without
    writing it again, and a store is skipped (best effort, like every cache write); both were
    'attempt to write a readonly database' tracebacks that stopped predict."""
    cache = EmbeddingCache(tmp_path / "embeddings", backbone)
    cache.store("query", ["a"], np.ones((1, 3), np.float32))
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda path, timeout: connect(
        f"file:{path}?mode=ro", uri=True, timeout=timeout))
    read_only = EmbeddingCache(tmp_path / "embeddings", backbone)
    read_only.store("query", ["b"], np.full((1, 3), 2, np.float32))
    assert set(read_only.lookup("query", ["a", "b"])) == {"a"}


@pytest.mark.parametrize("missing", ["folder", "file"])
def test_a_read_only_cache_without_this_backbones_file_embeds_without_storing(
        tmp_path, backbone, monkeypatch, missing):
    """SHOPREL_CACHE on an empty read-only folder (no embeddings/ yet), or one whose
    embeddings/ holds no file of this backbone: as a read-only file, nothing is found and
    stores are skipped; predict died in a traceback from mkdir (or sqlite's open)."""
    folder = tmp_path / "embeddings"
    if missing == "file":
        folder.mkdir()

    def read_only_mkdir(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    connect = sqlite3.connect
    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    monkeypatch.setattr(sqlite3, "connect", lambda path, timeout: connect(
        f"file:{path}?mode=ro", uri=True, timeout=timeout))
    cache = EmbeddingCache(folder, backbone)
    assert cache.lookup("query", ["a"]) == {}
    cache.store("query", ["a"], np.ones((1, 3), np.float32))
    assert cache.lookup("query", ["a"]) == {}
    assert folder.exists() == (missing == "file") and not cache.path.exists()
