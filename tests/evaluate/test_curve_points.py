"""Learning-curve points whose fold models gave every row one score."""

import numpy as np

from shoprel.evaluate.curve_points import constant_folds, constant_folds_words, is_constant


def test_folds_scored_alike_are_found_and_named():
    folds = np.array([0, 0, 1, 1, 2, 2])
    assert constant_folds(folds, np.array([0.2, 0.9, 0.4, 0.4, 0.1, 0.3])) == [1]
    assert constant_folds(folds, np.array([0.2, 0.9, 0.4, 0.5, 0.1, 0.3])) == []
    # each fold alike but at its own value: the pooled scores vary, yet no fold model ranks
    assert constant_folds(folds, np.array([0.2, 0.2, 0.4, 0.4, 0.1, 0.1])) == [0, 1, 2]
    point = {"fold_roc_auc": [0.5, 0.7, 0.5]}
    assert constant_folds_words({**point, "constant_folds": []}) is None
    assert constant_folds_words(point) is None  # a curve written before the check
    assert constant_folds_words({**point, "constant_folds": [1]}) == \
        "the model of fold 1 (of 3)"
    assert constant_folds_words({**point, "constant_folds": [0, 2]}) == \
        "the models of folds 0 and 2 (of 3)"
    assert constant_folds_words({**point, "constant_folds": [0, 1, 2]}) == "every fold model"
    assert [is_constant({**point, "constant_folds": c}) for c in ([], None, [0], [0, 1, 2])] == \
        [False, False, True, True]
    assert not is_constant(point)
