import pytest

from shoprel.data.empty_texts import empty_texts_note


@pytest.mark.parametrize(("stats", "path", "said"), [
    ({"empty_query": 1, "empty_target": 2, "first_empty_line": 4}, "in.jsonl",
     "note: in.jsonl holds 1 row with an empty query and 2 with an empty target, the first at "
     "line 4 (kept)"),
    ({"empty_query": 2, "empty_target": 1, "first_empty_line": 7}, "in.parquet",
     "note: in.parquet holds 2 rows with an empty query and 1 with an empty target, the first "
     "at row 7 (kept)"),
    ({"empty_query": 0, "empty_target": 3, "first_empty_line": 4}, "in.jsonl",
     "note: in.jsonl holds 3 rows with an empty target, the first at line 4 (kept)"),
    ({"empty_query": 1, "empty_target": 0, "first_empty_line": 2}, "-",
     "note: stdin holds 1 row with an empty query, the first at line 2 (kept)"),
    ({"empty_query": 1, "empty_target": 0}, None, "note: 1 row with an empty query (kept)"),
    ({"empty_query": 0, "empty_target": 0}, "in.jsonl", None),
])
def test_the_note_counts_rows_in_the_singular_and_plural_and_leaves_out_a_zero(stats, path, said):
    assert empty_texts_note(stats, path, "kept") == said
