"""The learning curve: same folds, growing shares of the training rows, written into the run."""

import json

import numpy as np
import pytest

from shoprel.errors import ConfigError
from shoprel.training.config import load_config
from shoprel.training.curve import CURVE_FILE, parse_fractions, subsample
from shoprel.training.runner import train

FAST = {"model.family": "fast", "model.params.n_features": 2**16,
        "model.params.n_estimators": 60, "folds.k": 3}


def test_fractions_are_checked():
    assert parse_fractions("0.5, 0.1,0.5") == [0.1, 0.5]
    for bad in ("0", "1.0", "x", "", "0.1,,0.2", "0.1,"):
        with pytest.raises(ConfigError, match="curve"):
            parse_fractions(bad)


def test_shares_a_fold_cannot_learn_from_fail_before_the_cross_validation(tmp_path, qc_demo,
                                                                          monkeypatch):
    """0.003 of a fold's ~240 rows leaves 2 rows (one label, or too few); 0.9999 all of them."""
    import shoprel.training.runner as runner

    def no_cv(*args, **kwargs):
        raise AssertionError("the cross-validation started")

    monkeypatch.setattr(runner, "cross_validate", no_cv)
    for shares, message in (([0.1, 0.003], "0.003 leaves fold"), ([0.9999], "0.9999 keeps every")):
        with pytest.raises(ConfigError, match=f"--curve-fractions: {message}"):
            train(qc_demo, tmp_path / "run", load_config(None, FAST), progress=False,
                  curve_fractions=shares)
        assert not (tmp_path / "run").exists()


def test_subsample_is_seeded_and_sized():
    rows = np.arange(100, 200)
    a, b = subsample(rows, 0.25, 3), subsample(rows, 0.25, 3)
    assert len(a) == 25 and np.array_equal(a, b) and set(a) <= set(rows)
    assert not np.array_equal(a, subsample(rows, 0.25, 4))


def test_run_keeps_a_learning_curve(tmp_path, qc_demo):
    result = train(qc_demo, tmp_path / "run", load_config(None, FAST),
                   progress=False, curve_fractions=[0.25, 0.5])
    curve = json.loads((result.run_dir / CURVE_FILE).read_text())
    points = curve["points"]
    assert [p["fraction"] for p in points] == [0.25, 0.5, 1.0]
    assert points[0]["rows"] < points[1]["rows"] < points[2]["rows"]
    assert len(points[0]["fold_roc_auc"]) == 3
    # the 100% point is the run's own cross-validation
    assert points[-1]["roc_auc"] == pytest.approx(result.metrics["overall"]["roc_auc"])
    assert points[-1]["baseline_f1"] == pytest.approx(
        result.metrics["overall"]["baseline_all_positive_f1"])
    assert result.metrics["learning_curve"]["points"] == points
    # fewer rows fit worse on this set (it is built so that words carry the signal)
    assert points[0]["roc_auc"] < points[-1]["roc_auc"]
    report = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert '<section id="learning-curve">' in report and "Learning curve: out-of-fold" in report
