"""Rows no writer can store, caught at read time with their place (before any training)."""

import json
import re

import numpy as np
import pytest

from shoprel.data.readers import iter_pair_chunks, read_pairs
from shoprel.errors import ConfigError, InputError

# what a file of other separators is told to do, by the separator it was found to use
SEPARATOR_FIX = {
    "';'": "save it again with ',' between columns (a spreadsheet's \"CSV (comma delimited)\")",
    "tabs": "name the file .tsv, or save it with ',' between columns",
    "','": "name the file .csv, or save it with tabs between columns",
}


def _row(**changes) -> dict:
    row = {"id": 1, "language": "en", "origin_query": "usb cable",
           "category_path": "consumer electronics,cables", "label": 1}
    return {**row, **changes}


def _file(tmp_path, *rows) -> object:
    path = tmp_path / "rows.jsonl"
    # json.dumps writes a lone surrogate as the escape "\ud800", as a broken export would
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "field", "reason"), [
    (_row(id=2**63), "id", "signed 64-bit"),
    (_row(id=-(2**63) - 1), "id", "signed 64-bit"),
    (_row(id="99999999999999999999999"), "id", "is text, but earlier ids are numbers"),
    (_row(id="0.0"), "id", "duplicate id: '0.0' is the id 0 of line 1"),
    (_row(id=1e30), "id", "signed 64-bit"),
    (_row(id="a\ud800"), "id", "lone surrogate"),
    (_row(id=[1]), "id", "a list is not an id; an id must be text or a whole number"),
    (_row(origin_query="bad \ud800 query"), "origin_query", "lone surrogate (U+D800)"),
    (_row(category_path="a\x00b"), "category_path", "NUL character at position 1"),
    (_row(origin_query={"text": "x"}), "origin_query", "an object is not a text"),
    (_row(category_path=["a", "b"]), "category_path", "a list is not a text"),
    (_row(language={"code": "en"}), "language", "an object is not a text"),
    (_row(language=7), "language", "the number 7 is not a text"),
    (_row(language="e\udc80"), "language", "lone surrogate"),
    (_row(label={"v": 1}), "label", "0 or 1"),
    (_row(translated_query={"en": "x"}), "translated_query", "an object is not a text"),
    (_row(origin_query="x" * 1_000_000), "origin_query", "holds 1,000,000 characters"),
    (_row(category_path="a," * 20_000), "category_path", "at most 20,000"),
])
def test_unwritable_or_non_scalar_values_are_refused_with_their_place(tmp_path, row, field,
                                                                      reason):
    good = _row(id=0, origin_query="fine")
    if "translated_query" in row:
        good["translated_query"] = "fine"
    path = _file(tmp_path, good, row)
    with pytest.raises(InputError, match=re.escape(reason)) as info:
        read_pairs(path, require_label=True)
    assert f"{path}, line 2, field '{field}'" in str(info.value)


@pytest.mark.parametrize(("written", "said"), [
    ("2.50", "2.50 is not a whole number; an id must be text or a whole number"),
    ("NaN", "NaN is not a number; an id must be text or a whole number"),
    ("Infinity", "Infinity is not a finite number; an id must be text or a whole number"),
])
def test_a_fractional_id_is_said_as_written_with_its_place(tmp_path, written, said):
    """A fractional id read as 'not float 2.5', a type name a user did not write; it is now
    said as the number the file holds, with what an id may be instead. NaN was "nan is not a
    finite number", spelled as Python spells it and in words of its own: it is said as JSON
    writes it, in the words every whole-number setting uses (utils.bounds.not_whole)."""
    path = _file(tmp_path, _row(id=0))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(_row()).replace('"id": 1', f'"id": {written}') + "\n")
    with pytest.raises(InputError) as info:
        read_pairs(path, require_label=True)
    assert str(info.value) == f"{path}, line 2, field 'id': {said}"


@pytest.mark.parametrize(("written", "said"), [
    ("true", "true is not an id"),
    ("false", "false is not an id"),
    ("null", "null is not an id"),
    ('""', "an empty text is not an id"),
    ("[1]", "a list is not an id"),
    ('{"n": 1}', "an object is not an id"),
])
def test_a_value_no_id_can_be_is_said_in_the_file_s_words(tmp_path, written, said):
    """They read as Python's types ('not bool True', 'not list [1]', 'not dict'); now in
    the words of the JSON the file holds, with what an id may be instead."""
    path = _file(tmp_path, _row(id=0))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(_row()).replace('"id": 1', f'"id": {written}') + "\n")
    with pytest.raises(InputError) as info:
        read_pairs(path, require_label=True)
    assert str(info.value) == (f"{path}, line 2, field 'id': {said}; an id must be text or "
                               "a whole number")


def test_extreme_ids_that_fit_are_kept(tmp_path):
    path = _file(tmp_path, _row(id=2**63 - 1, label=1), _row(id=-(2**63), label=0),
                 _row(id=" 12 ", label=0))
    assert read_pairs(path).df["id"].tolist() == [2**63 - 1, -(2**63), 12]


def test_mixed_odd_string_ids_stay_strings(tmp_path):
    path = _file(tmp_path, _row(id="--5", label=1), _row(id="²", label=0))
    assert read_pairs(path).df["id"].tolist() == ["--5", "²"]  # no crash in int()


@pytest.mark.parametrize(("rows", "said"), [
    (0, "0 is out of range; it must be at least 1"),
    (-3, "-3 is out of range; it must be at least 1"),
    # said "must be a whole number of rows, at least 1; got 2.5", as no option says it
    (2.5, "2.5 is not a whole number"),
    (4.0, "4.0 is not written as a whole number; write 4"),
    (True, "expected a number, got True"),
])
def test_chunk_rows_must_be_a_positive_whole_number(tmp_path, rows, said):
    """Named as the Python caller wrote it: it said `--chunk-rows`, an option of predict's
    command line (whose parser refuses such values before any file is read)."""
    with pytest.raises(ConfigError) as info:
        next(iter_pair_chunks(_file(tmp_path, _row()), chunk_rows=rows))
    assert str(info.value) == f"chunk_rows: {said}"


def test_numpy_s_true_is_no_chunk_size_and_numpy_s_whole_number_is_one(tmp_path):
    """numpy's True was refused as 'got np.True_', and np.int64(1), a size taken from an
    array, as no whole number; they read as Python's True (refused in its words) and 1."""
    path = _file(tmp_path, _row(id=1), _row(id=2, label=0))
    with pytest.raises(ConfigError) as info:
        next(iter_pair_chunks(path, chunk_rows=np.True_))
    assert str(info.value) == "chunk_rows: expected a number, got True"
    assert [len(chunk) for chunk in iter_pair_chunks(path, chunk_rows=np.int64(1))] == [1, 1]


def test_a_label_written_from_a_float_column_reads_in_csv_as_in_json(tmp_path):
    """pandas writes a float label column as 1.0/0.0: the same rows read from CSV or JSON."""
    csv = tmp_path / "t.csv"
    csv.write_text("id,language,origin_query,category_path,label\n"
                   "1,en,a,x,1.0\n2,en,b,y,0.0\n3,en,c,z, 1 \n", encoding="utf-8")
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "language": "en", "origin_query": q,
                                         "category_path": c, "label": label}) + "\n"
                             for i, q, c, label in ((1, "a", "x", "1.0"), (2, "b", "y", 0.0),
                                                    (3, "c", "z", 1))), encoding="utf-8")
    assert read_pairs(csv).labels.tolist() == read_pairs(jsonl).labels.tolist() == [1, 0, 1]
    csv.write_text("id,language,origin_query,category_path,label\n1,en,a,x,1.5\n")
    with pytest.raises(InputError, match="line 2, field 'label'"):
        read_pairs(csv)


@pytest.mark.parametrize("written", ["-0.0", "0.00", "1.000", "1e0", "-0"])
def test_a_label_reads_alike_as_a_json_number_and_as_a_csv_cell(tmp_path, written):
    """A JSON -0.0 (a float column's negative zero, as pandas writes it) was read as 0, the same
    cell in a CSV refused: a cell now reads as the JSON number it spells, in every format."""
    csv = tmp_path / "t.csv"
    csv.write_text(f"id,language,origin_query,category_path,label\n1,en,a,x,{written}\n"
                   f"2,en,b,y,\"{written}\"\n", encoding="utf-8")
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(f'{{"id": 1, "origin_query": "a", "category_path": "x", "label": {written}}}\n'
                     f'{{"id": 2, "origin_query": "b", "category_path": "y", "label": '
                     f'"{written}"}}\n', encoding="utf-8")
    expected = [int(float(written))] * 2
    assert read_pairs(csv).labels.tolist() == read_pairs(jsonl).labels.tolist() == expected


@pytest.mark.parametrize("written", ["+1", "01", "1.", ".0", "0x1", "1,0", "-1", "0.5"])
def test_a_label_cell_no_json_number_spells_as_0_or_1_is_refused(tmp_path, written):
    path = tmp_path / "t.csv"
    path.write_text(f"id,language,origin_query,category_path,label\n1,en,a,x,\"{written}\"\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (f"{path}, line 2, field 'label': label must be 0 or 1, got "
                               f"{written!r}")


def _written(path, chunk_rows=50_000):
    chunks = list(iter_pair_chunks(path, chunk_rows=chunk_rows, written_ids=True))
    return [i for chunk in chunks for i in chunk.output_ids.tolist()]


def test_ids_written_as_text_are_given_back_as_written(tmp_path):
    """A scored file gets its ids back as it wrote them; the key stays the number."""
    path = _file(tmp_path, _row(id="007"), _row(id="5188"), _row(id="9"), _row(id=" 12"))
    assert _written(path) == ["007", "5188", "9", " 12"]
    assert _written(path, chunk_rows=1) == ["007", "5188", "9", " 12"]
    assert read_pairs(path).df["id"].tolist() == [7, 5188, 9, 12]  # matched as before


def test_ids_written_as_numbers_stay_numbers(tmp_path):
    path = _file(tmp_path, _row(id=5), _row(id=6), _row(id=7))
    assert _written(path) == [5, 6, 7]


@pytest.mark.parametrize(("first", "second", "said"), [
    (5, "007", "id '007' is text, but earlier ids are numbers, so it would be given back as the "
               "number 7"),
    (5, "6", "id '6' is text, but earlier ids are numbers, so it would be given back as the "
             "number 6"),
    (5, " 8 ", "id ' 8 ' is text, but earlier ids are numbers"),
    (5, 7.0, "id 7.0 is written as a decimal number, so it would be given back as 7"),
    (5.0, 7, "id 5.0 is written as a decimal number, so it would be given back as 5"),
    ("5", 9, "id 9 is a number, but earlier ids are text, so it would be given back as the text "
             "'9'"),
])
def test_an_id_a_scored_file_would_give_back_changed_is_refused(tmp_path, first, second, said):
    """predict gave 7.0 back as 7 (and "6" among numbers as 6, 9 among texts as "9"), which
    check-submission then passed; a grader comparing ids as written misses each."""
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(_row(id=first)) + "\n"
                    + json.dumps(_row(id=second)) + "\n")
    line = 1 if isinstance(first, float) else 2
    with pytest.raises(InputError) as info:
        _written(path)
    assert str(info.value).startswith(f"{path}, line {line}, field 'id': {said}")
    assert str(info.value).endswith(": quote every id, or write every id as a whole number, so "
                                    "that each comes back as written")
    read_pairs(path)  # training reads it as before: 7.0, "7" and 7 are one key


def test_a_parquet_column_of_decimal_ids_is_refused_in_its_words(tmp_path):
    """A float64 id column (pandas' after a merge or a NaN) was given back as integers."""
    import pandas as pd

    path = tmp_path / "rows.parquet"
    pd.DataFrame([_row(id=1.0), _row(id=2.0)]).to_parquet(path)
    with pytest.raises(InputError) as info:
        _written(path)
    assert str(info.value) == (
        f"{path}, row 1, field 'id': the id column holds decimal numbers (id 1.0), which would "
        "be given back as whole ones (1): store the id column as integers (or as text), so that "
        "each id comes back as written")
    assert read_pairs(path).df["id"].tolist() == [1, 2]  # training reads it as before


def test_csv_ids_are_text_as_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,language,origin_query,category_path\n0999,en,a,b\n1000,en,c,d\n",
                    encoding="utf-8")
    assert _written(path) == ["0999", "1000"]
    assert read_pairs(path).to_competition()["id"].tolist() == [999, 1000]
    frame = next(iter_pair_chunks(path, written_ids=True))
    assert frame.to_competition()["id"].tolist() == ["0999", "1000"]
    assert "id_written" not in frame.to_competition().columns


def test_ids_too_large_for_64_bits_work_as_text_as_the_error_advises(tmp_path):
    big = ["9223372036854775808", "18446744073709551616123"]
    path = _file(tmp_path, _row(id=big[0]), _row(id=big[1]))
    assert read_pairs(path).df["id"].tolist() == big
    assert _written(path) == big
    with pytest.raises(InputError, match="signed 64-bit integer; write ids this large as "
                                         "strings"):
        read_pairs(_file(tmp_path, _row(id=2**64)))


def test_a_digit_id_among_text_ids_says_how_it_was_read(tmp_path):
    path = _file(tmp_path, _row(id="a-1"), _row(id="003"))
    with pytest.raises(InputError, match=r"line 2, field 'id': id '003' reads as the number 3 "
                                         r"\(7, 7.0 and \"7\" are one id\), but earlier ids "
                                         "are text"):
        read_pairs(path)


@pytest.mark.parametrize(("cell", "said"), [
    ("003", "id 003 reads as the number 3"),
    ("7", "id 7 reads as a number"),
    ("7.0", "id 7.0 reads as the number 7"),
    (" 7", "id ' 7' reads as the number 7"),
])
def test_a_digit_cell_among_text_ids_of_a_csv_is_said_bare(tmp_path, cell, said):
    """A CSV cell has no type: 'id '003' reads as the number 3' quoted the cell as JSON's text
    "003", where the same file's repeats say it bare (duplicate id 003). A cell with spaces
    about its digits stays quoted, as there."""
    path = tmp_path / "t.csv"
    path.write_text(f"id,language,origin_query,category_path\na-1,en,a,b\n{cell},en,c,d\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (
        f"{path}, line 3, field 'id': {said} (7, 7.0 and \"7\" are one id), but earlier ids "
        "are text: give every id a non-digit character, or every id as a number")


@pytest.mark.parametrize("cell", ["1.23E+05", "1.23457E+11", "5E+15", "1.2e-03"])
def test_an_id_a_spreadsheet_wrote_in_scientific_notation_is_refused(tmp_path, cell):
    """Excel shows a long id as 1.23E+05 and saves a CSV so, its last digits gone: read as a
    text id, the rows were trained on and scored silently, none matching the real ids."""
    path = tmp_path / "t.csv"
    path.write_text(f"id,language,origin_query,category_path\n7,en,a,b\n{cell},en,c,d\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (
        f"{path}, line 3, field 'id': id {cell!r} is a number in scientific notation, as a "
        "spreadsheet shows a long id, whose last digits it drops on saving: take the ids from "
        "the original file, or format the id column as text before saving")


def test_ids_that_only_look_like_exponents_stay_text_ids(tmp_path):
    """A hexadecimal or coded id (1e50, 2E5A) has no signed exponent: still an id."""
    path = tmp_path / "t.csv"
    path.write_text("id,language,origin_query,category_path\n1e50,en,a,b\n2E5A,en,c,d\n",
                    encoding="utf-8")
    assert read_pairs(path).df["id"].tolist() == ["1e50", "2E5A"]


@pytest.mark.parametrize(("first", "second", "said"), [
    ("007", "7", "duplicate id: 7 is the id 007 of line 2"),
    ("7", "7.0", "duplicate id: 7.0 is the id 7 of line 2"),
    ("7", " 7", "duplicate id: ' 7' is the id 7 of line 2"),
    ("ab", "ab", "duplicate id 'ab' (first seen on line 2)"),
    ("7", "7", "duplicate id 7 (first seen on line 2)"),
    ("007", "007", "duplicate id 007 (first seen on line 2)"),
])
def test_a_duplicate_id_is_said_as_the_file_writes_it(tmp_path, first, second, said):
    """'duplicate id 7 (first seen on line 2)' of a line 2 holding 007: the user looked for a 7
    there. An id repeated in another spelling is said in both, as written."""
    path = tmp_path / "t.csv"
    path.write_text(f"id,language,origin_query,category_path\n{first},en,a,b\n{second},en,c,d\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value).startswith(f"{path}, line 3, field 'id': {said}")


@pytest.mark.parametrize(("first", "second", "said"), [
    (5, "5", "duplicate id: '5' is the id 5 of line 1 (7, 7.0, \"7\" and \"007\" are one id)"),
    ("5", 5, "duplicate id: 5 is the id '5' of line 1 (7, 7.0, \"7\" and \"007\" are one id)"),
    (5, 5, "duplicate id 5 (first seen on line 1)"),
    ("005", "005", "duplicate id '005' (first seen on line 1)"),
    (5.0, 5.0, "duplicate id 5.0 (first seen on line 1)"),
])
def test_a_json_number_and_text_id_are_said_apart(tmp_path, first, second, said):
    """A JSON-lines file with "id": 5 and later "id": "5" was told 'duplicate id 5' twice
    over: the user saw no repeat. Both are said as written, and that they are one id; an id
    written alike twice ("005") was said as its key (5), which neither line holds."""
    path = _file(tmp_path, _row(id=first), _row(id=7), _row(id=second))
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == f"{path}, line 3, field 'id': {said}"


@pytest.mark.parametrize(("first", "cell", "said"), [
    (5, "5", "duplicate id 5 (first seen in {first}, line 1)"),
    ("5", "5", "duplicate id: 5 is the id '5' of {first}, line 1 (7, 7.0, \"7\" and \"007\" "
               "are one id)"),
    (5, "005", "duplicate id: 005 is the id 5 of {first}, line 1 (7, 7.0, \"7\" and \"007\" "
               "are one id)"),
    ("ab", "ab", "duplicate id 'ab' (first seen in {first}, line 1)"),
])
def test_a_csv_id_is_said_bare_beside_a_json_files(tmp_path, first, cell, said):
    """A JSON-lines file's 5 and a CSV's 5 were said apart as 5 and '5', as if the CSV held
    the text "5": a CSV cell has no type. A cell that reads as a number is said bare, as the
    file holds it; a JSON text id is still quoted, and so is a text id of either."""
    jsonl = _file(tmp_path, _row(id=first))
    table = tmp_path / "t.csv"
    other = "8" if cell.isdigit() else "zz"  # ids of one kind
    table.write_text(f"id,language,origin_query,category_path\n{other},en,a,b\n{cell},en,c,d\n",
                     encoding="utf-8")
    ids: dict = {}
    read_pairs(jsonl, earlier_ids=ids)
    with pytest.raises(InputError) as info:
        read_pairs(table, earlier_ids=ids)
    assert str(info.value) == f"{table}, line 3, field 'id': " + said.format(first=jsonl)


def test_ids_from_a_csv_column_that_passed_through_floats_match_the_numbers(tmp_path):
    """pandas writes an id column that held a NaN as 1342.0: the same rows as 1342."""
    path = tmp_path / "t.csv"
    path.write_text("id,language,origin_query,category_path\n1342.0,en,a,b\n1343.00,en,c,d\n",
                    encoding="utf-8")
    assert read_pairs(path).df["id"].tolist() == [1342, 1343]
    assert _written(path) == ["1342.0", "1343.00"]


def test_a_number_given_as_a_query_is_read_as_the_file_wrote_it(tmp_path):
    """A size such as 1.50 keeps its zero; 1e20 stays 1e20 (not Python's 1e+20)."""
    path = tmp_path / "n.jsonl"
    path.write_text('{"id": 1, "origin_query": 1.50, "category_path": "a,b", "label": 1.0}\n'
                    '{"id": 2.0, "origin_query": 1e20, "category_path": "a,b", "label": 0}\n'
                    '{"id": 3, "origin_query": 123, "category_path": "a,b", "label": 0}\n')
    frame = read_pairs(path, require_label=True)
    assert frame.df["query"].tolist() == ["1.50", "1e20", "123"]
    assert frame.df["id"].tolist() == [1, 2, 3] and frame.labels.tolist() == [1, 0, 0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "origin_query": "a", "category_path": "a,b", "language": 1.5}\n')
    with pytest.raises(InputError, match="field 'language': the number 1.5 is not a text"):
        read_pairs(bad)


def test_scoring_leaves_a_label_column_unread(tmp_path):
    """A test file whose labels are empty (null, or an empty CSV cell) is scored all the same."""
    path = _file(tmp_path, _row(id=1, label=None), _row(id=2, label=""))
    with pytest.raises(InputError, match="label must be 0 or 1"):
        read_pairs(path)
    chunks = list(iter_pair_chunks(path, written_ids=True, read_labels=False))
    assert len(chunks[0]) == 2 and not chunks[0].has_labels


@pytest.mark.parametrize(("label", "said"), [(7, "7"), ("yes", "'yes'"), (0.5, "0.5"),
                                            ("true", "'true'")])
def test_scoring_refuses_a_label_that_is_no_label(tmp_path, label, said):
    """A label left unread may be empty or 0/1, not a 7 or a "yes" (a wrong column or a
    damaged file), which predict, Scorer and check-submission scored without a word."""
    from shoprel.data.readers import iter_pair_chunks

    fine = [_row(id=1, label=1), _row(id=2, label=None), _row(id=3, label=" "),
            _row(id=4, label="0"), _row(id=5, label=False), _row(id=6, label=1.0)]
    assert len(next(iter_pair_chunks(_file(tmp_path, *fine), read_labels=False))) == 6
    path = _file(tmp_path, *fine, _row(id=7, label=label))
    with pytest.raises(InputError) as info:
        list(iter_pair_chunks(path, written_ids=True, read_labels=False))
    assert str(info.value) == (
        f"{path}, line 7, field 'label': label must be 0, 1 or empty (unused here), got "
        f"{said}: a wrong column or a damaged file; check the file, or empty or drop its label "
        "column")


def test_translations_are_read_when_the_first_row_has_none(tmp_path):
    """A concatenation of an untranslated and a translated file: its translations were all
    ignored, and a run trained on it learnt bare queries without a word."""
    path = _file(tmp_path, _row(id=1), _row(id=2, translated_query="cable usb"),
                 _row(id=3, translated_query=None))
    frame = read_pairs(path)
    assert frame.df["query_en"].tolist() == ["", "cable usb", ""]
    chunks = list(iter_pair_chunks(path, chunk_rows=1))
    assert [c.has_translation for c in chunks] == [False, True, True]


@pytest.mark.parametrize(("header", "message"), [
    ("id,language,category_path,label", "line 1, field 'origin_query': missing required column"),
    ("id,language,origin_query,label", "line 1: no target column"),
    ("id,language,origin_query,category_path,item_title,label",
     "line 1: both 'category_path' and 'item_title' are present"),
])
def test_a_csv_header_problem_names_the_header_line(tmp_path, header, message):
    """Told at line 2 (the first data row) before; the columns are named on line 1. JSON lines
    name their columns on each line, so there the line stays the row's."""
    path = tmp_path / "rows.csv"
    fields = header.split(",")
    path.write_text(header + "\n" + ",".join("1" if f in ("id", "label") else "x"
                                             for f in fields) + "\n")
    with pytest.raises(InputError, match=re.escape(f"{path}, {message}")):
        read_pairs(path)
    jsonl = _file(tmp_path, _row(), {k: v for k, v in _row(id=2).items() if k != "origin_query"})
    with pytest.raises(InputError, match=re.escape(f"{jsonl}, line 2, field 'origin_query'")):
        read_pairs(jsonl)


@pytest.mark.parametrize(("name", "separator", "said"), [
    ("rows.csv", ";", "';'"), ("rows.csv", "\t", "tabs"), ("rows.tsv", ",", "','")])
def test_a_header_parted_by_another_separator_is_told_so(tmp_path, name, separator, said):
    """A CSV saved where ';' parts columns (a spreadsheet's export) was told 'no target column:
    expected ... item_title', though its header holds item_title: read whole, it is one
    column."""
    header = separator.join(["id", "language", "origin_query", "item_title", "label"])
    path = tmp_path / name
    path.write_text(header + "\n" + separator.join(["1", "en", "drill", "a drill", "1"]) + "\n")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (
        f"{path}, line 1: no target column: expected 'category_path' (QC) or 'item_title' (QI) "
        f"(the header is one column, {header!r}: its columns are parted by {said}, which this "
        f"file type does not read (.csv is read with ',', .tsv with tabs); {SEPARATOR_FIX[said]})")
    with pytest.raises(InputError, match=r"column missing for task QI \(the header is one "):
        read_pairs(path, task="QI")


@pytest.mark.parametrize(("separator", "said"), [(";", "';'"), ("\t", "tabs")])
def test_a_header_parted_otherwise_is_told_so_when_the_rows_hold_commas(tmp_path, separator,
                                                                          said):
    """A European spreadsheet's ';' CSV of QC rows: every category path holds ',', so a row
    read with ',' has several fields and was refused as 'line 2: expected 1 fields, found 3',
    never reaching the header's hint."""
    header = separator.join(["id", "language", "origin_query", "category_path", "label"])
    path = tmp_path / "rows.csv"
    path.write_text(header + "\n" + separator.join(["1", "en", "drill", "tools,power tools,drills",
                                                   "1"]) + "\n")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (
        f"{path}, line 1: the header is one column, {header!r}: its columns are parted by "
        f"{said}, which this file type does not read (.csv is read with ',', .tsv with tabs); "
        + SEPARATOR_FIX[said])


def test_a_long_header_parted_otherwise_is_shown_to_a_whole_name(tmp_path):
    """A wide ';' header was cut at 60 characters mid-word ('...;probability;ann'): its first
    names are shown whole, the rest marked '…', with what to do."""
    names = ["id", "language", "origin_query", "category_path", "label", "probability",
             "annotator"]
    path = tmp_path / "rows.csv"
    path.write_text(";".join(names) + "\n1;en;drill;tools,power tools;1;0.5;a\n")
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (
        f"{path}, line 1: the header is one column, "
        "'id;language;origin_query;category_path;label;probability;…': its columns are "
        "parted by ';', which this file type does not read (.csv is read with ',', .tsv with "
        "tabs); save it again with ',' between columns (a spreadsheet's \"CSV (comma delimited)\")")


@pytest.mark.parametrize(("written", "said"), [
    ("null", "null"), ("[1]", "a list"), ("2.50", "2.50"), ('"yes"', "'yes'"),
])
def test_a_label_not_0_or_1_is_said_in_the_files_words(tmp_path, written, said):
    """It said Python's words: 'got None' of JSON's null, 'got [1]', 'got 2.5' of 2.50."""
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(_row(id=1)) + "\n" + json.dumps(_row(id=2))[:-1]
                    .replace('"label": 1', f'"label": {written}') + "}\n")
    with pytest.raises(InputError) as caught:
        read_pairs(path)
    assert str(caught.value) == f"{path}, line 2, field 'label': label must be 0 or 1, got {said}"


def test_boolean_labels_read_as_one_and_zero(tmp_path):
    """A label column of booleans (JSON true/false, a boolean Parquet column, a DataFrame's
    bool or boolean dtype, numpy's bools) was refused: 'label must be 0 or 1, got True'."""
    import pandas as pd

    from shoprel.data.memory import pair_frames

    rows = [_row(id=i, origin_query=f"q{i}", label=flag)
            for i, flag in enumerate((True, False, True))]
    assert read_pairs(_file(tmp_path, *rows)).labels.tolist() == [1, 0, 1]
    table = pd.DataFrame(rows)
    table.to_parquet(tmp_path / "rows.parquet")
    assert read_pairs(tmp_path / "rows.parquet").labels.tolist() == [1, 0, 1]
    for dtype in ("bool", "boolean"):
        frame, = pair_frames(table.astype({"label": dtype}), require_label=True)
        assert frame.labels.tolist() == [1, 0, 1]
    frame, = pair_frames([{**row, "label": np.bool_(row["label"])} for row in rows])
    assert frame.labels.tolist() == [1, 0, 1]
    # text stays as it was: "1" is a label, "true" is not
    assert read_pairs(_file(tmp_path, _row(label="1"))).labels.tolist() == [1]
    with pytest.raises(InputError, match="label must be 0 or 1, got 'true'"):
        read_pairs(_file(tmp_path, _row(label="true")))


@pytest.mark.parametrize("tail", [1, 3])
def test_rows_dropped_after_the_last_full_chunk_are_counted(tmp_path, tail):
    """A file whose kept rows filled its last chunk exactly, then ended in rows `drop` leaves
    out, said it dropped none: no chunk came after them to carry their count."""
    kept = [_row(id=i) for i in range(4)]
    blank = [_row(id=10 + i, category_path=" ") for i in range(tail)]
    path = _file(tmp_path, *kept, *blank)
    chunks = list(iter_pair_chunks(path, empty_text="drop", chunk_rows=2))
    assert sum(len(chunk) for chunk in chunks) == 4
    assert chunks[-1].stats["dropped"] == tail and chunks[-1].stats["rows"] == 4 + tail
    assert read_pairs(path, empty_text="drop").stats["dropped"] == tail
    # ending on a full chunk with nothing after it adds no empty chunk
    assert [len(c) for c in iter_pair_chunks(_file(tmp_path, *kept), chunk_rows=2)] == [2, 2]
    with pytest.raises(InputError, match="every row was dropped"):
        list(iter_pair_chunks(_file(tmp_path, *blank), empty_text="drop", chunk_rows=2))


QC_ROW = {"id": 1, "task": "QC", "language": "en", "origin_query": "drill",
          "category_path": "tools,drills", "label": 1}
QI_ROW = {"id": 2, "task": "QI", "language": "en", "origin_query": "bolts",
          "item_title": "Hex bolts 20 pack", "label": 0}
SPLIT = "give each task's rows a file of their own"


def _mixed(tmp_path, name: str, task_column: bool = True):
    """A file of one QC row then one QI row: JSON lines, each row with its own target column;
    a CSV, with both columns, the other task's cell left empty."""
    rows = [{k: v for k, v in row.items() if task_column or k != "task"}
            for row in (QC_ROW, QI_ROW)]
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        import pandas as pd

        pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("name", "task_column", "line", "said"), [
    ("rows.jsonl", True, 2, "field 'task': task is 'QI' but the file is QC; " + SPLIT),
    ("rows.csv", True, 3, "field 'task': task is 'QI' but the file is QC; " + SPLIT),
    ("rows.jsonl", False, 2, "field 'category_path': missing required column, where the row "
                             "has item_title: a QI row in a file read as QC; " + SPLIT),
    ("rows.csv", False, 3, "field 'category_path': empty, while the row's item_title holds "
                           "'Hex bolts 20 pack': a QI row in a file read as QC; " + SPLIT),
])
def test_a_file_of_both_tasks_rows_is_refused_at_the_first_row_of_the_other(
        tmp_path, name, task_column, line, said):
    """Rows of both tasks in one file, read as QC (the task given, as train --task, predict's
    run, evaluate --task give it): a CSV with both columns and no task column trained and
    scored its QI rows as QC rows with an empty category path, with no more than a note on
    empty texts; the other shapes were refused without saying what to do. Each is now one
    line naming the file, the row and what to do, under either empty_text policy."""
    path = _mixed(tmp_path, name, task_column)
    for empty_text in ("keep", "drop"):
        with pytest.raises(InputError) as info:
            read_pairs(path, task="QC", empty_text=empty_text)
        assert str(info.value) == f"{path}, line {line}, {said}"


def test_a_row_holding_both_targets_is_read_as_the_task_given(tmp_path):
    """One row holding both a category path and a title is no row of the other task: read as
    the task given, its other column unread; a row with both targets empty is an empty text,
    kept (and counted) as before."""
    row = {k: v for k, v in QC_ROW.items() if k != "task"}
    path = _file(tmp_path, {**row, "item_title": "a title"},
                 {**row, "id": 3, "category_path": "", "item_title": None})
    frame = read_pairs(path, task="QC")
    assert frame.df["target"].tolist() == ["tools,drills", ""]
    assert frame.stats["empty_target"] == 1
    assert read_pairs(path, task="QI").df["target"].tolist() == ["a title", ""]


BOTH = ("the row holds both {own} and {other}, and neither its task field nor a task given "
        "says which to read (the file is read as {task} by the first row); give the row a "
        "task field, give the task (--task QC|QI), or drop one of the two fields")


@pytest.mark.parametrize("task", ["QC", "QI"])
def test_a_row_holding_both_targets_that_nothing_says_the_task_of_is_refused(tmp_path, task):
    """A later JSON line holding a category path and a title, in a file whose task its first
    row's columns told, was read as that task without a word (trained and scored as a QC pair
    whose label may have judged its title). Now it is refused at its line, naming the other
    field; the task given (--task, predict's run) or the row's own task reads it, the other
    field unread."""
    first, other = (QC_ROW, QI_ROW) if task == "QC" else (QI_ROW, QC_ROW)
    own_column, other_column = (("category_path", "item_title") if task == "QC"
                                else ("item_title", "category_path"))
    plain = {k: v for k, v in first.items() if k != "task"}
    both = {**plain, "id": 3, other_column: other[other_column]}
    path = _file(tmp_path, plain, both)
    with pytest.raises(InputError) as info:
        read_pairs(path)
    assert str(info.value) == (f"{path}, line 2, field '{other_column}': "
                               + BOTH.format(own=own_column, other=other_column, task=task))
    expected = [first[own_column]] * 2
    assert read_pairs(path, task=task).df["target"].tolist() == expected
    said = _file(tmp_path, plain, {**both, "task": task.lower()})
    assert read_pairs(said).df["target"].tolist() == expected
    empty_other = _file(tmp_path, plain, {**both, other_column: " "})  # nothing to pick
    assert read_pairs(empty_other).df["target"].tolist() == expected


def test_a_first_row_of_both_targets_is_read_by_its_own_task(tmp_path):
    """A first row with both targets asked for --task though its own task field said it; the
    field now decides, and the rows after it are held to it."""
    row = {**QC_ROW, "item_title": "a title"}
    path = _file(tmp_path, row, {**QC_ROW, "id": 3})
    frame = read_pairs(path)
    assert frame.task.value == "QC" and frame.df["target"].tolist() == ["tools,drills"] * 2
    path = _file(tmp_path, {**row, "task": "QI"}, {**QC_ROW, "id": 3})
    with pytest.raises(InputError, match=re.escape(
            f"{path}, line 2, field 'task': task is 'QC' but the file is QI; {SPLIT}")):
        read_pairs(path)
    untold = {k: v for k, v in row.items() if k != "task"}
    with pytest.raises(InputError, match=re.escape(
            f"{_file(tmp_path, untold)}, line 1: both 'category_path' and 'item_title' are "
            "present: give the task (--task QC|QI)")):
        read_pairs(tmp_path / "rows.jsonl")


def test_pairs_of_both_tasks_in_memory_are_said_as_pairs():
    """The Python API's pairs are told in their own words, at their position."""
    import pandas as pd

    from shoprel.data.memory import pair_frames

    pairs = pd.DataFrame([{k: v for k, v in row.items() if k != "task"}
                          for row in (QC_ROW, QI_ROW)])  # NaN in the other task's column
    with pytest.raises(InputError) as info:
        list(pair_frames(pairs, task="QC"))
    assert str(info.value) == (
        "pair 1, field 'category_path': empty, while the row's item_title holds 'Hex bolts 20 "
        "pack': a QI pair among pairs read as QC; pass each task's pairs apart")
