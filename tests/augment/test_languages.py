"""One order for every listing of languages (augment.languages.by_rows)."""

from __future__ import annotations

from click.testing import CliRunner

from shoprel.augment.languages import by_rows
from shoprel.cli.augment import langid, translate


def test_most_rows_first_ties_by_code_untagged_last():
    assert by_rows({"fr": 1, "unk": 9, "es": 3, "en": 3, "de": 1}) == ["en", "es", "de", "fr",
                                                                        "unk"]
    assert by_rows({}) == []


def test_translate_and_langid_list_a_file_s_languages_in_one_order(tmp_path, jsonl):
    """translate's table listed languages by code, langid's by rows (ties, untagged rows
    among them, as first met): the same file's languages read in two orders."""
    rows = [("fr", "chaussures"), ("en", "shoes"), ("", "zapatos"), ("es", "bolso"),
            ("en", "bag"), ("es", "zapatos"), ("", "bolso"), ("es", "funda")]
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": i, "language": lang, "origin_query": query, "category_path": "a"}
        for i, (lang, query) in enumerate(rows)])
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "zapatos", "source": "es", "target": "en", "translation": "shoes"}])
    runner = CliRunner()
    translated = runner.invoke(translate, [str(data), "--out", str(tmp_path / "t_out.jsonl"),
                                           "--backend", "table", "--table", str(table)])
    detected = runner.invoke(langid, [str(data), "--out", str(tmp_path / "l_out.jsonl")])
    assert translated.exit_code == 0 and detected.exit_code == 0, (translated.output,
                                                                     detected.output)
    expected = ["es", "en", "fr", "unk", "all"]
    assert [line.split()[0] for line in translated.output.splitlines()[1:6]] == expected
    assert [line.split()[0] for line in detected.output.splitlines()[1:6]] == expected
