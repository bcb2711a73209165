import numpy as np
import pandas as pd
import pytest

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.ensemble.thresholds import (
    add_language_thresholds,
    language_thresholds,
    nested_threshold_f1,
    row_thresholds,
)
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.predict.predictor import Predictor


def _two_languages(n_big: int, n_small: int, seed: int = 0):
    """'big' is best cut near 0.7, 'small' near 0.3 (positives sit above each cut)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n_big + n_small)
    lang = np.array(["big"] * n_big + ["small"] * n_small, dtype=object)
    cut = np.where(lang == "big", 0.7, 0.3)
    return (p >= cut).astype(int), p, lang


def test_unseen_language_gets_the_global_cut():
    y, p, lang = _two_languages(400, 400)
    table = language_thresholds(y, p, lang, global_threshold=0.5, shrinkage=10)
    cuts = row_thresholds(np.array(["big", "xx", "small"], dtype=object), table, 0.5)
    assert cuts[1] == 0.5
    assert cuts[0] == pytest.approx(table["languages"]["big"]["threshold"])
    assert cuts[0] > 0.6 and cuts[2] < 0.4


def test_few_rows_are_shrunk_toward_the_global_cut():
    y, p, lang = _two_languages(2000, 10, seed=1)
    table = language_thresholds(y, p, lang, global_threshold=0.5, shrinkage=200)
    small = table["languages"]["small"]
    assert small["n"] == 10
    expected = (10 * small["best"] + 200 * 0.5) / 210
    assert small["threshold"] == pytest.approx(expected)
    assert abs(small["threshold"] - 0.5) < abs(small["best"] - 0.5) / 10
    big = table["languages"]["big"]
    assert big["threshold"] == pytest.approx(big["best"], abs=0.03)


def test_global_cut_defaults_to_the_best_f1_cut():
    y, p, lang = _two_languages(300, 300, seed=2)
    assert language_thresholds(y, p, lang)["global"] == best_f1_threshold(y, p)[0]


def test_nested_estimate_sees_the_gain_of_language_cuts():
    y, p, lang = _two_languages(600, 600, seed=3)
    folds = np.arange(len(y)) % 3
    nested = nested_threshold_f1(y, p, lang, folds, shrinkage=20)
    assert nested["per_language_f1_nested"] > nested["global_f1_nested"] + 0.05
    assert nested["per_language_f1_nested"] > 0.95


def test_run_gets_language_cuts_that_prediction_applies(qc_runs, tmp_path, make_fake_run):
    run = make_fake_run(qc_runs[0], tmp_path / "run")
    block = add_language_thresholds(run, shrinkage=50)
    assert {"global_f1_nested", "per_language_f1_nested",
            "per_language_f1_in_sample"} <= set(block)
    predictor = Predictor(run)
    table = predictor.run.manifest["language_thresholds"]
    assert table["shrinkage"] == 50
    some_language = next(iter(table["languages"]))
    frame = PairFrame(Task.QC, pd.DataFrame({
        "id": [1, 2], "language": [some_language, "zz"], "query": ["phone case", "phone case"],
        "target": ["phones,cases,covers"] * 2}))
    cuts = predictor.row_thresholds(frame)
    assert cuts[0] == pytest.approx(table["languages"][some_language]["threshold"])
    assert cuts[1] == pytest.approx(predictor.threshold)
    sub = predictor.submission(frame)
    expected = (predictor.probabilities(frame) >= cuts).astype(int)
    assert sub["prediction"].tolist() == expected.tolist()


def test_languages_are_listed_most_rows_first_ties_by_code_untagged_last():
    """metrics.json's per_language_thresholds listed languages alphabetically ('unk' among
    them), unlike per_language and every other listing (augment.languages.by_rows)."""
    lang = np.array(["unk"] * 30 + ["de"] * 5 + ["ab"] * 5 + ["zz"] * 10, dtype=object)
    y = np.arange(len(lang)) % 2
    p = np.linspace(0, 1, len(lang))
    table = language_thresholds(y, p, lang, global_threshold=0.5)
    assert list(table["languages"]) == ["zz", "ab", "de", "unk"]
    assert [r["n"] for r in table["languages"].values()] == [10, 5, 5, 30]
