"""Pairs held in memory are checked as a file's rows are, with errors naming the pair."""

import math

import pandas as pd
import pytest

from shoprel.data.memory import pair_frames
from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task
from shoprel.errors import InputError


def _frame(pairs, **kw):
    frames = list(pair_frames(pairs, **kw))
    assert len(frames) == 1
    return frames[0]


def test_dicts_read_like_the_same_rows_in_a_file(tmp_path, jsonl, qc_rows):
    from_file = read_pairs(jsonl(tmp_path / "qc.jsonl", qc_rows))
    in_memory = _frame(qc_rows)
    assert in_memory.task is Task.QC and from_file.task is Task.QC
    pd.testing.assert_frame_equal(in_memory.df, from_file.df)


def test_ids_are_positions_when_none_given(qc_rows):
    pairs = [{k: v for k, v in row.items() if k not in ("id", "label")} for row in qc_rows]
    frame = _frame(pairs)
    assert frame.df["id"].tolist() == [0, 1, 2]
    assert "label" not in frame.df.columns


@pytest.mark.parametrize(("renamed", "field", "spelled"), [
    ({"id": "ID"}, "id", "ID"), ({"id": "Id"}, "id", "Id"),
    ({"language": "Language"}, "language", "Language"), ({"language": "lang"}, "language", "lang"),
])
def test_a_field_spelled_otherwise_is_refused_not_left_unread(qc_rows, renamed, field, spelled):
    """A DataFrame with an `ID` column was scored with each pair's position as its id (its own
    ids dropped), and one with `Language` as untagged; each is refused, naming the field."""
    table = pd.DataFrame(qc_rows).rename(columns=renamed)
    with pytest.raises(InputError) as caught:
        _frame(table)
    assert str(caught.value).startswith(
        f"pair 0, field {field!r}: no {field!r} column, but the pairs have {spelled!r}, which "
        f"is not read as {field!r}: name the column {field!r}")


def test_a_dataframe_with_empty_cells(qc_rows):
    table = pd.DataFrame(qc_rows).drop(columns=["id"])
    table.loc[1, "language"] = math.nan
    frame = _frame(table)
    assert frame.df["language"].tolist() == ["es", "unk", "ja"]
    assert frame.df["label"].tolist() == [1, 1, 0]


def test_chunks(qc_rows):
    pairs = [dict(row, id=i) for i, row in enumerate(qc_rows * 3)]
    sizes = [len(frame) for frame in pair_frames(pairs, chunk_rows=4)]
    assert sizes == [4, 4, 1]


@pytest.mark.parametrize(("pairs", "match"), [
    # these said Python's type names: 'got str' (dict, int, NoneType)
    ("funda iphone", r"^pairs: a text is not a list of pairs \(dicts\) or a DataFrame$"),
    # said "a dict is not a list of pairs (dicts)", as if the dict were wrong, not unlisted
    ({"origin_query": "x"}, r"^pairs: a dict is one pair, not a list of pairs: give a list, "
                            r"even of one: \[pair\]$"),
    ({"origin_query": ["x", "y"], "category_path": ("a", "b")},
     r"^pairs: a dict of columns is not a list of pairs: give a DataFrame of them, "
     r"pd.DataFrame\(pairs\)$"),
    ([{"origin_query": "x", "category_path": "a,b"}, 7],
     r"^pair 1: the number 7 is not a dict of fields$"),
    ([None], r"^pair 0: None is not a dict of fields$"),
    ([{"origin_query": "x"}], r"^pair 0: no target column: expected 'category_path'"),
    # said "missing required column" alone; now what the pairs hold, in a dict's words
    ([{"category_path": "x", "id": 1}],
     r"^pair 0, field 'origin_query': missing required column; the pairs have 'category_path', "
     r"'id': give every pair its 'origin_query', or rename the field that holds it$"),
    ([{"origin_query": "x", "category_path": "a"}, {"origin_query": "y", "category_path": "b",
                                                   "id": 1}],
     r"^pair 1, field 'id': has an id but the first pair has none"),
    # the other way round said "missing required column", a file's words for a list of dicts
    ([{"origin_query": "x", "category_path": "a", "id": 1}, {"origin_query": "y",
                                                             "category_path": "b"}],
     r"^pair 1, field 'id': has no id but the first pair has one: give every pair an id or "
     r"none \(then each pair's id is its position\)$"),
    ([{"origin_query": "x", "category_path": "a", "id": 4},
      {"origin_query": "y", "category_path": "b", "id": 4}],
     r"^pair 1, field 'id': duplicate id 4 \(first seen on pair 0\)"),
    ([{"origin_query": ["x"], "category_path": "a"}],
     r"^pair 0, field 'origin_query': a list is not a text"),
    ([], "no pairs given"),
    # a row (df.iloc[0], df.iterrows()) was iterated as pairs: 'pair 0: a text is not a dict'
    (pd.Series({"origin_query": "x", "category_path": "a,b"}),
     r"^pairs: a Series is one row, not a list of pairs: give \[row.to_dict\(\)\]"),
])
def test_bad_pairs_are_one_error_naming_the_pair(pairs, match):
    with pytest.raises(InputError, match=match):
        list(pair_frames(pairs))


def test_a_file_s_path_given_as_the_pairs_is_told_to_read_the_file(tmp_path, jsonl, qc_rows):
    """run.score(Path("test.jsonl")) said "a PosixPath is not a list of pairs (dicts) or a
    DataFrame", and the path as a text "a text is not...": what was wrong, not the fix, which is
    to read the file (shoprel.read_pairs) or score it into a file. A query stays a text."""
    path = jsonl(tmp_path / "qc.jsonl", qc_rows)
    said = (f"pairs: the path {str(path)!r} is not a list of pairs: read the file first, "
            f"shoprel.read_pairs({str(path)!r}), or score it into a file with "
            "shoprel.predict_file")
    for given in (path, str(path)):
        with pytest.raises(InputError) as info:
            list(pair_frames(given))
        assert str(info.value) == said
    with pytest.raises(InputError) as info:
        list(pair_frames(tmp_path / "none.jsonl"))  # a path, if not a file yet
    assert str(info.value).startswith(f"pairs: the path '{tmp_path / 'none.jsonl'}' is not ")
    with pytest.raises(InputError) as info:
        list(pair_frames(str(tmp_path)))  # a folder's name is a text, as a query is
    assert str(info.value) == "pairs: a text is not a list of pairs (dicts) or a DataFrame"


@pytest.mark.parametrize("container", [list, pd.DataFrame])
def test_every_missing_field_of_the_pairs_is_said_at_once(container):
    """Pairs lacking their query and target fields were told the target, then, once renamed,
    the query, a run each, where a file's header is told both in one line (missing_columns)."""
    pairs = container([{"id": 1, "q": "drill", "category": "tools", "label": 1}])
    with pytest.raises(InputError) as caught:
        list(pair_frames(pairs, require_label=True))
    assert caught.value.line == 0 and caught.value.field is None
    assert str(caught.value) == (
        "pair 0: missing required columns 'origin_query' and 'category_path': the pairs have "
        "'q': name the column 'origin_query'; the pairs have 'category': name the column "
        "'category_path'")
    with pytest.raises(InputError) as caught:  # the labels too, where training asks for them
        list(pair_frames(container([{"id": 1, "q": "drill", "category_path": "tools"}]),
                         require_label=True))
    assert str(caught.value) == (
        "pair 0: missing required columns 'origin_query' and 'label': the pairs have 'q': name "
        "the column 'origin_query'; the pairs have 'id', 'q', 'category_path': add a column "
        "'label', or rename the one that holds it")


@pytest.mark.parametrize("container", [list, pd.DataFrame])
def test_pairs_without_ids_are_told_only_the_fields_they_were_given(container):
    """A pair given no id takes its position as one before it is checked: the messages listed
    that 'id' among the fields the pairs have, a field the user never wrote."""
    said = []
    for pairs, kwargs in (([{"text": "drill", "category": "tools"}], {}),
                          ([{"origin_query": "drill", "cat": "tools"}], {}),
                          ([{"origin_query": "drill", "cat": "tools"}], {"task": "QC"}),
                          ([{"text": "drill", "category_path": "tools"}], {})):
        with pytest.raises(InputError) as caught:
            list(pair_frames(container(pairs), **kwargs))
        said.append(str(caught.value))
    assert said == [
        "pair 0: missing required columns 'origin_query' and 'category_path': the pairs have "
        "'category': name the column 'category_path'; the pairs have 'text', 'category': add a "
        "column 'origin_query', or rename the one that holds it",
        "pair 0: no target column: expected 'category_path' (QC) or 'item_title' (QI); the "
        "pairs have 'origin_query', 'cat': add the field of the task's target (QC: category "
        "paths, QI: item titles), or rename the one that holds it",
        "pair 0, field 'category_path': column missing for task QC; the pairs have "
        "'origin_query', 'cat': give every pair its 'category_path', or rename the field that "
        "holds it",
        "pair 0, field 'origin_query': missing required column; the pairs have 'text', "
        "'category_path': give every pair its 'origin_query', or rename the field that holds it"]
    with pytest.raises(InputError) as caught:  # a later pair (a DataFrame's rows share fields)
        list(pair_frames([{"origin_query": "a", "category_path": "b"},
                          {"text": "drill", "category_path": "tools"}]))
    assert str(caught.value) == (
        "pair 1, field 'origin_query': missing required column; the pair has 'text', "
        "'category_path': give the pair its 'origin_query', as the ones before it have")
    frame = _frame([{"origin_query": "drill", "category_path": "tools"}] * 2)
    assert frame.df["id"].tolist() == [0, 1]  # the positions are still the ids


@pytest.mark.parametrize(("pairs", "task", "said"), [
    ([{"id": 1, "origin_query": "drill", "category": "tools"}], None,
     "pair 0: no target column: expected 'category_path' (QC) or 'item_title' (QI); the pairs "
     "have 'category': name the column 'category_path'"),
    ([{"origin_query": "drill", "title": "Drill 18V"}], None,
     "pair 0: no target column: expected 'category_path' (QC) or 'item_title' (QI); the pairs "
     "have 'title': name the column 'item_title'"),
    ([{"origin_query": "drill", "category": "tools"}], "QC",
     "pair 0, field 'category_path': column missing for task QC; the pairs have 'category': "
     "name the column 'category_path'"),
])
def test_a_target_under_another_datasets_name_is_said_of_the_pairs(pairs, task, said):
    """detect_task's hint for another dataset's name of the target said "the file has
    'category'" of pairs given from Python, which are no file."""
    with pytest.raises(InputError) as caught:
        list(pair_frames(pairs, task=task))
    assert str(caught.value) == said


def test_no_pairs_for_a_known_task_is_an_empty_frame():
    frame = _frame([], task="QI")
    assert frame.task is Task.QI and len(frame) == 0
    with pytest.raises(InputError, match=r"^pair 0, field 'item_title': column missing for "
                                         "task QI"):
        list(pair_frames([{"origin_query": "x", "category_path": "a"}], task="QI"))


def test_empty_cells_and_numpy_numbers_read_alike_in_dicts_and_frames(qc_rows):
    """A notebook's pairs: np.int64 ids, NaN / None / pd.NA cells, the same in either container."""
    import numpy as np

    rows = [dict(row, id=np.int64(row["id"])) for row in qc_rows]
    rows[0]["language"] = pd.NA
    rows[1]["origin_query"] = math.nan
    rows[2]["origin_query"] = None
    as_dicts = _frame(rows)
    as_frame = _frame(pd.DataFrame(rows))
    pd.testing.assert_frame_equal(as_dicts.df, as_frame.df)
    assert as_dicts.df["id"].tolist() == [1, 2, 3]
    assert as_dicts.df["language"].tolist() == ["unk", "en", "ja"]
    assert as_dicts.df["query"].tolist() == ["funda iphone", "", ""]  # never the text "nan"
    nullable = pd.DataFrame(qc_rows).convert_dtypes()  # Int64 ids
    assert _frame(nullable).df["id"].tolist() == [1, 2, 3]
    missing = pd.DataFrame(qc_rows).astype({"id": "Int64"})
    missing.loc[1, "id"] = pd.NA
    with pytest.raises(InputError, match=r"^pair 1, field 'id': null is not an id; "
                                         "an id must be text or a whole number$"):
        list(pair_frames(missing))


def test_a_frame_with_a_column_twice_is_refused(qc_rows):
    table = pd.concat([pd.DataFrame(qc_rows), pd.DataFrame({"origin_query": ["x"] * 3})],
                      axis=1)
    with pytest.raises(InputError, match="the DataFrame has the column 'origin_query' twice"):
        list(pair_frames(table))


def test_a_pairframe_is_taken_as_read(tmp_path, jsonl, qc_rows):
    frame = read_pairs(jsonl(tmp_path / "qc.jsonl", qc_rows))
    chunks = list(pair_frames(frame, task="QC", chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 1]
    assert pd.concat([c.df for c in chunks], ignore_index=True).equals(frame.df)
    with pytest.raises(InputError, match="^pairs: QC pairs, but QI ones are scored here; give "
                                         "QI pairs$"):
        list(pair_frames(frame, task="QI"))


def test_a_filtered_frame_s_pair_is_named_by_its_index_label_too(qc_rows):
    table = pd.DataFrame(qc_rows, index=[10, 11, 12])
    table.loc[12, "label"] = 7
    with pytest.raises(InputError, match=r"^pair 2 \(index 12\), field 'label'"):
        list(pair_frames(table))
    with pytest.raises(InputError, match=r"^pair 2, field 'label'"):
        list(pair_frames(table.reset_index(drop=True)))


def test_a_label_that_is_no_label_tells_pairs_to_check_the_pairs_not_a_file(qc_rows):
    """Scoring pairs held in memory with a label of 7 said "check the file": there is none."""
    rows = [dict(row) for row in qc_rows]
    rows[2]["label"] = 7
    said = ("label must be 0, 1 or empty (unused here), got {}: a wrong field or a mixed-up "
            "pair; check the pairs, or set their label to None or drop it")
    with pytest.raises(InputError) as info:
        list(pair_frames(rows, read_labels=False))
    assert str(info.value) == "pair 2, field 'label': " + said.format("7")
    table = pd.DataFrame(rows, index=[10, 11, 12]).astype({"label": object})
    table.loc[11, "label"] = "yes"
    with pytest.raises(InputError) as info:
        list(pair_frames(table, read_labels=False))
    assert str(info.value) == "pair 1 (index 11), field 'label': " + said.format("'yes'")


def test_a_text_column_pandas_typed_as_float_is_refused(qc_rows):
    """pd.read_json guesses types: "0123" and "1080" in a column with an empty cell or a
    decimal become 123.0 and 1080.0, which would be scored as the texts '123.0' and '1080.0'."""
    table = pd.DataFrame(qc_rows).assign(origin_query=[123.0, 1080.0, 2.5])
    with pytest.raises(InputError, match="column 'origin_query' holds floats"):
        list(pair_frames(table))
    empty = pd.DataFrame(qc_rows).assign(translated_query=math.nan)  # all empty: fine
    assert _frame(empty).df["query_en"].tolist() == ["", "", ""]
    as_ints = pd.DataFrame(qc_rows).assign(origin_query=[1080, 2070, 3090])  # no guess to undo
    assert _frame(as_ints).df["query"].tolist() == ["1080", "2070", "3090"]


def test_a_row_given_as_the_error_says_is_scored_as_one_pair():
    row = pd.DataFrame([{"origin_query": "x", "category_path": "a,b"}]).iloc[0]
    assert _frame([row.to_dict()]).df["query"].tolist() == ["x"]


def test_an_id_field_behind_a_byte_order_mark_is_refused_not_taken_for_positions(qc_rows):
    """Rows of Excel's 'CSV UTF-8' read with csv.DictReader(open(f, encoding='utf-8')) name
    their first column '\\ufeffid': the pairs were scored with their positions as ids (0, 1,
    2 instead of the file's), silently. Refused, naming the mark and the fix."""
    pairs = [{("\ufeff" + k if k == "id" else k): v for k, v in row.items()} for row in qc_rows]
    with pytest.raises(InputError) as caught:
        _frame(pairs)
    assert str(caught.value) == (
        "pair 0, field 'id': no 'id' column, but the pairs have '\\ufeffid', which is not read "
        "as 'id': name the column 'id' (it begins with a byte-order mark, U+FEFF: read the CSV "
        "with encoding='utf-8-sig')")
    no_ids = [{k: v for k, v in row.items() if k != "id"} for row in qc_rows]
    marked = [{("\ufeff" + k if k == "origin_query" else k): v for k, v in row.items()}
              for row in no_ids]
    with pytest.raises(InputError, match=r"'\\ufefforigin_query': name the column "
                                         r"'origin_query' \(it begins with a byte-order mark"):
        _frame(marked)
