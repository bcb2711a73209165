"""Group tables: a flag column only where a row is flagged."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from shoprel.evaluate.report.tables import group_table

GOOD = {"n": 400, "positive_rate": 0.5, "f1": 0.7, "baseline_all_positive_f1": 0.66,
        "roc_auc": 0.72}
WEAK = {**GOOD, "roc_auc": 0.45}
SMALL = {**GOOD, "n": 12, "roc_auc": 0.2}


def headers(table_html: str) -> list[list[str]]:
    """Each table's header texts."""
    return [re.findall(r"<th[^>]*>([^<]*)</th>", head)
            for head in re.findall(r"<thead[^>]*>(.*?)</thead>", table_html, re.S)]


def test_no_flag_column_where_no_row_is_flagged():
    """A one-language QI run's table, and every folded table of small groups, showed an empty
    'flag' column (a small group is never flagged)."""
    table = group_table([("en", GOOD), ("xx", SMALL)], "language", overall_auc=0.72)
    big, small = headers(table)
    assert "flag" not in big and "flag" not in small
    assert big[-1] == small[-1] == "recall"


def test_a_flagged_row_keeps_its_column():
    table = group_table([("en", GOOD), ("ja", WEAK), ("xx", SMALL)], "language",
                        overall_auc=0.72)
    big, small = headers(table)
    assert big[-1] == "flag" and "flag" not in small
    assert 'class="flag" role="cell">AUC below chance</td>' in table


@pytest.mark.parametrize(("count", "words"), [(1, "1 language group with"),
                                               (3, "3 language groups with")])
def test_the_folded_small_groups_are_counted_in_words(count, words):
    """It read "1 language group(s) with fewer than 30 rows"."""
    small = [(f"x{i}", SMALL) for i in range(count)]
    assert f"<summary>{words} fewer than" in group_table([("en", GOOD), *small], "language")


@pytest.mark.parametrize(("extra", "words"), [(1, "1 more flagged slice<"),
                                              (2, "2 more flagged slices<")])
def test_the_folded_weak_slices_are_counted_in_words(extra, words):
    """It read "1 more flagged slice(s)"."""
    from shoprel.evaluate.report.mistakes import MAX_FLAGS, errors_section

    languages = {f"l{i:02d}": WEAK for i in range(MAX_FLAGS + extra)}
    metrics = {"overall": {"roc_auc": 0.72}, "per_language": languages}
    assert words in errors_section(metrics, pd.DataFrame())


def test_a_group_without_its_row_count_is_folded_not_a_crash():
    """A group whose n is missing (a metrics.json edited by hand, or written by another tool)
    is folded with the small ones, as before; counting the folded rows then raised
    'cannot convert float NaN to integer' and the report was not written."""
    table = group_table([("en", GOOD), ("xx", SMALL), ("yy", {"f1": 0.5})], "language")
    assert "<summary>2 language groups with fewer than 30 rows (12 rows in all)" in table
