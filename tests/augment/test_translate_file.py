"""translate_file_with end to end on the demo QC file; the output reads back with
query_en."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from shoprel.augment.table import TableTranslator
from shoprel.augment.translate_file import translate_file_with
from shoprel.cli.augment import translate
from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError, InputError


def test_a_csv_input_without_languages_names_its_header_line(tmp_path, qc_rows):
    data = tmp_path / "qc.csv"
    data.write_text("id,origin_query,category_path\n" + "".join(
        f"{r['id']},{r['origin_query']},\"{r['category_path']}\"\n" for r in qc_rows),
        encoding="utf-8")
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"text": "a", "source": "es", "target": "en",
                                 "translation": "b"}) + "\n")
    with pytest.raises(InputError, match=r"qc\.csv, line 1, field 'language': missing"):
        translate_file_with(data, tmp_path / "out.csv", TableTranslator(table))
    assert not (tmp_path / "out.csv").exists()


def test_table_backend_file_counts_and_reader_mapping(tmp_path, jsonl, qc_rows):
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    report = translate_file_with(data, tmp_path / "out.csv", TableTranslator(table), to="en")
    assert report.totals == {"translated": 1, "passed_through": 1, "no_route": 1,
                             "unchanged": 0, "empty": 0}
    assert report.no_route == {"ja": 1}
    frame = read_pairs(tmp_path / "out.csv")
    assert frame.df["query_en"].tolist() == ["iphone case", "car wash sponge", ""]
    assert frame.df["query"].tolist() == [r["origin_query"] for r in qc_rows]


@pytest.mark.parametrize(("out_name", "marked"), [("out.csv", True), ("out.jsonl", False)])
def test_a_copy_keeps_its_inputs_byte_order_mark(tmp_path, qc_rows, out_name, marked):
    """translate (and langid, by the same writer) dropped a CSV's byte-order mark, which Excel
    needs to read it as UTF-8: a copy in the input's format starts as the input did; a
    JSON-lines copy of it gets none, nor does the copy of a file without one."""
    text = "id,language,origin_query,category_path\n" + "".join(
        f"{r['id']},{r['language']},{r['origin_query']},\"{r['category_path']}\"\n"
        for r in qc_rows)
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"text": "funda iphone", "source": "es", "target": "en",
                                 "translation": "iphone case"}) + "\n")
    for mark in ("\ufeff", ""):
        data, out = tmp_path / f"{mark and 'm'}qc.csv", tmp_path / f"{mark and 'm'}{out_name}"
        data.write_text(mark + text, encoding="utf-8")
        translate_file_with(data, out, TableTranslator(table))
        assert out.read_bytes().startswith(b"\xef\xbb\xbf") is (marked and bool(mark))
        assert read_pairs(out).df["query_en"].tolist()[0] == "iphone case"


@pytest.mark.parametrize(("name", "out_name", "crlf"), [
    ("qc.csv", "out.csv", True), ("qc.jsonl", "out.jsonl", True), ("qc.csv", "out.jsonl", False),
])
def test_a_copy_keeps_its_inputs_line_ends(tmp_path, qc_rows, name, out_name, crlf):
    """translate (and langid, by the same writer) ended every line of its copy in \n, though
    the input, saved on Windows, ended them in \r\n: a copy in the input's format ends them
    as the input does, as it keeps its byte-order mark; one in another format, or of an input
    ending its lines in \n, ends them in \n."""
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"text": "funda iphone", "source": "es", "target": "en",
                                 "translation": "iphone case"}) + "\n")
    for end in ("\r\n", "\n"):
        if name.endswith(".csv"):
            lines = ["id,language,origin_query,category_path", *(
                f"{r['id']},{r['language']},{r['origin_query']},\"{r['category_path']}\""
                for r in qc_rows)]
        else:
            lines = [json.dumps(r, ensure_ascii=False) for r in qc_rows]
        data, out = tmp_path / f"{len(end)}{name}", tmp_path / f"{len(end)}{out_name}"
        data.write_bytes("".join(line + end for line in lines).encode())
        translate_file_with(data, out, TableTranslator(table))
        written = out.read_bytes()
        ends = b"\r\n" if crlf and end == "\r\n" else b"\n"
        header = out_name.endswith(".csv")
        assert written.count(b"\n") == written.count(ends) == len(qc_rows) + header
        assert read_pairs(out).df["query_en"].tolist()[0] == "iphone case"


def test_bad_input_is_located_and_nothing_written(tmp_path, jsonl, qc_rows):
    rows = [dict(qc_rows[0]), {k: v for k, v in qc_rows[1].items() if k != "id"}]
    data = jsonl(tmp_path / "bad.jsonl", rows)
    table = jsonl(tmp_path / "t.jsonl", [{"text": "funda", "source": "es", "target": "en",
                                          "translation": "case"}])
    with pytest.raises(InputError, match=r"bad.jsonl, line 2, field 'id'"):
        translate_file_with(data, tmp_path / "out.jsonl", TableTranslator(table))
    assert not (tmp_path / "out.jsonl").exists()


def test_a_parquet_input_without_languages_is_said_at_its_first_row(tmp_path, jsonl, qc_rows):
    """A Parquet input's missing language column was said at 'line 1'; now 'row 1'."""
    import pandas as pd

    data = tmp_path / "qc.parquet"
    pd.DataFrame([{k: v for k, v in r.items() if k != "language"} for r in qc_rows]
                 ).to_parquet(data)
    table = jsonl(tmp_path / "t.jsonl", [{"text": "funda", "source": "es", "target": "en",
                                          "translation": "case"}])
    with pytest.raises(InputError, match=r"qc.parquet, row 1, field 'language': missing"):
        translate_file_with(data, tmp_path / "out.jsonl", TableTranslator(table))
    assert not (tmp_path / "out.jsonl").exists()


def test_a_target_no_row_can_reach_is_refused(tmp_path, jsonl, qc_rows):
    """A target the backend routes nothing to (a mistyped code) would write an empty
    translation on every row, which a model would then train on."""
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    with pytest.raises(ConfigError, match=r"^to 'xx': no route leads there from any language "
                                          r"of .*qc\.jsonl \(en, es, ja\); nothing written "
                                          r"\(a mistyped code, or a table with no row from "
                                          r"these languages to it\?") as info:
        translate_file_with(data, tmp_path / "out.jsonl", TableTranslator(table), to="xx")
    with pytest.raises(ConfigError, match=r"\(en, es, ja\); nothing written"):  # chunk by chunk
        translate_file_with(data, tmp_path / "out.jsonl", TableTranslator(table), to="xx",
                            chunk_rows=1)
    assert "apertium" not in str(info.value)  # Apertium's advice misled a table's user
    assert not (tmp_path / "out.jsonl").exists()


def test_a_target_no_row_reaches_names_languages_not_unk(tmp_path, jsonl):
    """`--to xx` listed 'unk' among the file's languages, as if untagged rows were in a
    language called unk; they are counted apart, and a file with no tag at all is told that,
    not that its code may be mistyped."""
    table = _table(tmp_path, jsonl)
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a"},
        {"id": 2, "language": "", "origin_query": "bolso", "category_path": "a"},
        {"id": 3, "language": "fr", "origin_query": "sac", "category_path": "a"},
        {"id": 4, "origin_query": "bolso", "category_path": "a"}])
    with pytest.raises(ConfigError, match=r"\(es, fr, and 2 rows with no language tag\); "
                                          r"nothing written \(a mistyped code"):
        translate_file_with(data, tmp_path / "out.jsonl", table, to="xx")
    untagged = jsonl(tmp_path / "u.jsonl", [
        {"id": 1, "language": "", "origin_query": "zapatos", "category_path": "a"}])
    with pytest.raises(ConfigError) as info:
        translate_file_with(untagged, tmp_path / "out.jsonl", table, to="en")
    assert str(info.value) == (
        f"to 'en': no row of {untagged} has a language tag, so none has a language to "
        "translate from; nothing written (give each row its language in the 'language' column)")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.skipif(shutil.which("apertium") is None,
                    reason="the apertium command is absent (apt-get install apertium "
                           "apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita)")
def test_demo_file_with_apertium_cli_and_cache(tmp_path, qc_demo):
    out, cache = tmp_path / "qc_en.jsonl", tmp_path / "cache.sqlite"
    args = [str(qc_demo), "--to", "en", "--backend", "apertium", "--out", str(out),
            "--cache", str(cache), "--quiet"]
    result = CliRunner().invoke(translate, args)
    assert result.exit_code == 0, result.output
    assert "45 passed through" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 360 and all("translated_query" in r and "task" in r for r in rows)
    by_lang: dict[str, list[str]] = {}
    for r in rows:
        by_lang.setdefault(r["language"], []).append(r["translated_query"])
    assert all(t == "" for t in by_lang["ja"] + by_lang["ko"] + by_lang["de"])  # no route
    assert all(t != "" for lang in ("es", "fr", "pt", "it") for t in by_lang[lang])
    en_rows = [r for r in rows if r["language"] == "en"]
    assert all(r["translated_query"] == r["origin_query"] for r in en_rows)
    first = out.read_text(encoding="utf-8")
    refused = CliRunner().invoke(translate, args)  # the output exists: kept
    assert refused.exit_code != 0 and "already exists (use --overwrite" in str(refused.exception)
    assert out.read_text(encoding="utf-8") == first
    again = CliRunner().invoke(translate, [*args, "--overwrite"])  # from the cache this time
    assert again.exit_code == 0 and out.read_text(encoding="utf-8") == first
    assert read_pairs(out).df["query_en"].str.len().gt(0).sum() == 225


@pytest.mark.skipif(shutil.which("apertium") is None,
                    reason="the apertium command is absent (apt-get install apertium "
                           "apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita)")
def test_to_pt_br_takes_apertium_s_brazilian_pair_and_says_when_there_is_none(tmp_path, jsonl):
    """`--to pt-BR` was translated by es-pt (European: 'autocarro', 'comboio') though es-pt_BR
    was installed. It now takes the regional pair, cached apart from plain pt's translations
    (a cache filled by `--to pt` must not answer pt-BR); a region with no pair (pt-PT) is
    translated into pt with a warning naming the pair that is missing (--quiet or not)."""
    from shoprel.augment.apertium import installed_modes

    if "es-pt_BR" not in installed_modes():
        pytest.skip("no es-pt_BR pair: install apertium-es-pt")
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "autobús de juguete", "category_path": "a"},
        {"id": 2, "language": "fr", "origin_query": "train électrique", "category_path": "a"},
        {"id": 3, "language": "pt", "origin_query": "comboio", "category_path": "a"}])
    cache = tmp_path / "cache.sqlite"

    def translated(to: str) -> tuple[list[str], list[str]]:
        out = tmp_path / f"{to}.jsonl"
        result = CliRunner().invoke(translate, [str(data), "--to", to, "--out", str(out),
                                                "--cache", str(cache), "--quiet"])
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        return [row["translated_query"] for row in rows], result.stderr.splitlines()

    assert translated("pt") == (["autocarro de brinquedo", "comboio elétrico", "comboio"], [])
    assert translated("pt-BR") == (["ônibus de brinquedo", "trem elétrico", "comboio"], [])
    queries, notes = translated("pt-PT")
    assert queries == ["autocarro de brinquedo", "comboio elétrico", "comboio"]
    assert notes == ["warning: no Apertium pair into pt-PT (es-pt_PT not installed; `apertium -l` "
                     "lists the pairs): rows from es, fr by es-pt were translated into pt"]


def test_a_backend_without_regions_says_it_translated_into_the_base_language(tmp_path, jsonl):
    table = _table(tmp_path, jsonl)
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a"}])
    args = [str(data), "--backend", "table", "--table", str(table.path), "--quiet"]
    regional = CliRunner().invoke(translate, [*args, "--to", "en-US", "--out",
                                              str(tmp_path / "us.jsonl")])
    assert regional.exit_code == 0, regional.output
    assert regional.stderr.splitlines() == [
        "warning: the table backend has no regional variants: rows were translated into en, not "
        "en-US"]
    assert (tmp_path / "us.jsonl").read_text().count('"translated_query": "shoes"') == 1
    plain = CliRunner().invoke(translate, [*args, "--to", "en", "--out",
                                           str(tmp_path / "en.jsonl")])
    assert plain.exit_code == 0 and plain.stderr == ""


def _translated_by_table(tmp_path, jsonl, rows: str, queries: list[tuple[str, str]]):
    """`translate --backend table --quiet` of a file of these (language, query) pairs, by a
    table of these CSV rows: the table, the input, the output and the command's result."""
    table = tmp_path / "t.csv"
    table.write_text("text,source,target,translation\n" + rows)
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": i, "language": lang, "origin_query": query, "category_path": "a,b"}
        for i, (lang, query) in enumerate(queries)])
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(translate, [str(data), "--backend", "table", "--table",
                                            str(table), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return table, data, out, result


def test_a_table_source_of_no_language_the_input_lacks_is_warned_of(tmp_path, jsonl):
    """A table row from 'sp' (meant as 'es') matched no row and translated nothing, unsaid: each
    such tag is now a warning at its first line and field. A tag the input has ('xx', the
    user's own) and a language the input lacks ('de', for another file) are the table's to
    carry: unsaid, and nothing is refused (the rows it matched are written)."""
    table, data, out, result = _translated_by_table(
        tmp_path, jsonl, "zapatos,sp,en,shoes\nmontre,fr,en,watch\nbolso,sp,en,bag\n"
                         "blah,xx,en,blah\nschuh,de,en,shoe\nfoo,zz,en,foo\n",
        [("es", "zapatos"), ("es", "bolso"), ("fr", "montre"), ("xx", "blah")])
    assert result.stderr.splitlines() == [
        f"warning: {table}, line 2, field 'source': 'sp' names no language (ISO 639-1 codes "
        f"such as es, pt, ja) and no row of {data} is tagged so: its 2 rows translated no query",
        f"warning: {table}, line 7, field 'source': 'zz' names no language (ISO 639-1 codes "
        f"such as es, pt, ja) and no row of {data} is tagged so: its row translated no query"]
    assert [json.loads(line)["translated_query"] for line in out.read_text().splitlines()] == [
        "", "", "watch", "blah"]
    fixed = table.read_text().replace(",sp,", ",es,").replace("foo,zz", "foo,de")
    table.write_text(fixed)
    again = CliRunner().invoke(translate, [str(data), "--backend", "table", "--table",
                                           str(table), "--out", str(out), "--quiet",
                                           "--overwrite"])
    assert again.exit_code == 0 and again.stderr == "", again.output


def test_a_table_target_of_no_language_but_the_one_asked_is_warned_of(tmp_path, jsonl):
    """A table row into 'us' (meant as 'en') or 'xx' matched no row asked into 'en' and
    translated nothing, its query counted 'no route' with no word of why: each such tag is
    now a warning at its first line and field, as a source of no language is. The tag asked
    (--to xx) is unsaid, and nothing is refused (the rows it matched are written)."""
    from shoprel.augment.translate_file import translate_file

    table, data, out, result = _translated_by_table(
        tmp_path, jsonl, "zapatos,es,en,shoes\nbolso,es,us,bag\nschuh,de,xx,shoe\n"
                         "hut,de,xx,hat\nmontre,fr,eng,watch\n",
        [("es", "zapatos"), ("es", "bolso"), ("de", "schuh"), ("fr", "montre")])
    said = [f"{table}, line 3, field 'target': 'us' names no language (ISO 639-1 codes such "
            "as es, pt, ja) and the translations asked were into 'en': its row translated no "
            "query",
            f"{table}, line 4, field 'target': 'xx' names no language (ISO 639-1 codes such "
            "as es, pt, ja) and the translations asked were into 'en': its 2 rows translated "
            "no query"]
    assert result.stderr.splitlines() == [f"warning: {line}" for line in said]
    assert [json.loads(line)["translated_query"] for line in out.read_text().splitlines()] == [
        "shoes", "", "", "watch"]
    report = translate_file(data, out, to="en", backend="table", table=table, overwrite=True,
                            progress=False)
    assert (report.unknown_targets, report.unknown_sources) == (said, [])
    into_xx = translate_file(data, out, to="xx", backend="table", table=table, overwrite=True,
                             progress=False)
    assert into_xx.unknown_targets == [said[0].replace("into 'en'", "into 'xx'")]
    assert into_xx.translated["de"] == 1


def test_table_cache_and_output_are_checked_before_anything_is_made(tmp_path, jsonl, qc_rows):
    """--out may not replace the table or the cache, the cache may not be the input, the
    output or the table, nor lie in a folder shoprel wrote: one line, and no file made."""
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = tmp_path / "table.csv"
    table.write_text("text,source,target,translation\nfunda,es,en,case\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    data.with_name("old.jsonl").write_text("kept\n")
    before = sorted(p.name for p in tmp_path.iterdir())

    def refused(*args):
        from shoprel.cli import main

        result = CliRunner().invoke(main, ["translate", str(data), "--backend", "table",
                                           "--table", str(table), "--quiet", *map(str, args)])
        assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
        return result.output

    assert "is the input file" in refused("--out", table, "--overwrite")
    assert "is the output file" in refused("--out", tmp_path / "same.db", "--cache",
                                           tmp_path / "same.db")
    assert "is the input file" in refused("--out", tmp_path / "o.jsonl", "--cache", data)
    # an existing file as both: it is the output, not 'the input file'
    assert refused("--out", data.with_name("old.jsonl"), "--overwrite", "--cache",
                   data.with_name("old.jsonl")) == (f"error: {data.with_name('old.jsonl')}: is "
                                                    "the output file; --cache needs a file of "
                                                    "its own\n")
    assert "is the translation table" in refused("--out", tmp_path / "o.jsonl", "--cache",
                                                  table)
    assert "a folder shoprel wrote" in refused("--out", tmp_path / "o.jsonl", "--cache",
                                               run / "tr.sqlite")
    assert "is a file, not a folder" in refused("--out", tmp_path / "o.jsonl", "--cache",
                                                data / "c.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert table.read_text().startswith("text,source") and sorted(os.listdir(run)) == ["run.json"]
    assert data.with_name("old.jsonl").read_text() == "kept\n"


def test_a_cache_linked_to_the_input_table_or_output_is_named_as_that_file(tmp_path, jsonl,
                                                                          qc_rows):
    """A --cache that is a hard link to the input (the same file by another name) was compared
    by path, passed, and was refused by SQLite as "not a translation cache (file is not a
    database)"; a link to the table or to an existing output alike. Each is now named as the
    file it is, as --out is (utils.outputs.same_file: the same inode), in one line, before any
    file is made or changed."""
    from shoprel.cli import main

    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = tmp_path / "table.csv"
    table.write_text("text,source,target,translation\nfunda,es,en,case\n")
    old = tmp_path / "old.jsonl"
    old.write_text("kept\n")
    links = {}
    for name, target in (("input", data), ("table", table), ("output", old)):
        links[name] = tmp_path / f"{name}-link.sqlite"
        os.link(target, links[name])
    before = {path: path.read_bytes() for path in (data, table, old)}
    for name, out, what in (("input", tmp_path / "o.jsonl", "the input file"),
                            ("table", tmp_path / "o.jsonl", "the translation table"),
                            ("output", old, "the output file")):
        done = CliRunner().invoke(main, ["translate", str(data), "--backend", "table",
                                         "--table", str(table), "--quiet", "--out", str(out),
                                         "--overwrite", "--cache", str(links[name])])
        assert (done.exit_code, done.output) == (
            2, f"error: {links[name]}: is {what}; --cache needs a file of its own\n")
    assert {path: path.read_bytes() for path in before} == before
    assert not (tmp_path / "o.jsonl").exists()


def test_a_target_that_is_not_a_language_tag_is_refused(tmp_path, jsonl, qc_rows):
    from shoprel.cli import main

    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    for to in ("../../x", "", "klingon"):  # "english" reads as en (language_tags.py)
        done = CliRunner().invoke(main, ["translate", str(data), "--to", to, "--out",
                                         str(tmp_path / "o.jsonl")])
        assert done.exit_code == 2 and "is not a language tag" in done.output, done.output
    assert not (tmp_path / "o.jsonl").exists()
    done = CliRunner().invoke(main, ["translate", str(data), "--backend", "hf", "--model", "m",
                                     "--beams", "0", "--out", str(tmp_path / "o.jsonl")])
    assert done.exit_code == 2
    assert ("'--beams': 0 is out of range; it must be at least 1 (shoprel translate --help)"
            in done.output)


def _table(tmp_path, jsonl):
    return TableTranslator(jsonl(tmp_path / "t.jsonl", [
        {"text": "zapatos", "source": "es", "target": "en", "translation": "shoes"}]))


def test_values_are_written_back_as_read(tmp_path, jsonl):
    """Nulls stay null and absent keys absent (pandas wrote NaN, which our own reader then
    refused), and a query the file wrote as 1.50 stays 1.50 and is translated as '1.50'."""
    data = tmp_path / "het.jsonl"
    data.write_text('{"id": 1, "language": "es", "origin_query": "zapatos", '
                    '"category_path": "a,b", "task": "QC"}\n'
                    '{"id": 2, "language": null, "origin_query": "bolsa", "category_path": "a,b",'
                    ' "note": "x"}\n'
                    '{"id": 3, "language": "en", "origin_query": 1.50, "category_path": "a,b"}\n')
    translate_file_with(data, tmp_path / "out.jsonl", _table(tmp_path, jsonl))
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert "NaN" not in "".join(lines)
    assert lines[1] == ('{"id": 2, "language": null, "origin_query": "bolsa", '
                        '"category_path": "a,b", "note": "x", "translated_query": "", '
                        '"translated_by": "shoprel translate (table)"}')
    assert lines[2].startswith('{"id": 3, "language": "en", "origin_query": 1.50, ')
    assert json.loads(lines[2])["translated_query"] == "1.50"
    translate_file_with(tmp_path / "out.jsonl", tmp_path / "again.jsonl", _table(tmp_path, jsonl))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_numeric_query_keeps_its_text_in_tables(tmp_path, jsonl, suffix):
    data = tmp_path / "q.jsonl"
    data.write_text('{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a"}\n'
                    '{"id": 2, "language": "es", "origin_query": 1.50, "category_path": "a"}\n')
    translate_file_with(data, tmp_path / f"out{suffix}", _table(tmp_path, jsonl))
    frame = read_pairs(tmp_path / f"out{suffix}")
    assert frame.df["query"].tolist() == ["zapatos", "1.50"]


def test_empty_labels_of_a_test_file_are_no_error(tmp_path, jsonl):
    """predict leaves labels unread; a file to translate before predicting must pass too."""
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a", "label": ""},
        {"id": 2, "language": "es", "origin_query": "bolsa", "category_path": "a", "label": None}])
    translate_file_with(data, tmp_path / "out.jsonl", _table(tmp_path, jsonl))
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["label"] for r in out] == ["", None]


def test_a_second_writer_fails_at_once_and_a_file_that_appeared_is_kept(tmp_path, jsonl):
    from shoprel.errors import OutputError, OutputExistsError
    from shoprel.utils.atomic import output_lock

    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a"}])
    out = tmp_path / "out.jsonl"
    with output_lock(out), pytest.raises(OutputError, match="another shoprel process"):
        translate_file_with(data, out, _table(tmp_path, jsonl))
    assert not out.exists()

    class Meanwhile(TableTranslator):
        def translate(self, texts, source_langs, target):
            out.write_text("the user's\n")  # written while the command works
            return super().translate(texts, source_langs, target)

    with pytest.raises(OutputExistsError, match="created by another process while this one "
                                                "worked; nothing was replaced"):
        translate_file_with(data, out, Meanwhile(tmp_path / "t.jsonl"))
    assert out.read_text() == "the user's\n"


@pytest.mark.parametrize("options, option, owner", [
    (["--table", "t.csv"], "--table", "table"), (["--model", "m"], "--model", "hf"),
    (["--beams", "4"], "--beams", "hf"), (["--device", "cuda:7"], "--device", "hf"),
])
def test_an_option_the_backend_never_reads_is_refused(tmp_path, jsonl, qc_rows, options,
                                                      option, owner):
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            *options])
    assert result.exit_code != 0
    assert str(result.exception) == (f"{option}: only read by --backend {owner} (this command "
                                     "translates with --backend apertium)")
    assert not (tmp_path / "o.jsonl").exists()


def test_the_summary_names_the_target_asked_and_the_warning_what_was_reached(tmp_path, jsonl,
                                                                            qc_rows):
    """`--to pt-BR` ended its summary "with no route to pt", a target nobody asked: a row with
    no route reaches neither. The table counts by base language and names no target; the
    warning line still says the rows translated went into pt."""
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "car wash sponge", "source": "en", "target": "pt", "translation": "esponja"}])
    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            "--to", "pt_br", "--backend", "table",
                                            "--table", str(table)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["language", "translated", "(unchanged)", "passed", "no", "route",
                                "empty"]
    assert lines[-1] == (f"wrote {tmp_path / 'o.jsonl'}: 1 translated, 0 passed through, "
                         "2 with no route to pt-BR")
    assert result.stderr.splitlines() == [
        "warning: the table backend has no regional variants: rows were translated into pt, not "
        "pt-BR"]


def test_a_target_no_row_reaches_is_refused_as_asked(tmp_path, jsonl):
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "ja", "origin_query": "靴", "category_path": "a"}])
    table = _table(tmp_path, jsonl)
    with pytest.raises(ConfigError, match=r"^to 'pt-BR': no route leads there from any "
                                          r"language of .*q\.jsonl \(ja\)"):
        translate_file_with(data, tmp_path / "out.jsonl", table, to="pt-br")
    assert not (tmp_path / "out.jsonl").exists()


def test_empty_queries_are_counted_apart_and_never_sent(tmp_path, jsonl):
    """Apertium and hf answered an empty query with '', which the summary counted as a
    translation; the table backend called it 'no route'. It is neither."""
    rows = [{"id": i, "language": lang, "origin_query": q, "category_path": "a"}
            for i, (lang, q) in enumerate([("es", "zapatos"), ("es", "   "), ("fr", ""),
                                           ("en", " ")])]
    data = jsonl(tmp_path / "q.jsonl", rows)
    sent = []

    class Spy(TableTranslator):
        def translate(self, texts, source_langs, target):
            sent.extend(texts)
            return super().translate(texts, source_langs, target)

    table = _table(tmp_path, jsonl)
    report = translate_file_with(data, tmp_path / "out.jsonl", Spy(table.path))
    assert sent == ["zapatos"]
    assert report.totals == {"translated": 1, "passed_through": 0, "no_route": 0,
                             "unchanged": 0, "empty": 3}
    assert report.empty == {"es": 1, "fr": 1, "en": 1}
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["translated_query"] for r in out] == ["shoes", "", "", ""]

    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            "--backend", "table", "--table", str(table.path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == (f"wrote {tmp_path / 'o.jsonl'}: 1 translated, 0 passed through, "
                         "0 with no route to en, 3 empty (left empty)")
    assert lines[0].split()[-1] == "empty" and lines[-2].split() == ["all", "1", "0", "0", "0",
                                                                    "3"]


def test_the_summary_says_nothing_of_empty_queries_when_there_are_none(tmp_path, jsonl):
    data = jsonl(tmp_path / "q.jsonl", [{"id": 1, "language": "es", "origin_query": "zapatos",
                                         "category_path": "a"}])
    table = _table(tmp_path, jsonl)
    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            "--backend", "table", "--table", str(table.path)])
    assert result.output.splitlines()[-1].endswith("0 with no route to en")


def test_the_summary_says_which_rows_without_a_route_had_no_language_tag(tmp_path, jsonl):
    """An untagged row has no source language, so no route: the summary said only 'with no
    route to en', as if the backend lacked a pair, and the table listed the rows as 'unk'."""
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a"},
        {"id": 2, "language": "", "origin_query": "zapatos", "category_path": "a"},
        {"id": 3, "language": None, "origin_query": "bolso", "category_path": "a"},
        {"id": 4, "language": "xx", "origin_query": "bolso", "category_path": "a"}])
    table = _table(tmp_path, jsonl)
    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            "--backend", "table", "--table", str(table.path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        f"wrote {tmp_path / 'o.jsonl'}: 1 translated, 0 passed through, 3 with no route to en "
        "(2 of them with no language tag, listed as unk: no language to translate from)")


def test_rows_tagged_with_a_country_code_for_a_language_get_a_hint(tmp_path, jsonl):
    """Korean rows tagged 'kr' (Kanuri's code) had no route, and the table said no more."""
    data = jsonl(tmp_path / "q.jsonl", [
        {"id": 1, "language": "kr", "origin_query": "신발", "category_path": "a"},
        {"id": 2, "language": "es", "origin_query": "zapatos", "category_path": "a"}])
    table = _table(tmp_path, jsonl)
    result = CliRunner().invoke(translate, [str(data), "--out", str(tmp_path / "o.jsonl"),
                                            "--backend", "table", "--table", str(table.path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2] == "kr: 'kr' is Kanuri; Korean is 'ko'"


class _StopsAtTheSecondBatch:
    name, model = "upper", "v1"

    def __init__(self):
        self.calls = 0

    def translate(self, texts, source_langs, target):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return [t.upper() for t in texts]


def test_a_stopped_translation_says_the_cache_keeps_what_was_made(tmp_path, jsonl):
    """The output is not written (as any stopped command), but the cache holds the batches
    done: the line said only that what was not finished had been removed."""
    from shoprel.augment.cache import CachedTranslator
    from shoprel.errors import Interrupted

    data = jsonl(tmp_path / "qc.jsonl", [
        {"id": i, "language": "es", "origin_query": f"bolso {i}", "category_path": "a"}
        for i in range(6)])
    cache = tmp_path / "tr.sqlite"
    with pytest.raises(Interrupted) as info:
        translate_file_with(data, tmp_path / "out.jsonl",
                            CachedTranslator(_StopsAtTheSecondBatch(), cache, batch_size=2))
    assert info.value.note == (f"interrupted: {tmp_path / 'out.jsonl'} was not written; the 2 "
                               f"translations made so far are kept in the cache {cache}, where "
                               "the same command run again finds them")
    assert not (tmp_path / "out.jsonl").exists()
    again = CachedTranslator(_StopsAtTheSecondBatch(), cache, batch_size=10)
    translate_file_with(data, tmp_path / "out.jsonl", again)
    assert (again.hits, again.misses) == (2, 4)


def test_a_file_with_both_target_columns_is_translated_without_a_task(tmp_path, jsonl):
    """translate reads queries and languages only: a file with category_path and item_title
    was refused with 'give the task (--task QC|QI)', an option translate does not have. Each
    target column is still checked as predict checks it."""
    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b",
             "item_title": "red shoes"}]
    data = jsonl(tmp_path / "both.jsonl", rows)
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "zapatos", "source": "es", "target": "en", "translation": "shoes"}])
    result = CliRunner().invoke(translate, [str(data), "--backend", "table", "--table",
                                            str(table), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    out = json.loads((tmp_path / "out.jsonl").read_text())
    assert out == {**rows[0], "translated_query": "shoes",
                   "translated_by": "shoprel translate (table)"}
    long = jsonl(tmp_path / "long.jsonl", [{**rows[0], "item_title": "y" * 30_000}])
    with pytest.raises(InputError, match="field 'item_title': holds 30,000 characters"):
        translate_file_with(long, tmp_path / "out2.jsonl", _table(tmp_path, jsonl))


def test_a_file_with_both_target_columns_is_checked_in_one_pass(tmp_path, jsonl, monkeypatch):
    """translate and langid parsed such a file three times to check it: for its records, then
    once per task that checks it; each task now checks the records of one pass."""
    from shoprel.augment import rewrite

    parsed = []
    real = rewrite.iter_records

    def counted(path):
        parsed.append(path)
        return real(path)

    monkeypatch.setattr(rewrite, "iter_records", counted)
    row = {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b",
           "item_title": "red shoes"}
    data = jsonl(tmp_path / "both.jsonl", [row, {**row, "id": 2}])
    checked = rewrite.check_rows(data, {})
    assert parsed == [data]
    assert (checked.rows, checked.first_line) == (2, 1)
    bad = jsonl(tmp_path / "bad.jsonl", [row, {**row, "id": 2, "item_title": ["a"]}])
    with pytest.raises(InputError, match="line 2, field 'item_title': a list is not a text"):
        rewrite.check_rows(bad, {})  # the task checked second still sees every row


def test_a_later_row_with_both_targets_is_no_error_to_translate(tmp_path, jsonl):
    """translate and langid read no target and have no --task to give: a row holding both
    targets after rows of one (which the readers refuse where nothing says its task) is
    checked as the first row's task, not refused for a task they cannot be told."""
    from shoprel.augment import rewrite

    row = {"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a,b"}
    data = jsonl(tmp_path / "later.jsonl", [row, {**row, "id": 2, "item_title": "red shoes"}])
    with pytest.raises(InputError, match="line 2, field 'item_title': the row holds both"):
        read_pairs(data)
    assert rewrite.check_rows(data, {}).rows == 2


def test_three_letter_language_tags_are_the_two_letter_ones(tmp_path, jsonl):
    """Rows tagged 'spa' (ISO 639-3, as Apertium names its pairs) had no route to English and
    rows tagged 'eng' were not passed through: each came out with an empty translation."""
    rows = [{"id": 1, "language": "spa", "origin_query": "zapatos", "category_path": "a"},
            {"id": 2, "language": "ENG", "origin_query": "shoes", "category_path": "a"}]
    data = jsonl(tmp_path / "q.jsonl", rows)
    table = _table(tmp_path, jsonl)
    report = translate_file_with(data, tmp_path / "out.jsonl", table, to="eng")
    assert report.totals == {"translated": 1, "passed_through": 1, "no_route": 0,
                             "unchanged": 0, "empty": 0}
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [(r["language"], r["translated_query"]) for r in out] == [("spa", "shoes"),
                                                                     ("ENG", "shoes")]


class _CountingTable(TableTranslator):
    """The table backend, recording every text it is asked to translate."""

    def __init__(self, path):
        super().__init__(path)
        self.asked: list[str] = []

    def translate(self, texts, source_langs, target):
        self.asked.extend(texts)
        return super().translate(texts, source_langs, target)


def test_a_file_translated_in_chunks_is_written_as_it_was_read_whole(tmp_path, chunk_sizes,
                                                                     capsys):
    """translate read the whole file into memory; it now streams as langid does, one chunk at
    a time, and writes every format as the whole file was written (a key first met in a later
    chunk, a label settled only further down, a query written as a number), counts every
    chunk's rows in its report, moves one bar over all the rows, and keeps using the cache."""
    import re

    import pyarrow.parquet as pq

    import shoprel.demo
    from shoprel.augment.cache import CachedTranslator
    from shoprel.augment.progress import ProgressTranslator

    demo = [json.loads(line) for line in
            shoprel.demo.demo_file("QC").read_text(encoding="utf-8").splitlines()]
    rows = demo[:11] + [next(r for r in demo if r["language"] == "en")]
    for row in rows[:9]:
        row["label"] = None
    rows[10]["extra"] = "late key"
    rows[7]["origin_query"] = 1080
    rows[3]["origin_query"] = "  "
    data = tmp_path / "qc.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    routed = [r for r in rows if r["language"] in ("ja", "de", "fr") and str(r["origin_query"])
              .strip()]
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": str(r["origin_query"]), "source": r["language"],
                                         "target": "en", "translation": f"en {r['id']}"}) + "\n"
                             for r in routed), encoding="utf-8")

    sizes = chunk_sizes
    for suffix in (".jsonl", ".csv", ".tsv", ".parquet"):
        whole = translate_file_with(data, tmp_path / f"whole{suffix}", TableTranslator(table))
        sizes.clear()
        capsys.readouterr()
        chunked = translate_file_with(data, tmp_path / f"chunked{suffix}",
                                      ProgressTranslator(TableTranslator(table), progress=True,
                                                         batch_size=2), chunk_rows=5)
        assert sizes == [5, 5, 2]
        assert chunked.lines() == whole.lines()
        assert chunked.totals == whole.totals == {
            "translated": 7, "passed_through": 1, "no_route": 3, "unchanged": 0, "empty": 1}
        err = capsys.readouterr().err
        assert "translate→en: 12/12 [" in err
        assert {total for _, total in re.findall(r"(\d+)/(\d+)", err)} == {"12"}  # one bar
        if suffix == ".parquet":
            read = [pq.read_table(tmp_path / f"{name}.parquet") for name in ("whole", "chunked")]
            assert read[0].schema.remove_metadata() == read[1].schema.remove_metadata()
            assert read[0].to_pylist() == read[1].to_pylist()
        else:
            assert ((tmp_path / f"chunked{suffix}").read_bytes()
                    == (tmp_path / f"whole{suffix}").read_bytes())
    out = [json.loads(line) for line in (tmp_path / "chunked.jsonl").read_text().splitlines()]
    assert [r["translated_query"] for r in out] == [
        f"en {r['id']}" if r in routed else r["origin_query"] if r["language"] == "en" else ""
        for r in rows]
    assert out[7]["origin_query"] == 1080 and out[10]["extra"] == "late key"

    # the cache still spares a rerun every translation it holds, chunk after chunk
    backend = _CountingTable(table)
    with CachedTranslator(backend, tmp_path / "c.sqlite", progress=True) as cached:
        translate_file_with(data, tmp_path / "first.jsonl", cached, chunk_rows=5)
    sent = [str(r["origin_query"]) for r in rows
            if r["language"] != "en" and str(r["origin_query"]).strip()]
    assert sorted(backend.asked) == sorted(sent)
    capsys.readouterr()
    again = _CountingTable(table)
    with CachedTranslator(again, tmp_path / "c.sqlite", progress=True) as cached:
        translate_file_with(data, tmp_path / "again.jsonl", cached, chunk_rows=5)
        # only the texts with no route are asked again (a cache stores translations only)
        assert (cached.hits, cached.misses) == (7, 3)
    assert sorted(again.asked) == sorted(str(r["origin_query"]) for r in rows
                                         if r["language"] in ("pt", "ko", "es"))
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "first.jsonl").read_bytes()
    assert (tmp_path / "first.jsonl").read_bytes() == (tmp_path / "chunked.jsonl").read_bytes()


def test_each_distinct_query_is_asked_once_however_many_chunks_repeat_it(tmp_path, qc_demo):
    """Streamed in chunks, a query repeated in two chunks was sent to the backend twice when
    no cache stood in front (and one with no route, which no cache keeps, even with one). The
    demo QC file repeats queries over categories: each distinct one is now asked once per run,
    and the output and counts are those of the whole file in one chunk."""
    from shoprel.augment.cache import CachedTranslator
    from shoprel.augment.progress import ProgressTranslator

    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    routed = ("ja", "fr", "de", "es", "it")  # pt and ko have no route; en is passed through
    distinct = list(dict.fromkeys((r["language"], r["origin_query"]) for r in rows
                                  if r["language"] != "en"))
    assert len(distinct) < sum(r["language"] != "en" for r in rows)  # the file repeats some
    table = tmp_path / "t.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": lang, "target": "en",
                                         "translation": f"{lang}: {q}"}) + "\n"
                             for lang, q in distinct if lang in routed), encoding="utf-8")

    whole_backend = _CountingTable(table)
    whole = translate_file_with(qc_demo, tmp_path / "whole.jsonl", whole_backend)
    assert sorted(whole_backend.asked) == sorted(q for _, q in distinct)
    assert whole.totals == {"translated": 225, "passed_through": 45, "no_route": 90,
                            "unchanged": 0, "empty": 0}
    for name, wrap in (("plain", lambda b: b),
                       ("bar", lambda b: ProgressTranslator(b, progress=False, batch_size=7)),
                       ("cache", lambda b: CachedTranslator(b, tmp_path / "c.sqlite"))):
        backend = _CountingTable(table)
        translator = wrap(backend)
        chunked = translate_file_with(qc_demo, tmp_path / f"{name}.jsonl", translator,
                                      chunk_rows=40)
        assert sorted(backend.asked) == sorted(q for _, q in distinct), name
        assert chunked.lines() == whole.lines(), name
        assert ((tmp_path / f"{name}.jsonl").read_bytes()
                == (tmp_path / "whole.jsonl").read_bytes()), name
        if name == "cache":
            assert (translator.hits, translator.misses) == (0, len(distinct))
            translator.close()


def test_an_object_with_no_keys_is_refused_for_parquet_before_any_work(tmp_path, jsonl,
                                                                      monkeypatch):
    """An object with no keys ({}) failed as the Parquet output was written, after the
    translating, in pyarrow's words ("Cannot write struct type 'attrs' with no child field to
    Parquet. Consider adding a dummy child field.") with no line; it is now told at its line
    and field before any work, and a {} beside objects with keys is written (its keys null)."""
    import pyarrow.parquet as pq

    from shoprel.augment import rewrite
    from shoprel.errors import OutputError

    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a",
             "attrs": None},
            {"id": 2, "language": "en", "origin_query": "shoes", "category_path": "a",
             "attrs": {}}]
    data = jsonl(tmp_path / "q.jsonl", rows)
    table = _table(tmp_path, jsonl)
    real_chunks = rewrite.row_chunks
    monkeypatch.setattr(rewrite, "row_chunks", lambda *args: pytest.fail("work began"))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError) as caught:
        translate_file_with(data, tmp_path / "out.parquet", table)
    assert str(caught.value) == (f"{data}, line 2, field 'attrs': an empty object here, and no "
                                 "line gives one there a key: a Parquet object needs at least "
                                 "one field; write the output as .jsonl or .csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    monkeypatch.setattr(rewrite, "row_chunks", real_chunks)
    translate_file_with(data, tmp_path / "out.jsonl", table)  # JSON lines hold it as it is
    assert json.loads((tmp_path / "out.jsonl").read_text().splitlines()[1])["attrs"] == {}
    rows[0]["attrs"] = {"size": 3}
    translate_file_with(jsonl(tmp_path / "q.jsonl", rows), tmp_path / "out.parquet", table)
    assert [r["attrs"] for r in pq.read_table(tmp_path / "out.parquet").to_pylist()] == [
        {"size": 3}, {"size": None}]


def test_a_whole_number_beyond_64_bits_is_refused_for_parquet_before_any_work(tmp_path, jsonl,
                                                                             monkeypatch):
    """A number such as 9223372036854775808 in a list stopped the checking pass on an
    OverflowError traceback, and in a column of numbers failed the Parquet write after the
    work; both are one line before it now. Beside text the number is written as its text."""
    import pyarrow.parquet as pq

    from shoprel.augment import rewrite
    from shoprel.errors import OutputError

    rows = [{"id": 1, "language": "es", "origin_query": "zapatos", "category_path": "a",
             "sku": 7, "sizes": [1]},
            {"id": 2, "language": "en", "origin_query": "shoes", "category_path": "a",
             "sku": 2**63, "sizes": [2**64]}]
    table = _table(tmp_path, jsonl)
    real_chunks = rewrite.row_chunks
    monkeypatch.setattr(rewrite, "row_chunks", lambda *args: pytest.fail("work began"))
    for given, field, said in ((rows, "sizes", "a list here holding a whole number"),
                                     ([{k: v for k, v in r.items() if k != "sizes"}
                                       for r in rows], "sku", "the number 9223372036854775808 "
                                                              "here,")):
        data = jsonl(tmp_path / "q.jsonl", given)
        with pytest.raises(OutputError) as caught:
            translate_file_with(data, tmp_path / "out.parquet", table)
        assert str(caught.value).startswith(f"{data}, line 2, field {field!r}: {said}")
        assert str(caught.value).endswith(": Parquet holds whole numbers of 64 bits at most; "
                                          "write the output as .jsonl or .csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.jsonl", "t.jsonl"]  # no output
    monkeypatch.setattr(rewrite, "row_chunks", real_chunks)
    rows[0]["sku"] = "A-7"
    translate_file_with(jsonl(tmp_path / "q.jsonl", [{k: v for k, v in r.items() if k != "sizes"}
                                                for r in rows]), tmp_path / "out.parquet", table)
    assert [r["sku"] for r in pq.read_table(tmp_path / "out.parquet").to_pylist()] == [
        "A-7", "9223372036854775808"]


def test_overwrite_replaces_only_what_translate_wrote(tmp_path, jsonl, qc_rows):
    """`translate test.jsonl --out gold.jsonl --overwrite` replaced a gold labels file
    (anything but an input went): --overwrite now replaces only a file holding
    translated_query, translate's own output, and refuses anything else in one line before any
    work (no cache made), the file left as it was; the Python API alike."""
    from shoprel import translate_file
    from shoprel.cli import main
    from shoprel.errors import OutputError

    data = jsonl(tmp_path / "test.jsonl", [{k: v for k, v in row.items() if k != "label"}
                                           for row in qc_rows])
    gold = jsonl(tmp_path / "gold.jsonl", qc_rows)
    before = gold.read_bytes()
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    args = ["translate", str(data), "--backend", "table", "--table", str(table), "--quiet",
            "--overwrite", "--cache", str(tmp_path / "c.sqlite"), "--out"]
    refused = CliRunner().invoke(main, [*args, str(gold)])
    assert (refused.exit_code, refused.output) == (2, (
        f"error: {gold}: exists and is not a file translate wrote (it has no translated_query "
        "column); --overwrite replaces only translate's own output: choose another name or "
        "move the file away first\n"))
    with pytest.raises(OutputError, match="gold.jsonl: exists and is not a file translate"):
        translate_file(data, gold, backend="table", table=table, overwrite=True)
    assert gold.read_bytes() == before and not (tmp_path / "c.sqlite").exists()
    out = tmp_path / "test_en.csv"
    assert CliRunner().invoke(main, [*args, str(out)]).exit_code == 0
    jsonl(table, [{"text": "funda iphone", "source": "es", "target": "en",
                   "translation": "phone case"}])
    translate_file(data, out, backend="table", table=table, overwrite=True)  # its own: replaced
    assert read_pairs(out).df["query_en"].tolist()[0] == "phone case"


def test_overwrite_keeps_translations_made_by_hand(tmp_path, jsonl, qc_rows):
    """A file holding translated_query was taken for translate's own output, so --overwrite
    replaced human translations (the input with a translated_query column added by hand).
    translate now writes translated_by, naming itself and its backend, on every row; a file
    without it, or whose translated_by names a person, is refused in one line and kept, and
    translate's own output is still replaced (and read again as an input)."""
    from shoprel.errors import OutputError

    data = jsonl(tmp_path / "test.jsonl", qc_rows)
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    human = jsonl(tmp_path / "human.jsonl", [{**row, "translated_query": "by hand"}
                                             for row in qc_rows])
    named = jsonl(tmp_path / "named.jsonl", [{**row, "translated_query": "by hand",
                                              "translated_by": "Maria"} for row in qc_rows])
    said = {human: "it has no translated_by column, which translate writes on every row: a "
                   "file made by hand, or by a release before that column",
            named: "its translated_by is 'Maria', not shoprel translate (...)"}
    for target, why in said.items():
        before = target.read_bytes()
        with pytest.raises(OutputError) as refused:
            translate_file_with(data, target, TableTranslator(table), overwrite=True)
        assert str(refused.value) == (
            f"{target}: exists and is not a file translate wrote ({why}); --overwrite replaces "
            "only translate's own output: choose another name or move the file away first")
        assert target.read_bytes() == before
    out = tmp_path / "out.jsonl"
    translate_file_with(data, out, TableTranslator(table))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["translated_by"] for row in rows] == ["shoprel translate (table)"] * 3
    assert list(rows[0])[-2:] == ["translated_query", "translated_by"]
    translate_file_with(out, out.with_name("again.jsonl"), TableTranslator(table))  # as input
    jsonl(table, [{"text": "funda iphone", "source": "es", "target": "en",
                   "translation": "phone case"}])
    translate_file_with(data, out, TableTranslator(table), overwrite=True)  # its own: replaced
    assert read_pairs(out).df["query_en"].tolist()[0] == "phone case"


def test_an_input_s_own_translated_by_column_is_refused_not_replaced(tmp_path, jsonl, qc_rows):
    """translate replaced an input's own translated_by column (who reviewed a row) with its
    marker on every row, without a word. Its own marker values (a file it wrote, read again)
    and empty cells are still replaced; anything else is one line naming the file, line and
    column, before any work, and no output is written."""
    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    reviewed = jsonl(tmp_path / "reviewed.jsonl", [
        {**qc_rows[0], "translated_by": ""}, {**qc_rows[1], "translated_by": None},
        {**qc_rows[2], "translated_by": "Maria"}])
    from shoprel.cli import main

    out = tmp_path / "out.jsonl"
    done = CliRunner().invoke(main, ["translate", str(reviewed), "--to", "en", "--backend",
                                     "table", "--table", str(table), "--out", str(out),
                                     "--quiet"])
    assert (done.exit_code, done.output) == (2, (
        f"error: {reviewed}, line 3, field 'translated_by': a translated_by column of the "
        "file's own ('Maria'); translate writes translated_by on every row and would replace "
        "it: rename that column in the file (or drop it) and run again\n"))
    assert not out.exists()
    again = tmp_path / "again.jsonl"
    translate_file_with(jsonl(tmp_path / "first.jsonl", qc_rows), out, TableTranslator(table))
    translate_file_with(out, again, TableTranslator(table))  # its own marker: replaced
    assert [json.loads(line)["translated_by"] for line in again.read_text().splitlines()] == [
        "shoprel translate (table)"] * 3


def test_an_input_s_own_translations_are_refused_not_replaced(tmp_path, jsonl, qc_rows):
    """translate replaced an input's own translated_query (translations made by hand) on
    every row, without a word. A translated_query on a row whose translated_by is not
    translate's marker (or in a file with no translated_by) is now one line naming the file,
    line (Parquet: row) and column, before any work; empty cells and translate's own rows (its
    output read again) are still replaced."""
    import pandas as pd

    from shoprel.cli import main

    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    out = tmp_path / "out.jsonl"

    def run(path):
        return CliRunner().invoke(main, ["translate", str(path), "--to", "en", "--backend",
                                         "table", "--table", str(table), "--out", str(out),
                                         "--quiet"])

    by_hand = jsonl(tmp_path / "by_hand.jsonl", [
        {**qc_rows[0], "translated_query": ""}, {**qc_rows[1], "translated_query": None},
        {**qc_rows[2], "translated_query": "dragon quest bag"}])
    done = run(by_hand)
    assert (done.exit_code, done.output) == (2, (
        f"error: {by_hand}, line 3, field 'translated_query': a translated_query of the file's "
        "own ('dragon quest bag'), on a row with no translated_by naming translate; translate "
        "writes translated_query on every row and would replace it: rename that column in the "
        "file to keep it, or drop it and run translate again\n"))
    assert not out.exists()
    mixed = tmp_path / "mixed.parquet"  # translate's own first row, a reviewer's second
    pd.DataFrame([
        {**qc_rows[0], "translated_query": "iphone case",
         "translated_by": "shoprel translate (table)"},
        {**qc_rows[1], "translated_query": "car sponge", "translated_by": None},
        {**qc_rows[2], "translated_query": "", "translated_by": None}]).to_parquet(mixed)
    done = run(mixed)
    assert done.exit_code == 2
    assert done.output.startswith(
        f"error: {mixed}, row 2, field 'translated_query': a translated_query of the file's "
        "own ('car sponge'), on a row with no translated_by naming translate; "), done.output
    assert not out.exists()
    translate_file_with(jsonl(tmp_path / "first.jsonl", qc_rows), tmp_path / "first.parquet",
                        TableTranslator(table))
    done = run(tmp_path / "first.parquet")  # its own output read again: translated again
    assert done.exit_code == 0, done.output
    assert read_pairs(out).df["query_en"].tolist() == ["iphone case", "car wash sponge", ""]


def test_a_parquet_gz_input_is_decompressed_once_per_command(tmp_path, jsonl, qc_rows,
                                                             monkeypatch):
    """translate decompressed a rows.parquet.gz into a private copy for each reading (its
    columns' types, the check of every row, the rows read again): three times a run. One
    copy is now held for the command and removed at its end, after a refusal too, whose line
    names the file as given."""
    import gzip

    import pandas as pd

    import shoprel.data.spool as spool
    from shoprel.cli import main

    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))  # where the private copy is made
    opened = []
    monkeypatch.setattr(spool, "open_compressed", lambda source, compression: opened.append(
        source) or gzip.open(source, "rb"))

    def run(rows, name):
        data = tmp_path / name
        pd.DataFrame(rows).to_parquet(tmp_path / "plain.parquet")
        data.write_bytes(gzip.compress((tmp_path / "plain.parquet").read_bytes()))
        opened.clear()
        done = CliRunner().invoke(main, ["translate", str(data), "--backend", "table", "--table",
                                         str(table), "--out", str(tmp_path / f"{name}.jsonl"),
                                         "--quiet"])
        return data, done

    data, done = run(qc_rows, "rows.parquet.gz")
    assert (done.exit_code, opened, list(temp.iterdir())) == (0, [data], []), done.output
    assert read_pairs(f"{data}.jsonl").df["query_en"].tolist() == [
        "iphone case", "car wash sponge", ""]
    data, done = run([qc_rows[0], {**qc_rows[1], "translated_query": "car sponge"}],
                     "by_hand.parquet.gz")
    assert (done.exit_code, opened, list(temp.iterdir())) == (2, [data], [])
    assert done.output.startswith(f"error: {data}, row 2, field 'translated_query': ")


def test_a_refused_input_leaves_no_new_cache_and_an_old_one_as_it_was(tmp_path, jsonl, qc_rows):
    """translate made its --cache (an empty SQLite file, and the folders above it) before the
    input was checked, so a refused input left a new file behind from a command that did
    nothing. A cache the command created and stored nothing in is now taken away again; a
    cache that existed before is left byte for byte."""
    from shoprel.cli import main

    table = jsonl(tmp_path / "t.jsonl", [
        {"text": "funda iphone", "source": "es", "target": "en", "translation": "iphone case"}])
    good = jsonl(tmp_path / "good.jsonl", qc_rows)
    by_hand = jsonl(tmp_path / "by_hand.jsonl", [{**qc_rows[0], "translated_query": "mine"}])

    def run(path, cache, out):
        return CliRunner().invoke(main, ["translate", str(path), "--to", "en", "--backend",
                                         "table", "--table", str(table), "--cache", str(cache),
                                         "--out", str(out), "--quiet"])

    new = tmp_path / "caches" / "sub" / "new.sqlite"
    done = run(by_hand, new, tmp_path / "a.jsonl")
    assert done.exit_code == 2 and "field 'translated_query'" in done.output, done.output
    assert not (tmp_path / "caches").exists()
    assert not (tmp_path / "a.jsonl").exists()
    old = tmp_path / "old.sqlite"
    assert run(good, old, tmp_path / "b.jsonl").exit_code == 0
    before = old.read_bytes()
    done = run(by_hand, old, tmp_path / "c.jsonl")
    assert done.exit_code == 2 and "field 'translated_query'" in done.output, done.output
    assert old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b.jsonl", "by_hand.jsonl", "good.jsonl", "old.sqlite", "t.jsonl"]


@pytest.mark.parametrize("backend", ["hf", "table", "apertium"])
def test_a_bad_input_is_refused_before_the_translator_is_made(tmp_path, jsonl, qc_rows,
                                                              monkeypatch, backend):
    """translate made its translator (hf: a seq2seq model loaded, seconds to minutes; table:
    the whole table read) before it read a line of the input: an empty file, a bad line or an
    untagged file was told only after that. Every row is now checked first."""
    from shoprel.augment import translate_file as module

    def no_translator(*args, **kwargs):
        raise AssertionError("the translator was made before the input was checked")

    monkeypatch.setattr(module, "make_translator", no_translator)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    bad = jsonl(tmp_path / "bad.jsonl", [qc_rows[0], {k: v for k, v in qc_rows[1].items()
                                                      if k != "id"}])
    untagged = jsonl(tmp_path / "untagged.jsonl", [{k: v for k, v in row.items()
                                                    if k != "language"} for row in qc_rows])
    options = {"hf": {"model": str(tmp_path / "nllb")},
               "table": {"table": jsonl(tmp_path / "t.jsonl", [
                   {"text": "funda", "source": "es", "target": "en", "translation": "case"}])},
               "apertium": {}}[backend]
    for path, said in ((empty, f"{empty}: the file has no rows"),
                       (bad, f"{bad}, line 2, field 'id'"),
                       (untagged, f"{untagged}, line 1, field 'language'")):
        with pytest.raises(InputError) as info:
            module.translate_file(path, tmp_path / "out.jsonl", backend=backend,
                                  cache=tmp_path / "cache.sqlite", **options)
        assert str(info.value).startswith(said)
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "cache.sqlite").exists()
