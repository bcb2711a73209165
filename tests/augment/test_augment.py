"""augment_translations: new-language training rows, flagged, labels kept, ids unique."""

from __future__ import annotations

import shutil

import pytest

from shoprel.augment.augment import augment_translations
from shoprel.augment.table import TableTranslator
from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError


@pytest.fixture
def table(tmp_path, jsonl):
    return TableTranslator(jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "it", "translation": "custodia iphone"},
        {"text": "car wash sponge", "source": "en", "target": "de",
         "translation": "autowaschschwamm"},
    ]))


def test_rows_in_new_languages(tmp_path, jsonl, qc_rows, table):
    rows = qc_rows + [{"id": 4, "task": "QC", "language": "es", "origin_query": "bolso",
                       "category_path": "luggage & bags", "label": 0}]
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", rows))
    out = augment_translations(frame, {"it": "es", "de": "en", "th": "ko"}, table)
    df = out.df
    assert len(df) == 6 and out.stats["augmented"] == 2  # "bolso" has no translation: left out
    assert out.stats["translated"] == {"it": 1, "de": 1}  # th: no ko query has a translation
    new = df[df["augmented"]]
    assert new["language"].tolist() == ["it", "de"]
    assert new["query"].tolist() == ["custodia iphone", "autowaschschwamm"]
    assert new["label"].tolist() == [1, 1]
    assert new["target"].tolist() == [rows[0]["category_path"], rows[1]["category_path"]]
    assert df["id"].is_unique and new["id"].tolist() == [5, 6]
    assert not df.loc[~df["augmented"], "query"].ne(frame.df["query"]).any()


def test_string_ids_and_bad_target(tmp_path, jsonl, qc_rows, table):
    rows = [dict(r, id=f"q{r['id']}") for r in qc_rows]
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", rows))
    out = augment_translations(frame, {"it": "es"}, table, include_original=False)
    assert out.df["id"].tolist() == ["aug-it-1"] and out.df["augmented"].all()
    with pytest.raises(ConfigError, match="its own source"):
        augment_translations(frame, {"es": "es"}, table)


class CountingTranslator:
    """Answers every text (an empty one with a made-up word, as a model would) and keeps what it
    was sent."""

    name, model = "counting", "counting"

    def __init__(self):
        self.sent: list[str] = []

    def translate(self, texts, source_langs, target):
        self.sent.extend(texts)
        return [f"{text} ({target})" if text.strip() else "invented" for text in texts]


def test_empty_queries_are_never_sent(tmp_path, jsonl, qc_rows):
    """Empty queries were sent to the backend (`shoprel translate` sends none), and a backend
    that answered them had its answer kept as an augmented row."""
    rows = qc_rows + [{"id": 4, "task": "QC", "language": "es", "origin_query": "",
                       "category_path": "luggage & bags", "label": 0},
                      {"id": 5, "task": "QC", "language": "es", "origin_query": "   ",
                       "category_path": "luggage & bags", "label": 0}]
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", rows))
    backend = CountingTranslator()
    out = augment_translations(frame, {"it": "es"}, backend)
    assert backend.sent == ["funda iphone"]
    assert out.stats["augmented"] == 1 and out.stats["translated"] == {"it": 1}
    assert out.df.loc[out.df["augmented"], "query"].tolist() == ["funda iphone (it)"]
    assert len(out.df) == 6


def test_a_new_language_is_tagged_as_every_command_reads_it(tmp_path, jsonl, qc_rows):
    """{pt_br: es} made rows tagged 'pt', unlike the file's own pt-BR rows; the tag as
    canonical_tag reads it, and the backend asked the region."""
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", qc_rows))
    backend = CountingTranslator()
    out = augment_translations(frame, {"pt_br": "ES", "it-it": "es"}, backend)
    new = out.df[out.df["augmented"]]
    assert new[["language", "query"]].values.tolist() == [
        ["pt-BR", "funda iphone (pt-br)"], ["it-IT", "funda iphone (it-it)"]]
    assert out.stats["translated"] == {"pt-BR": 1, "it-IT": 1}


@pytest.mark.skipif(shutil.which("apertium") is None, reason="the apertium command is absent")
def test_a_new_language_with_a_region_takes_apertium_s_regional_pair(tmp_path, jsonl):
    """augment.translate {pt-BR: es} made European Portuguese rows ('autocarro') through es-pt
    though es-pt_BR was installed, as `translate --to pt-BR` did; the rows are tagged pt-BR."""
    from shoprel.augment.apertium import ApertiumTranslator

    apertium = ApertiumTranslator()
    if "es-pt_BR" not in apertium.model.split(","):
        pytest.skip("no es-pt_BR pair: install apertium-es-pt")
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", [
        {"id": 1, "language": "es", "origin_query": "autobús de juguete",
         "category_path": "toys", "label": 1}]))
    brazilian = augment_translations(frame, {"pt-BR": "es"}, apertium).df
    plain = augment_translations(frame, {"pt": "es"}, apertium).df
    assert brazilian.loc[brazilian["augmented"], ["language", "query"]].values.tolist() == [
        ["pt-BR", "ônibus de brinquedo"]]
    assert plain.loc[plain["augmented"], "query"].tolist() == ["autocarro de brinquedo"]
