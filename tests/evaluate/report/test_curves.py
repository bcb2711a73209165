"""The calibration chart's caption counts the dots it draws; the F1-against-threshold chart
tells its languages apart by more than colour."""

from __future__ import annotations

import re

from matplotlib import rc_context
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.curves import (
    calibration_bins,
    roc_calibration_section,
    threshold_section,
)
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.run_metrics import prediction_table


def test_the_caption_says_how_many_bins_hold_rows():
    """Scores between 0.4 and 0.9 (a real fast QC run's) fill five of the ten bins; the caption
    said '10 equal-width bins' above five dots."""
    oof = scored_oof()
    oof["probability"] = 0.4 + 0.5 * oof["probability"]
    metrics = metrics_for(oof)
    with rc_context(PLOT_RC):
        html = roc_calibration_section(metrics, prediction_table(oof, metrics))
    filled = len(calibration_bins(oof["probability"].to_numpy(), oof["label"].to_numpy()))
    assert filled == 5
    assert "in 10 equal-width bins; a dot for each bin with rows (5 here, marker area" in html


def test_each_language_line_has_its_own_dash_pattern_and_marker():
    """The per-language F1 lines differed by colour alone: one grey in a greyscale print, and
    orange, green and vermillion alike to a red-green colour-blind reader."""
    oof = scored_oof(n=1200)
    oof["language"] = ["en", "es", "fr", "de", "it"] * 240
    metrics = metrics_for(oof)
    with rc_context(PLOT_RC):
        html = threshold_section(metrics, prediction_table(oof, metrics))
    plot = html.split('id="thr-legend_1"', 1)[0]  # the plotted lines, not their legend keys
    # (line style, its marker's outline): a marker's def is per colour, so compare shapes
    lines = re.findall(r'<g id="thr-line2d_\d+">\s*<path d="[^"]+"\s*clip-path="[^"]+"\s*'
                       r'style="([^"]*stroke-opacity: 0.8[^"]*)"/>\s*'
                       r'(?:<defs>\s*<path id="[^"]+" d="([^"]+)")?', plot)
    assert len(lines) == 5
    dashes = [re.search(r"stroke-dasharray: ([^;]*);", style) for style, _ in lines]
    patterns = {d.group(1) if d else "solid" for d in dashes}
    markers = {marker for _, marker in lines}
    assert len(patterns) == 5 and "" not in patterns
    assert len(markers) == 5 and "" not in markers
    assert "each with its own dash pattern and marker" in html
