"""The fold table's mean row says what the verdict says about the same number."""

from __future__ import annotations

import re

import pytest
from matplotlib import rc_context
from tests.evaluate.markup import without_roles

from shoprel.evaluate.report.folds import fold_section
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.report.verdict import verdict_section


def fold_metrics(deltas: list[float]) -> dict:
    """Per-fold rows whose F1 sits `delta` above an all-positive F1 of 0.8."""
    return {"per_fold": [
        {"fold": i, "n": 200, "positive_rate": 0.67, "f1": 0.8 + d,
         "baseline_all_positive_f1": 0.8, "roc_auc": 0.7, "precision": 0.7, "recall": 0.95}
        for i, d in enumerate(deltas)]}


def mean_delta_cell(html: str) -> tuple[str, str]:
    """(class, text) of the Δ F1 cell in the fold table's mean row."""
    row = without_roles(html).split("<tfoot>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="([^"]+)">([^<]*)</td>', row)
    assert len(cells) == 1, cells  # only the Δ F1 cell carries a class
    return cells[0]


@pytest.mark.parametrize(("deltas", "state"), [
    ([-0.011, 0.0, -0.001], "unclear"),  # mean -0.004, interval across 0: not a loss
    ([0.021, 0.025, 0.023], "gain"),
    ([-0.021, -0.025, -0.023], "loss"),
])
def test_the_mean_row_is_coloured_by_its_interval_as_the_verdict_colours_it(deltas, state):
    metrics = fold_metrics(deltas)
    cls, text = mean_delta_cell(fold_section(metrics))
    assert (cls, text) == (state, f"{sum(deltas) / 3:+.3f}".replace("-", "\u2212"))
    verdict = verdict_section(metrics, "run")
    assert f'<span class="{state}">{text} (95% interval' in verdict


def test_a_single_fold_is_uncoloured_as_a_category_without_an_interval_is():
    """Each fold's Δ F1 was coloured by its sign (one fold's -0.011 as a loss), where the
    category tables colour only what an interval shows; a fold has none. The mean row keeps
    its interval's colour, the spread row none."""
    html = without_roles(fold_section(fold_metrics([-0.011, 0.002, -0.001])))
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert re.findall(r'<td class="([^"]+)">([^<]*)</td>', body) == [
        ("na", "\u22120.011"), ("na", "+0.002"), ("na", "\u22120.001")]
    assert "Each fold's Δ F1 is not coloured" in html
    spread = html.split("<tfoot>", 1)[1].split("</tr>", 2)[1]
    assert '<td class="na">0.007</td>' in spread  # a standard deviation: no sign, no colour


def test_each_folds_threshold_reads_on_its_own_row_and_is_never_stacked():
    """The thresholds sat in one row of a column per fold: six columns for five folds, so a
    phone stacked the table and read "fold", "threshold", then "0 0.01219", "1 0.02500"."""
    metrics = fold_metrics([0.02, 0.01, 0.03, 0.02, 0.01])
    for fold, cut in zip(metrics["per_fold"], (0.01219, 0.025, 0.5, 0.61, 0.7), strict=True):
        fold["threshold"] = cut
    with rc_context(PLOT_RC):
        html = without_roles(fold_section(metrics))
    table = html[html.index('aria-label="fold thresholds"'):]
    table = table[:table.index("</table>")]
    assert "stack" not in table  # two columns: a phone shows it as a desktop does
    assert re.findall(r"<th>([^<]*)</th>", table.split("<tbody>")[0]) == ["fold", "threshold"]
    assert re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", table) == [
        ("0", "0.0122"), ("1", "0.0250"), ("2", "0.5000"), ("3", "0.6100"), ("4", "0.7000")]
