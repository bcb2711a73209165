"""Paired per-fold intervals and nested thresholds: the numbers behind the report's verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shoprel.data.tasks import Task
from shoprel.evaluate.intervals import (
    AUC_OVER_CHANCE,
    DIFFERENCE,
    f1_over_all_positive,
    fold_differences,
    paired_interval,
    verdict,
)
from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics
from shoprel.evaluate.report.groups import language_intervals
from shoprel.evaluate.report.verdict import fold_intervals
from shoprel.evaluate.run_metrics import nested_fold_thresholds, prediction_table, run_metrics


def test_paired_interval_is_the_student_t_interval() -> None:
    d = [0.01, 0.03, 0.02, 0.015, 0.025]
    out = paired_interval(d)
    half = stats.t.ppf(0.975, 4) * np.std(d, ddof=1) / np.sqrt(5)
    assert out["mean"] == pytest.approx(0.02)
    assert out["low"] == pytest.approx(0.02 - half) and out["high"] == pytest.approx(0.02 + half)
    assert out["k"] == 5 and verdict(out) == "gain"


@pytest.mark.parametrize("bounds", [None, DIFFERENCE, AUC_OVER_CHANCE])
def test_an_interval_holds_python_numbers(bounds) -> None:
    """low and high were numpy floats (from numpy's std): train's and compare_runs' returned
    metrics held np.float64 beside plain floats, where `type(x) is float` is what a caller of
    the API expects."""
    for differences in ([0.01, 0.03, 0.02], [np.float64(0.05), np.float32(0.4)], [0.2, 0.2]):
        out = paired_interval(differences, bounds=bounds)
        assert [type(out[key]) for key in ("mean", "low", "high", "k")] == [float] * 3 + [int]
        assert {type(value) for value in out["per_fold"]} == {float}


def test_interval_straddling_zero_is_unclear_and_nulls_are_skipped() -> None:
    out = paired_interval([0.01, -0.02, None, 0.005, float("nan")])
    assert out["k"] == 3 and out["low"] < 0 < out["high"]
    assert verdict(out) == "unclear"
    assert verdict(paired_interval([-0.03, -0.02, -0.025])) == "loss"
    one = paired_interval([0.5])
    assert one["mean"] == 0.5 and one["low"] is None and verdict(one) == "unclear"


def test_an_interval_stops_where_the_quantity_does() -> None:
    """Two folds' per-language AUCs 0.55 and 0.90 gave a Student t interval past ROC-AUC 1.0 (and
    below 0): the bars of the report's per-language chart ran to 1.2."""
    over_chance = [0.05, 0.40]  # AUC - 0.5 on two folds
    wide = paired_interval(over_chance)
    assert wide["low"] < -0.5 and wide["high"] > 0.5  # what t with 1 degree of freedom says
    cut = paired_interval(over_chance, bounds=AUC_OVER_CHANCE)
    assert (cut["low"], cut["high"]) == (-0.5, 0.5) and cut["mean"] == pytest.approx(0.225)
    narrow = paired_interval([0.01, 0.03, 0.02, 0.015, 0.025], bounds=DIFFERENCE)
    assert narrow == paired_interval([0.01, 0.03, 0.02, 0.015, 0.025])  # inside: unchanged
    # the report's per-language chart: a fold ranking at chance beside one ranking perfectly
    rng = np.random.default_rng(0)
    label = np.tile([0, 1, 1], 40)
    rows = pd.DataFrame({"fold": np.repeat([0, 1], 60), "label": label, "language": "en",
                         "probability": np.where(np.arange(120) < 60, rng.random(120),
                                                 0.2 + 0.6 * label)})
    rows["prediction"] = (rows["probability"] >= 0.5).astype(int)
    interval = language_intervals(rows)["en"]["delta_auc"]
    assert interval["per_fold"][1] == 0.5 and interval["high"] == 0.5
    assert interval["low"] == -0.5


def test_fold_differences_pair_by_fold_number() -> None:
    a = [{"fold": 0, "f1": 0.8}, {"fold": 1, "f1": 0.7}]
    b = [{"fold": 1, "f1": 0.6}, {"fold": 0, "f1": None}]
    assert fold_differences(a, b, "f1") == [None, pytest.approx(0.1)]


def make_oof(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.7).astype(int)
    logit = 0.8 * (2 * label - 1) + rng.normal(0, 1.5, n) + 0.5
    return pd.DataFrame({"id": np.arange(n), "fold": np.arange(n) % 4,
                         "probability": 1 / (1 + np.exp(-logit)), "label": label,
                         "language": rng.choice(["en", "es"], n)})


def test_nested_thresholds_are_chosen_without_the_fold() -> None:
    oof = make_oof()
    y, p, f = oof["label"].to_numpy(), oof["probability"].to_numpy(), oof["fold"].to_numpy()
    cuts = nested_fold_thresholds(y, p, f, 0.5)
    for fold, cut in cuts.items():
        assert cut == best_f1_threshold(y[f != fold], p[f != fold])[0]
    assert set(nested_fold_thresholds(y, p, f, 0.4, "fixed").values()) == {0.4}


def test_run_metrics_report_nested_and_keep_in_sample() -> None:
    oof = make_oof()
    final = best_f1_threshold(oof["label"], oof["probability"])[0]
    m = run_metrics(oof, final, Task.QI)
    sel = m["threshold_selection"]
    assert m["threshold"] == sel["final_threshold"] == final and sel["method"] == "oof_f1"
    expected = prediction_table(oof, m)["prediction"]
    assert m["overall"]["f1"] == pytest.approx(binary_metrics(oof["label"], expected)["f1"])
    assert sel["in_sample"]["f1"] == pytest.approx(best_f1_threshold(
        oof["label"], oof["probability"])[1])
    assert m["overall"]["f1"] <= sel["in_sample"]["f1"]
    for row in m["per_fold"]:
        assert row["threshold"] == sel["fold_thresholds"][str(row["fold"])]
    delta = m["uncertainty"]["delta_f1"]
    assert delta["k"] == 4 and delta["per_fold"] == pytest.approx(
        [r["f1"] - r["baseline_all_positive_f1"] for r in m["per_fold"]])
    auc = m["uncertainty"]["delta_auc"]
    assert auc["mean"] == pytest.approx(np.mean([r["roc_auc"] for r in m["per_fold"]]) - 0.5)


def test_binary_metrics_add_average_precision_and_brier() -> None:
    from sklearn.metrics import average_precision_score, brier_score_loss

    oof = make_oof(200)
    y, p = oof["label"], oof["probability"]
    m = binary_metrics(y, p >= 0.5, p)
    assert m["average_precision"] == pytest.approx(average_precision_score(y, p))
    assert m["brier"] == pytest.approx(brier_score_loss(y, p))
    assert binary_metrics([1, 1], [1, 1], [0.9, 0.8])["average_precision"] is None


def test_a_fold_with_no_positive_row_is_left_out_of_the_f1_interval() -> None:
    """A fold of negatives alone has F1 0 and all-positive F1 0: counted as a difference of 0
    it pulled the ΔF1 interval toward "no difference" (20 rows, 3 positives, 5 folds: [0, 0]
    over k=5), though it measures nothing, as its ROC-AUC (null) already said."""
    oof = make_oof()
    oof.loc[oof["fold"] == 0, "label"] = 0
    m = run_metrics(oof, 0.5, Task.QI)
    first = next(row for row in m["per_fold"] if row["fold"] == 0)
    assert first["baseline_all_positive_f1"] == 0 and first["roc_auc"] is None
    f1, auc = m["uncertainty"]["delta_f1"], m["uncertainty"]["delta_auc"]
    assert f1["k"] == auc["k"] == oof["fold"].nunique() - 1
    assert f1["per_fold"] == [row["f1"] - row["baseline_all_positive_f1"]
                              for row in m["per_fold"] if row["fold"] != 0]
    assert fold_intervals(m)["delta_f1"] == f1  # the report's verdict, from metrics.json alone
    assert f1_over_all_positive(first) is None
