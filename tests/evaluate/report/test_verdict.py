"""An ensemble's verdict shows its members' figures beside its own."""

from __future__ import annotations

import pytest
from tests.evaluate.test_report_trust import metrics_for, scored_oof

from shoprel.evaluate.report import render_report
from shoprel.evaluate.report.verdict import verdict_section


@pytest.fixture(scope="module")
def oof():
    return scored_oof()


def ensemble_metrics(oof, member_aucs: list[float]) -> dict:
    """Metrics as ensemble/runner.py records them: a `members` list of name, threshold, F1
    and ROC-AUC, each read from the member's own metrics.json."""
    metrics = metrics_for(oof)
    metrics["model"] = {"family": "ensemble", "params": {"method": "mean"}}
    metrics["members"] = [{"name": name, "threshold": 0.5, "f1": 0.8 + i / 100, "roc_auc": auc}
                          for i, (name, auc) in enumerate(zip("ab", member_aucs, strict=True))]
    return metrics


def test_the_members_and_a_member_that_ranks_better_are_named(oof):
    """A mean of two members that ranks below one of them: the report showed the ensemble's
    figures alone, so nothing said the better member would do without it."""
    metrics = ensemble_metrics(oof, [0.6123, 0.9])
    auc = metrics["overall"]["roc_auc"]
    assert auc < 0.9
    doc = render_report(metrics, oof, "ens")
    verdict = doc.split('id="verdict"', 1)[1].split("</section>", 1)[0]
    assert ("Members, pooled out-of-fold on the same rows: a ROC-AUC 0.612, F1 0.800; "
            "b ROC-AUC 0.900, F1 0.810") in verdict
    assert (f'<span class="flag">ranks below its member b</span> (ROC-AUC {auc:.3f} against '
            "0.900)") in verdict


def test_no_flag_when_the_ensemble_ranks_as_well_as_its_best_member(oof):
    metrics = ensemble_metrics(oof, [0.5, 0.7004])  # above the ensemble, but prints alike
    metrics["overall"]["roc_auc"] = 0.7001
    verdict = verdict_section(metrics, "ens")
    assert "Members, pooled" in verdict and "ranks below" not in verdict


def test_a_single_run_has_no_members_line(oof):
    assert "Members" not in verdict_section(metrics_for(oof), "run")


def test_an_ensemble_says_it_has_no_far_pairs_check(oof):
    """An ensemble has no fold models to score far pairs with: its page left the check out
    without a word, where each member's page gives it in the verdict."""
    said = ("<li>Far pairs: no check of its own (an ensemble has no fold models to score them "
            "with; each member's report has its own)</li>")
    assert said in verdict_section(ensemble_metrics(oof, [0.6, 0.7]), "ens")
    assert "Far pairs" not in verdict_section(metrics_for(oof), "run")  # check.far_pairs: 0


def test_a_students_caveat_names_the_option_that_makes_its_oof_honest():
    """The verdict read '... saw the student's validation rows (use nested)': no option of
    that name exists; distill's is --nested."""
    from shoprel.evaluate.report.verdict import distillation_items
    from shoprel.training.distill import oof_caveat

    block = {"teacher": {"name": "teacher"}, "teacher_oof": {"roc_auc": 0.7, "f1": 0.8},
             "hard_weight": 0.3, "caveat": oof_caveat(0.3, nested=False, unlabeled=False)}
    (item,) = distillation_items({"distillation": block})
    assert "(distill --nested makes them honest)</li>" in item
