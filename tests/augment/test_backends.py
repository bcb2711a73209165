"""make_translator: names, required options, the cache wrapper."""

from __future__ import annotations

import pytest

from shoprel.augment.backends import make_translator
from shoprel.augment.cache import CachedTranslator
from shoprel.augment.table import TableTranslator
from shoprel.errors import ConfigError


def test_backend_names_and_options(tmp_path, jsonl):
    with pytest.raises(ConfigError, match="unknown translation backend 'google'"):
        make_translator("google")
    with pytest.raises(ConfigError, match="--table"):
        make_translator("table")
    with pytest.raises(ConfigError, match="--model"):
        make_translator("hf")
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "bolso", "source": "es", "target": "en", "translation": "bag"}])
    assert isinstance(make_translator("table", table=table, progress=False), TableTranslator)
    cached = make_translator("table", table=table, cache=tmp_path / "c.sqlite")
    assert isinstance(cached, CachedTranslator)
    assert cached.translate(["bolso", "bolso"], ["es", "es"], "en") == ["bag", "bag"]
    cached.close()
