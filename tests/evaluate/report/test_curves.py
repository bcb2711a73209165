"""The calibration chart's caption counts the dots it draws."""

from __future__ import annotations

from matplotlib import rc_context
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report.curves import calibration_bins, roc_calibration_section
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
