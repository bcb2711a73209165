"""The linear score of new rows keeps a float64 copy of the weights instead of converting them
on every call: its scores must be the float32 weights' own, bit for bit, and new weights (a
refit, a load) must be used at once."""

import numpy as np

from shoprel.data.readers import read_pairs
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.utils.log_odds import sigmoid


def test_linear_score_is_the_float32_weights_product_and_follows_new_weights(qc_demo):
    frame = read_pairs(qc_demo)
    lexical = LexicalFeatures(LexicalParams(n_features=2**12))
    lexical.coef_ = np.random.default_rng(0).normal(size=2**12).astype(np.float32)
    lexical.intercept_ = 0.25
    X = lexical.sparse(frame)
    first = lexical.linear_score(frame)
    np.testing.assert_array_equal(first, sigmoid(X @ lexical.coef_ + 0.25))
    np.testing.assert_array_equal(lexical.linear_score(frame), first)  # the kept copy
    assert first.std() > 0.01

    lexical.coef_ = -lexical.coef_  # another weights array, as fit and load assign
    second = lexical.linear_score(frame)
    np.testing.assert_array_equal(second, sigmoid(X @ lexical.coef_ + 0.25))
    assert not np.allclose(second, first)
