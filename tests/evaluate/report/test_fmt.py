"""Report number formatting: a signed difference that rounds to zero reads '+0.000' in every
table, as the language table prints it."""

from __future__ import annotations

import math

import pytest

from shoprel.evaluate.report.fmt import fmt_signed
from shoprel.evaluate.report.tables import group_table


@pytest.mark.parametrize(("value", "digits", "shown"), [
    (-0.0001, 3, "+0.000"), (-0.0, 3, "+0.000"), (0.0001, 3, "+0.000"),
    (-0.00004, 4, "+0.0000"), (-0.0006, 3, "-0.001"), (0.0125, 3, "+0.013"),
    (None, 3, "–"), (math.nan, 3, "–")])
def test_a_difference_is_signed_and_zero_is_plus(value, digits, shown):
    assert fmt_signed(value, digits) == shown


def test_the_group_table_and_fmt_signed_print_a_tiny_loss_alike():
    """F1 0.0001 below the all-positive baseline: the group table said '+0.000', a verdict or
    comparison line '-0.000'."""
    row = {"n": 500, "f1": 0.6999, "baseline_all_positive_f1": 0.7, "roc_auc": 0.8}
    html = group_table([("es", row)], "language")
    assert f">{fmt_signed(0.6999 - 0.7)}</td>" in html and "-0.000" not in html
