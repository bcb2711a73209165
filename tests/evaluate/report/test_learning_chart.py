"""The learning curve's legend leaves every point in view."""

from __future__ import annotations

from matplotlib import rc_context
from tests.evaluate.report.test_fold_chart import legend_under_two_panels
from tests.evaluate.report.test_groups import chart_texts

from shoprel.evaluate.report.learning import learning_curve_section
from shoprel.evaluate.report.svg import PLOT_RC


def test_the_legend_sits_below_the_panels_not_over_a_last_point_that_came_out_lowest():
    """The largest share's F1 lowest of all (0.79 after 0.82): it sat in the corner where each
    panel drew its legend."""
    points = [{"fraction": f, "rows": r, "roc_auc": a, "f1": f1, "baseline_f1": 0.8,
               "fold_roc_auc": [a - 0.02, a, a + 0.02], "constant_folds": []}
              for f, r, a, f1 in ((0.1, 47, 0.62, 0.82), (0.25, 116, 0.60, 0.815),
                                  (0.5, 233, 0.58, 0.80), (1.0, 466, 0.55, 0.79))]
    with rc_context(PLOT_RC):
        chart = learning_curve_section({"points": points}).split("<svg", 1)[1]
    assert legend_under_two_panels(chart, "lc") == ["OOF ROC-AUC", "OOF F1", "all-positive F1"]


def test_row_ticks_separate_thousands_as_the_table_does():
    """A Home Depot curve's axis read 20000 40000 60000 beside a table of 57,600 rows."""
    points = [{"fraction": f, "rows": r, "roc_auc": a, "f1": 0.8, "baseline_f1": 0.7,
               "fold_roc_auc": [a - 0.02, a, a + 0.02], "constant_folds": []}
              for f, r, a in ((0.1, 5760, 0.62), (0.5, 28800, 0.66), (1.0, 57600, 0.7))]
    with rc_context(PLOT_RC):
        texts = chart_texts(learning_curve_section({"points": points}))
    ticks = [t for t in texts if t.replace(",", "").isdigit()]
    assert "20,000" in ticks and not [t for t in ticks if len(t) > 3 and "," not in t]


def test_both_panels_share_one_row_axis_when_small_shares_are_left_off():
    """The default model on 600 real QC rows, 2 folds: 10% and 25% scored every row alike and
    were left off, so the ROC-AUC panel's axis ran 150 to 300 rows (ticks 150 200 250 300)
    beside the F1 panel's 30 to 300 (100 200 300), where the baseline keeps every share."""
    points = [{"fraction": f, "rows": r, "roc_auc": a, "f1": f1, "baseline_f1": 0.807,
               "fold_roc_auc": folds, "constant_folds": constant}
              for f, r, a, f1, folds, constant in (
                  (0.1, 30, 0.4924, 0.8072, [0.5, 0.5], [0, 1]),
                  (0.25, 75, 0.4924, 0.8072, [0.5, 0.5], [0, 1]),
                  (0.5, 150, 0.6561, 0.8104, [0.64, 0.67], []),
                  (1.0, 300, 0.6650, 0.8072, [0.689, 0.658], []))]
    with rc_context(PLOT_RC):
        texts = chart_texts(learning_curve_section({"points": points}))
    ticks = [t for t in texts if t.replace(",", "").isdigit()]
    assert ticks and all(ticks.count(t) == 2 for t in ticks), ticks  # each in both panels
