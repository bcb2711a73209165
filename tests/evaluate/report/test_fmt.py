"""Report number formatting: a signed difference that rounds to zero reads '+0.000' in every
table, as the language table prints it."""

from __future__ import annotations

import math

import pytest

from shoprel.evaluate.report.fmt import fmt_signed, fmt_threshold
from shoprel.evaluate.report.groups import language_threshold_section
from shoprel.evaluate.report.tables import group_table


@pytest.mark.parametrize(("value", "digits", "shown"), [
    (-0.0001, 3, "+0.000"), (-0.0, 3, "+0.000"), (0.0001, 3, "+0.000"),
    (-0.00004, 4, "+0.0000"), (-0.0006, 3, "\u22120.001"), (0.0125, 3, "+0.013"),
    (None, 3, "–"), (math.nan, 3, "–")])
def test_a_difference_is_signed_and_zero_is_plus(value, digits, shown):
    assert fmt_signed(value, digits) == shown


def test_the_group_table_and_fmt_signed_print_a_tiny_loss_alike():
    """F1 0.0001 below the all-positive baseline: the group table said '+0.000', a verdict or
    comparison line '-0.000'."""
    row = {"n": 500, "f1": 0.6999, "baseline_all_positive_f1": 0.7, "roc_auc": 0.8}
    html = group_table([("es", row)], "language")
    assert f">{fmt_signed(0.6999 - 0.7)}</td>" in html and "\u22120.000" not in html


@pytest.mark.parametrize(("value", "shown"), [
    (0.453, "0.4530"), (0.18, "0.1800"), (0.58376, "0.5838"), (0.5, "0.5000"), (1.0, "1.0000"),
    (0.0, "0.0000"), (0.00012345, "0.0001234"), (None, "–")])
def test_thresholds_print_four_decimals_so_a_column_of_cuts_lines_up(value, shown):
    """An ensemble's per-language cuts read 0.1895, 0.453, 0.5838, 0.18 down one column."""
    assert fmt_threshold(value) == shown


def test_the_per_language_threshold_table_lines_its_cuts_up():
    block = {"shrinkage": 200.0, "global_threshold": 0.18, "used_by_predict": True,
             "languages": {"es": {"n": 114, "best": 0.1895, "threshold": 0.1834},
                           "pt": {"n": 107, "best": 0.453, "threshold": 0.299}}}
    html = language_threshold_section({"per_language_thresholds": block})
    assert "<td>0.4530</td><td>0.2990</td>" in html and "Global threshold 0.1800," in html
