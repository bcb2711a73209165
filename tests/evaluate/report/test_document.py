"""The report's page title names what the figures are of."""

from __future__ import annotations

from shoprel.evaluate.report import report_title


def test_a_trained_run_is_titled_a_cross_validation():
    metrics = {"task": "QC", "run_name": "r1", "model": {"family": "fast", "params": {}}}
    assert report_title(metrics) == "shoprel QC cross-validation — r1"


def test_an_ensemble_is_not_titled_a_cross_validation():
    """An ensemble's figures are of a combination of its members' out-of-fold scores: its
    title said "cross-validation", as if it had been trained fold by fold."""
    metrics = {"task": "QI", "run_name": "ens", "model": {"family": "ensemble", "params": {}},
               "members": [{"name": "a"}, {"name": "b"}]}
    title = report_title(metrics)
    assert title == "shoprel QI ensemble of 2 runs, out-of-fold scores combined — ens"
    assert "cross-validation" not in title
