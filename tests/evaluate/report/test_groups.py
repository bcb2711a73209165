"""Per-language charts: what the legend says a marker means holds in every panel."""

from __future__ import annotations

import html
import re

from matplotlib import rc_context
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.groups import dot_plot_svg, language_section
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.run_metrics import prediction_table


def chart_texts(svg_text: str) -> list[str]:
    """The words a chart shows (the report's style keeps them as <text>)."""
    return [html.unescape(t).replace("\u200b", "")
            for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg_text)]


def test_the_roc_auc_panel_is_not_said_to_be_judged_against_0():
    """A circle in the ROC-AUC panel means the interval lies above chance (0.5); the legend
    said 'interval above 0' for both panels."""
    oof = scored_oof()
    metrics = metrics_for(oof)
    with rc_context(PLOT_RC):
        texts = chart_texts(language_section(metrics, prediction_table(oof, metrics)))
    legend = [t for t in texts if t.startswith("interval ")]
    assert legend == ["interval above reference", "interval below reference",
                      "interval includes reference"]
    assert "ΔF1 over all-positive (reference 0)" in texts
    assert "ROC-AUC (reference: chance 0.5)" in texts


def test_a_chart_of_differences_keeps_0_as_its_reference():
    interval = {"mean": 0.02, "low": 0.01, "high": 0.03, "k": 5}
    with rc_context(PLOT_RC):
        chart = dot_plot_svg({"en": {"n": 100, "delta_auc": interval}},
                             [("delta_auc", "ΔROC-AUC", 0.0, [(0.0, "--", "zero")])], "x", "t")
    assert "interval above 0" in chart_texts(chart)
