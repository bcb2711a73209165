"""The fold chart's legend leaves every fold's dot in view."""

from __future__ import annotations

import re

from matplotlib import rc_context

from shoprel.evaluate.report.folds import fold_section
from shoprel.evaluate.report.svg import PLOT_RC


def test_the_legend_sits_below_the_panels_not_over_a_low_last_fold():
    """Five folds, the last the lowest in both panels: its dots lay under the legends drawn in
    each panel's lower right corner."""
    f1, auc = [0.82, 0.83, 0.80, 0.81, 0.79], [0.70, 0.72, 0.69, 0.71, 0.66]
    metrics = {"per_fold": [{"fold": i, "n": 200, "f1": f, "baseline_all_positive_f1": 0.8,
                             "roc_auc": a} for i, (f, a) in enumerate(zip(f1, auc, strict=True))]}
    with rc_context(PLOT_RC):
        chart = fold_section(metrics).split("<svg", 1)[1].split("</svg>", 1)[0]
    assert legend_under_two_panels(chart, "fold") == [
        "F1 per fold", "mean F1 0.810", "ROC-AUC per fold", "mean ROC-AUC 0.696",
        "all-positive F1"]


def legend_under_two_panels(chart: str, prefix: str) -> list[str]:
    """The texts of a two-panel chart's one legend, checked to sit below both panels' frames."""
    panels = re.findall(rf'<g id="{prefix}-axes_\d+">\s*<g id="{prefix}-patch_\d+">\s*'
                        r'<path d="([^"]+)"', chart)
    assert len(panels) == 2
    bottom = max(float(y) for d in panels for y in re.findall(r"[\d.]+ ([\d.]+)", d))
    legend = chart.split(f'id="{prefix}-legend_1"', 1)[1]
    entries = re.findall(r'<text [^>]*y="([\d.]+)"[^>]*>([^<]+)</text>', legend)
    assert min(float(y) for y, _ in entries) - 8 > bottom  # the 8px text's top below the axes
    assert chart.count(f'id="{prefix}-legend_') == 1  # one legend for both panels
    return [text for _, text in entries]
