"""The single-panel charts whose data can fill any corner (score densities, precision–recall,
F1 against threshold) keep their legend above the plot, off the data."""

from __future__ import annotations

import re

import pytest
from matplotlib import rc_context
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.curves import distribution_section, pr_section, threshold_section
from shoprel.evaluate.report.far_pairs import far_pairs_section
from shoprel.evaluate.report.fmt import fmt_threshold
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.run_metrics import prediction_table
from shoprel.training.far_pairs import far_pairs_summary


def low_scores():
    """Scores crowding the left as a real QI run's did (irrelevant rows peak at 0.3, under
    the legend drawn in the upper left)."""
    oof = scored_oof()
    oof["probability"] = 0.1 + 0.5 * oof["probability"] ** 2
    return oof


def legend_below_top(chart: str, prefix: str) -> list[tuple[float, str]]:
    """(y, text) of each legend entry whose text is not above the plot's frame."""
    frame = re.search(rf'<g id="{prefix}-axes_1">\s*<g id="{prefix}-patch_\d+">\s*'
                      r'<path d="([^"]+)"', chart).group(1)
    top = min(float(y) for y in re.findall(r"[\d.]+ ([\d.]+)", frame))
    legend = chart.split(f'id="{prefix}-legend_1"', 1)[1].split("</svg>", 1)[0]
    entries = [(float(y), text) for y, text in
               re.findall(r'<text [^>]*y="([\d.]+)"[^>]*>([^<]+)</text>', legend)]
    assert len(entries) >= 3
    return [(y, text) for y, text in entries if y >= top]


@pytest.mark.parametrize("chart", ["hist", "far", "pr", "thr"])
def test_the_legend_sits_above_the_plot(chart):
    oof = low_scores()
    metrics = metrics_for(oof)
    rows = prediction_table(oof, metrics)
    with rc_context(PLOT_RC):
        if chart == "hist":
            html = distribution_section(metrics, rows)
        elif chart == "pr":  # the lower left legend hid the all-positive baseline
            html = pr_section(metrics, rows)
        elif chart == "thr":  # and there a language whose F1 starts low (few positives)
            html = threshold_section(metrics, rows)
        else:
            far = oof[oof["label"] == 0].assign(probability=lambda d: d["probability"] * 0.8)
            metrics["far_pairs"] = far_pairs_summary(far, metrics["threshold"], oof)
            html = far_pairs_section(metrics, rows)
    assert legend_below_top(html, chart) == []


def test_the_far_pairs_threshold_line_gives_its_value():
    """Every other chart's legend said "final threshold 0.4821"; this one "threshold"."""
    oof = scored_oof()
    metrics = metrics_for(oof)
    far = oof[oof["label"] == 0].assign(probability=lambda d: d["probability"] * 0.8)
    metrics["far_pairs"] = far_pairs_summary(far, metrics["threshold"], oof)
    with rc_context(PLOT_RC):
        html = far_pairs_section(metrics, prediction_table(oof, metrics))
    assert f">threshold {fmt_threshold(metrics['far_pairs']['threshold'])}</text>" in html
