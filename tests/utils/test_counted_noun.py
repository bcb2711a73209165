from shoprel.utils.counted_noun import counted_noun


def test_one_is_singular_and_every_other_count_plural():
    assert [counted_noun(n, "row") for n in (0, 1, 2)] == ["rows", "row", "rows"]
    assert counted_noun(1, "query", "queries") == "query"
    assert counted_noun(3, "query", "queries") == "queries"
