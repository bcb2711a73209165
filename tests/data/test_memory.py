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
    ("funda iphone", r"^pairs: expected a list of pairs \(dicts\) or a DataFrame, got str$"),
    ({"origin_query": "x"}, "got dict"),
    ([{"origin_query": "x", "category_path": "a,b"}, 7], r"^pair 1: expected a dict"),
    ([{"origin_query": "x"}], r"^pair 0: no target column: expected 'category_path'"),
    ([{"origin_query": "x", "category_path": "a"}, {"origin_query": "y", "category_path": "b",
                                                   "id": 1}],
     r"^pair 1, field 'id': has an id but the first pair has none"),
    ([{"origin_query": "x", "category_path": "a", "id": 4},
      {"origin_query": "y", "category_path": "b", "id": 4}],
     r"^pair 1, field 'id': duplicate id 4 \(first seen on pair 0\)"),
    ([{"origin_query": ["x"], "category_path": "a"}], r"^pair 0, field 'origin_query': expected "
                                                      "text, got list"),
    ([], "no pairs given"),
])
def test_bad_pairs_are_one_error_naming_the_pair(pairs, match):
    with pytest.raises(InputError, match=match):
        list(pair_frames(pairs))


def test_no_pairs_for_a_known_task_is_an_empty_frame():
    frame = _frame([], task="QI")
    assert frame.task is Task.QI and len(frame) == 0
    with pytest.raises(InputError, match=r"^pair 0, field 'item_title': column missing for "
                                         "task QI"):
        list(pair_frames([{"origin_query": "x", "category_path": "a"}], task="QI"))
