import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics, grouped_metrics


@pytest.fixture
def scored():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.65).astype(int)
    p = np.clip(0.3 * y + rng.random(500) * 0.7, 0, 1)
    return y, p


def test_matches_scikit_learn(scored):
    y, p = scored
    pred = (p >= 0.5).astype(int)
    m = binary_metrics(y, pred, p)
    assert m["f1"] == pytest.approx(f1_score(y, pred))
    assert m["precision"] == pytest.approx(precision_score(y, pred))
    assert m["recall"] == pytest.approx(recall_score(y, pred))
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["baseline_all_positive_f1"] == pytest.approx(f1_score(y, np.ones_like(y)))
    assert m["n"] == 500 and m["positives"] == y.sum()


def test_single_class_has_no_auc():
    m = binary_metrics([1, 1, 1], [1, 0, 1], [0.9, 0.2, 0.8])
    assert m["roc_auc"] is None and m["baseline_all_positive_f1"] == 1.0


def test_best_threshold_matches_brute_force(scored):
    y, p = scored
    threshold, f1 = best_f1_threshold(y, p)
    brute = max(f1_score(y, (p >= t).astype(int)) for t in np.unique(p))
    assert f1 == pytest.approx(brute)
    assert f1_score(y, (p >= threshold).astype(int)) == pytest.approx(f1)


def test_best_threshold_handles_ties():
    y = np.array([1, 0, 1, 0, 1])
    p = np.array([0.5, 0.5, 0.9, 0.1, 0.5])
    threshold, f1 = best_f1_threshold(y, p)
    assert f1_score(y, (p >= threshold).astype(int)) == pytest.approx(f1)


def test_grouped_metrics_largest_group_first():
    groups = ["ja", "en", "en", "en", "ja"]
    out = grouped_metrics([1, 0, 1, 1, 0], [1, 1, 1, 1, 0], None, groups)
    assert list(out) == ["en", "ja"]
    assert out["en"]["n"] == 3 and out["en"]["roc_auc"] is None


def test_grouped_metrics_list_groups_as_every_language_listing_does():
    """value_counts put the most-rowed `unk` first and left ties in pandas' order; the report
    and the console list languages by rows, ties by code, untagged last (by_rows)."""
    groups = ["unk"] * 3 + ["pt", "es", "pt", "es", "fr"]
    out = grouped_metrics([1, 0, 1, 0, 1, 0, 1, 1], [1] * 8, None, groups)
    assert list(out) == ["es", "pt", "fr", "unk"]
    assert out["unk"]["n"] == 3
