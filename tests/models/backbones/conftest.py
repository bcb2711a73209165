"""Fixtures the embedding-cache tests share: a tiny backbone's cache file, and background cache
writes that commit at once."""

import pytest

from shoprel.models.backbones import cache_writes
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.resolve import Backbone


@pytest.fixture
def writes_at_once(monkeypatch):
    """The background writer commits what it is handed at once instead of once a second."""
    monkeypatch.setattr(cache_writes, "WRITE_EVERY_S", 0.0)


@pytest.fixture
def cache(tmp_path):
    """An embedding cache of a tiny made-up backbone in the test's folder."""
    backbone = Backbone(name="tiny", source=str(tmp_path / "tiny"),
                        fingerprint="sha256:" + "c" * 64)
    return EmbeddingCache(tmp_path / "embeddings", backbone)
