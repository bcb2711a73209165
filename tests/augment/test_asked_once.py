"""AskedOnce: a text met again in a run is answered from memory, never sent twice."""

from __future__ import annotations

import sqlite3

import pytest

from shoprel.augment.asked_once import AskedOnce
from shoprel.augment.cache import CachedTranslator
from shoprel.augment.table import TableTranslator


class _Counting(TableTranslator):
    def __init__(self, path):
        super().__init__(path)
        self.calls: list[list[str]] = []

    def translate(self, texts, source_langs, target):
        self.calls.append(list(texts))
        return super().translate(texts, source_langs, target)


def test_repeats_in_a_batch_and_in_later_batches_are_not_sent_again(tmp_path, jsonl):
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "zapatos", "source": "es", "target": "en", "translation": "shoes"},
        {"text": "bolso", "source": "es", "target": "en", "translation": "bag"}])
    backend = _Counting(table)
    once = AskedOnce(backend)
    assert (once.name, once.model) == (backend.name, backend.model)
    assert once.translate(["zapatos", "zapatos", "靴"], ["es", "ES", "ja"], "en") == [
        "shoes", "shoes", None]
    # 'spa' is 'es'; the text with no route is not asked again either
    assert once.translate(["bolso", "zapatos", "靴"], ["es", "spa", "ja"], "en") == [
        "bag", "shoes", None]
    assert once.translate(["靴", "zapatos"], ["ja", "es"], "EN") == [None, "shoes"]
    assert backend.calls == [["zapatos", "靴"], ["bolso"]]
    assert len(once.answers) == 3


def test_close_closes_a_cache_it_wraps_and_is_harmless_without_one(tmp_path, jsonl):
    """The run that owns it closes it: a cache behind it loses its SQLite connection (later
    lookups are refused); a bare backend, which holds nothing open, is left as it was."""
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "zapatos", "source": "es", "target": "en", "translation": "shoes"}])
    cached = AskedOnce(CachedTranslator(TableTranslator(table), tmp_path / "tr.sqlite"))
    assert cached.translate(["zapatos"], ["es"], "en") == ["shoes"]
    cached.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        cached.inner.translate(["bolso"], ["es"], "en")
    bare = AskedOnce(TableTranslator(table))
    bare.close()
    assert bare.translate(["zapatos"], ["es"], "en") == ["shoes"]
