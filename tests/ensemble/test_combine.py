import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from shoprel.ensemble.combine import (
    check_weights,
    nested_weighted_mean,
    search_weights,
    simplex_grid,
    vote_share,
    weighted_mean,
)


def test_weighted_mean_normalises_weights():
    p = np.array([[0.2, 0.6], [1.0, 0.0]])
    assert weighted_mean(p, [3, 1]) == pytest.approx([0.3, 0.75])
    assert weighted_mean(p) == pytest.approx([0.4, 0.5])
    with pytest.raises(ValueError, match="2 members need 2 weights"):
        weighted_mean(p, [1, 2, 3])


@pytest.mark.parametrize("weights, message", [
    ([float("inf"), 1], "inf is not a finite number"),
    # said "nan is not a finite number", where every option and config field says this
    ([1, float("nan")], "nan is not a number"),
    (np.array([np.nan, 1]), "nan is not a number"),
    # said "-1 is negative; a weight is 0 or more", where a number option past its bound says
    ([-1, 1], r"-1 is out of range; it must be at least 0 \(0 leaves a member out\)$"),
    ([1, -0.5], r"-0.5 is out of range; it must be at least 0 \(0 leaves a member out\)$"),
    ([0, 0.0], "0,0.0: all are 0; at least one weight must be above 0"),
    # float() read True as 1 and "2" as 2: taken silently as weights
    ([True, 0.5], "expected a number, got True"),
    (np.array([False, True]), "expected a number, got False"),
    ([1, "2"], "'2' is text; write a number: 2"),
])
def test_unusable_weights_from_python_are_named(weights, message):
    p = np.array([[0.2, 0.6], [1.0, 0.0]])
    with pytest.raises(ValueError, match=f"^{message}"):
        weighted_mean(p, weights)


def test_a_boolean_weight_is_refused_where_the_weights_are_checked():
    with pytest.raises(ValueError, match="^expected a number, got True$"):
        check_weights([True, 0.5])
    check_weights([1, 0.5])  # numbers still pass


def test_weights_whose_sum_overflows_are_still_normalised():
    """1e308,1e308 summed to inf: refused as "not all zero"; they are equal weights."""
    p = np.array([[0.2, 0.6], [1.0, 0.0]])
    assert weighted_mean(p, [1e308, 1e308]) == pytest.approx([0.4, 0.5])
    assert weighted_mean(p, [5e-324, 0.0]) == pytest.approx([0.2, 1.0])


def test_vote_share_uses_each_members_cut():
    p = np.array([[0.5, 0.2, 0.9], [0.1, 0.5, 0.3]])
    cuts = np.array([0.4, 0.3, 0.95])
    assert vote_share(p, cuts) == pytest.approx([1 / 3, 1 / 3])
    assert vote_share(p, cuts, [2, 1, 1]) == pytest.approx([0.5, 0.25])


def test_simplex_grid_sums_to_one():
    grid = simplex_grid(3, 10)
    assert len(grid) == 66
    assert np.allclose(grid.sum(axis=1), 1)


def test_weight_search_prefers_the_informative_member():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    good = np.clip(y * 0.3 + rng.uniform(size=600) * 0.7, 0, 1)
    noise = rng.uniform(size=600)
    p = np.column_stack([noise, good])
    w = search_weights(p, y)
    assert w[1] >= 0.8
    nested = nested_weighted_mean(p, y, np.arange(600) % 3)
    assert roc_auc_score(y, nested) > roc_auc_score(y, weighted_mean(p)) + 0.02
