"""The report's fine-tuning section: one held-out curve per fit, the kept step starred, and a
table that says how each fit ended; absent for runs whose models keep no training record."""

from __future__ import annotations

import re

from shoprel.evaluate.report import render_report
from shoprel.evaluate.report.tuning import fine_tuning_section

from .markup import without_roles
from .test_report import make_metrics, make_oof

FITS = [
    {"fit": "fold 0", "rows": 800, "steps": 150, "best_step": 50, "seconds": 61.4,
     "holdout_roc_auc_start": 0.65, "holdout_roc_auc_best": 0.7412, "stopped_early": True,
     "holdout_curve": [[0, 0.65], [50, 0.7412], [100, 0.73], [150, 0.72]]},
    {"fit": "fold 1", "rows": 790, "steps": 240, "best_step": 240, "seconds": 90.0,
     "holdout_roc_auc_start": 0.64, "holdout_roc_auc_best": 0.7388, "stopped_early": False,
     "holdout_curve": [[0, 0.64], [120, 0.70], [240, 0.7388]]},
    {"fit": "final", "rows": 990, "steps": 30, "seconds": 20.0, "stopped_by_time_budget": True},
]


def rows_of(html: str) -> list[list[str]]:
    html = without_roles(html)
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in body.split("</tr>") if "<t" in row]


def test_one_curve_per_fit_with_held_out_scores_and_a_row_per_fit():
    html = fine_tuning_section({"fine_tuning": FITS})
    assert html.count("<svg") == 1 and "Held-out ROC-AUC against training steps" in html
    rows = rows_of(html)
    assert [r[0] for r in rows] == ["fold 0", "fold 1", "final"]
    assert rows[0][1:] == ["800", "150", "50", "0.650", "0.741", "61", "early stopping"]
    assert rows[1][-1] == "schedule" and rows[2][-1] == "time budget"
    assert rows[2][1:6] == ["990", "30", "–", "–", "–"]


def test_fits_without_held_out_scores_get_a_table_and_no_plot():
    html = fine_tuning_section({"fine_tuning": [FITS[2]]})
    assert "<svg" not in html and "kept no held-out scores" in html
    assert "best step" not in html  # columns no fit has are left out


def test_runs_without_a_training_record_have_no_section():
    oof = make_oof()
    assert fine_tuning_section(make_metrics(oof)) == ""
    assert 'id="fine-tuning"' not in render_report(make_metrics(oof), oof, "run")
    report = render_report({**make_metrics(oof), "fine_tuning": FITS}, oof, "run")
    assert 'id="fine-tuning"' in report and report.count('id="tune-title"') == 1


def test_records_of_a_broken_backbone_alone_are_no_fine_tuning():
    """The embed family fine-tunes nothing; its records name only the weights its backbone
    lacked, which made a "Fine-tuning" table of fits ended by "schedule"."""
    records = [{"fit": "fold 0", "missing_encoder_weights": ["encoder.layer.0.x"]},
               {"fit": "fold 1"}, {"fit": "final"}]
    assert fine_tuning_section({"fine_tuning": records}) == ""
    kept = fine_tuning_section({"fine_tuning": [{**FITS[2], "missing_encoder_weights": []}]})
    assert [r[0] for r in rows_of(kept)] == ["final"]
