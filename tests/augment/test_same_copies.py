"""augment.translate keys of one language whose copies are the same text, noted."""

from __future__ import annotations

import shutil

import pytest

from shoprel.augment.asked_once import AskedOnce
from shoprel.augment.same_copies import same_copies_notes
from shoprel.augment.table import TableTranslator


def test_a_backend_without_regions_makes_the_same_copies_under_both_tags(tmp_path, jsonl):
    """A table (as hf) reads base languages only: {pt: es, pt-BR: es} asks es -> pt twice."""
    table = AskedOnce(TableTranslator(jsonl(tmp_path / "t.jsonl", [
        {"text": "funda", "source": "es", "target": "pt", "translation": "capa"}])))
    assert same_copies_notes({"pt": "es", "pt-BR": "es", "it": "es"}, table, "table") == [
        "note: augment.translate: the pt and pt-BR copies of the es rows are the same text, "
        "all translated into pt (the table backend has no regional variants): two identical "
        "copy sets under 2 tags, so each es row trains twice as that text; keep one of those "
        "keys, or use a backend with the regional pair"]
    # other sources, or one key per language: copies of their own
    assert same_copies_notes({"pt": "es", "pt-BR": "en"}, table, "table") == []
    assert same_copies_notes({"pt-BR": "es", "it": "es"}, table, "table") == []


@pytest.mark.skipif(shutil.which("apertium") is None, reason="the apertium command is absent")
def test_apertium_makes_the_same_copies_only_where_the_regional_pair_is_missing():
    from shoprel.augment.apertium import ApertiumTranslator

    apertium = ApertiumTranslator()
    if "es-pt_BR" not in apertium.model.split(",") or "es-pt" not in apertium.model.split(","):
        pytest.skip("no es-pt and es-pt_BR pairs: install apertium-es-pt")
    assert same_copies_notes({"pt": "es", "pt-BR": "es"}, AskedOnce(apertium), "apertium") == []
    assert same_copies_notes({"pt": "es", "pt-PT": "es"}, AskedOnce(apertium), "apertium") == [
        "note: augment.translate: the pt and pt-PT copies of the es rows are the same text, "
        "all translated into pt (the apertium backend has no es-pt_PT pair installed): two "
        "identical copy sets under 2 tags, so each es row trains twice as that text; keep one "
        "of those keys, or use a backend with the regional pair"]
