"""Table backend: translations from a user file, with located errors for bad files."""

from __future__ import annotations

import json

import pytest

from shoprel.augment.table import TableTranslator
from shoprel.errors import InputError


def test_table_lookup_from_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,source,target,translation\n"
                    "zapatos de mujer,es,en,women's shoes\n"
                    "電動ドリル,ja,en,electric drill\n"
                    "montre,FR,en, watch \n", encoding="utf-8")
    table = TableTranslator(path)
    out = table.translate(["電動ドリル", "zapatos de mujer", "montre", "bolso"],
                          ["ja", "es", "fr", "es"], "en")
    assert out == ["electric drill", "women's shoes", "watch", None]
    assert table.translate(["zapatos de mujer"], ["es"], "fr") == [None]


def test_the_competitions_vn_tag_is_vietnamese(tmp_path):
    """The competition's QI files tag Vietnamese 'vn': its rows had no route through a table
    (or an NLLB model) that names the language 'vi', as ISO 639-1 does."""
    path = tmp_path / "t.csv"
    path.write_text("text,source,target,translation\n"
                    "ốp lưng điện thoại,vi,en,phone case\n"
                    "bàn phím cơ,vn,en,mechanical keyboard\n", encoding="utf-8")
    table = TableTranslator(path)
    assert table.translate(["ốp lưng điện thoại", "bàn phím cơ"], ["vn", "VI"], "en") == [
        "phone case", "mechanical keyboard"]


def test_table_jsonl_and_errors(tmp_path, jsonl):
    good = jsonl(tmp_path / "t.jsonl", [
        {"text": "무선 마우스", "source": "ko", "target": "en", "translation": "wireless mouse"}])
    assert TableTranslator(good).translate(["무선 마우스"], ["ko"], "en") == ["wireless mouse"]
    missing = jsonl(tmp_path / "m.jsonl", [{"text": "a", "source": "es", "target": "en"}])
    with pytest.raises(InputError, match=r"m.jsonl, line 1, field 'translation'"):
        TableTranslator(missing)
    conflict = jsonl(tmp_path / "c.jsonl", [
        {"text": "a", "source": "es", "target": "en", "translation": "x"},
        {"text": "a", "source": "es", "target": "en", "translation": "y"}])
    with pytest.raises(InputError, match=r"line 2, field 'translation'.*line 1"):
        TableTranslator(conflict)


def test_a_csv_table_missing_a_column_names_its_header_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,source,target\nmontre,fr,en\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.csv, line 1, field 'translation': missing"):
        TableTranslator(path)


def test_a_table_without_rows_is_an_error(tmp_path):
    """Otherwise every row goes untranslated ('no route') and the command succeeds."""
    for name, text in (("h.csv", "text,source,target,translation\n"), ("e.tsv", "")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=f"{name}: .*holds no translations|{name}: .*empty"):
            TableTranslator(tmp_path / name)


def test_an_empty_or_blank_translation_is_refused_at_its_line(tmp_path, jsonl):
    """A row whose translation is empty or spaces was dropped: its text went untranslated and
    was counted "no route", as a text the table lacks, so the table's mistake went unsaid (a
    text with no translation is one the table leaves out). Refused at its line, before or
    after another translation of the same text."""
    path = tmp_path / "t.csv"
    path.write_text("text,source,target,translation\n"
                    "zapatos,es,en,shoes\n"
                    "montre,fr,en,\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        TableTranslator(path)
    assert str(raised.value) == (f"{path}, line 3, field 'translation': empty translation; give "
                                 "the text's translation, or leave the row out where there is "
                                 "none")
    for first, second, at in (("", "hello", 1), ("hello", "  ", 2), (" \t", "", 1)):
        rows = jsonl(tmp_path / "e.jsonl", [
            {"text": "hola", "source": "es", "target": "en", "translation": first},
            {"text": "hola", "source": "es", "target": "en", "translation": second}])
        with pytest.raises(InputError, match=rf"line {at}, field 'translation': empty "):
            TableTranslator(rows)


def test_an_empty_or_blank_text_is_refused_at_its_line(tmp_path, jsonl):
    """A row whose text is empty or spaces was kept: no query is blank, so it translated
    nothing, and the table's mistake (a shifted column, a lost cell) went unsaid."""
    for text in ("", "  "):
        rows = jsonl(tmp_path / "e.jsonl", [
            {"text": "hola", "source": "es", "target": "en", "translation": "hello"},
            {"text": text, "source": "es", "target": "en", "translation": "shoes"}])
        with pytest.raises(InputError) as raised:
            TableTranslator(rows)
        assert str(raised.value) == (f"{rows}, line 2, field 'text': empty text; this row would "
                                     "translate no query: give the query it translates, or "
                                     "leave the row out")


def test_a_parquet_table_counts_rows_not_lines(tmp_path):
    """A Parquet table's conflict said 'line 2 ... (line 1 differs)'; now rows. A missing
    column is told at its first row (a CSV's at its header, line 1: see above)."""
    import pandas as pd

    path = tmp_path / "t.parquet"
    rows = [{"text": "hola", "source": "es", "target": "en", "translation": t}
            for t in ("hello", "hi")]
    pd.DataFrame(rows).to_parquet(path)
    with pytest.raises(InputError) as raised:
        TableTranslator(path)
    assert str(raised.value) == (f"{path}, row 2, field 'translation': conflicting translation "
                                 "(row 1 differs)")
    pd.DataFrame(rows).drop(columns="source").to_parquet(path)
    with pytest.raises(InputError) as raised:
        TableTranslator(path)
    assert str(raised.value) == f"{path}, row 1, field 'source': missing required column"


def test_a_translation_no_output_can_hold_is_refused_at_its_line(tmp_path):
    """A NUL made an output every reader refuses; a lone surrogate a UnicodeEncodeError."""
    path = tmp_path / "u.jsonl"
    for text, why in (("h\x00i", "NUL"), ("h\ud800i", "lone surrogate")):
        rows = [{"text": "adiós", "source": "es", "target": "en", "translation": "bye"},
                {"text": "hola", "source": "es", "target": "en", "translation": text}]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        with pytest.raises(InputError, match=f"line 2, field 'translation': contains a {why}"):
            TableTranslator(path)


@pytest.mark.parametrize(("value", "said"), [({"en": "x"}, "an object"), (["x"], "a list"),
                                             (True, "true"), (None, "null"),
                                             (7, "the number 7")])
def test_a_table_field_that_is_not_a_text_is_said_in_jsons_words(tmp_path, jsonl, value, said):
    """It was said in Python's: 'expected text, got dict' (bool, NoneType, int)."""
    path = jsonl(tmp_path / "t.jsonl", [
        {"text": "hola", "source": "es", "target": "en", "translation": "hello"},
        {"text": "adiós", "source": "es", "target": "en", "translation": value}])
    with pytest.raises(InputError, match=rf"t\.jsonl, line 2, field 'translation': {said} is "
                                         "not a text$"):
        TableTranslator(path)


@pytest.mark.parametrize("source, target, field, said", [
    ("", "en", "source", "'' is not a language tag"),
    ("Klingon", "en", "source", "'Klingon' is not a language tag"),
    ("es", " ", "target", "' ' is not a language tag"),
])
def test_a_row_whose_language_is_no_tag_is_refused_at_its_line(tmp_path, source, target,
                                                                 field, said):
    """A blank source or a name that is no language's matched no query, so the row was dropped
    without a word and its queries counted as 'no route' ('Spanish' reads as 'es' now)."""
    path = tmp_path / "t.csv"
    path.write_text("text,source,target,translation\nmontre,fr,en,watch\n"
                    f"zapatos,{source},{target},shoes\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"t\\.csv, line 3, field '{field}': {said}"):
        TableTranslator(path)
