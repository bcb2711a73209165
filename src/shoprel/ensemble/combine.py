"""Soft averaging and hard voting of member probabilities, and OOF weight search.

Weights are searched on a simplex grid maximising OOF ROC-AUC (threshold-free, so the search
does not also tune the cut). The reported OOF of a searched-weight ensemble uses weights found
on the other folds only.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from shoprel.utils.bounds import not_finite, out_of_range
from shoprel.utils.scalars import is_boolean, python_scalar, text_for_number

WEIGHT_METRIC = "roc_auc"


def check_weights(weights, typed=None) -> None:
    """Refuse a weight no ensemble can use (ValueError), naming it as the user wrote it:
    `typed` holds the command line's words ('1e400', read as inf), else the values are shown.
    0 leaves a member out; a negative or non-finite weight has no meaning as a share. True/False
    and text are no weight, though float() reads them as 1 and as the number written, as a
    config's number field refuses them."""
    typed = [str(w) for w in weights] if typed is None else [t.strip() for t in typed]
    for value, text in zip(weights, typed, strict=True):
        if is_boolean(value):
            raise ValueError(f"expected a number, got {text}")
        problem = text_for_number(value, python=True)
        if problem:
            raise ValueError(problem)
        if not isinstance(python_scalar(value), numbers.Real):  # None: a TypeError below
            raise ValueError(f"expected a number, got {text}")
        problem = not_finite(float(value), text)  # nan: "nan is not a number", as options say
        if problem:
            raise ValueError(problem)
        # said as any number option past its bound (utils/bounds.py), not in words of its own
        problem = out_of_range(value, text, ge=0)
        if problem:
            raise ValueError(f"{problem} (0 leaves a member out)")
    if not any(value > 0 for value in weights):
        raise ValueError(f"{','.join(typed)}: all are 0; at least one weight must be above 0")


def normalise(weights, n_members: int) -> np.ndarray:
    w = np.ones(n_members) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n_members,):
        raise ValueError(f"{n_members} members need {n_members} weights, got {w.size}")
    if weights is not None:  # the values given, not w: as floats, True and "2" pass for numbers
        check_weights(weights, None if isinstance(weights, np.ndarray) else
                      [str(value) for value in weights])
    w = w / w.max()  # large finite weights (1e308,1e308) overflowed the sum: refused as zero
    return w / w.sum()


def weighted_mean(probabilities: np.ndarray, weights=None) -> np.ndarray:
    """Soft average of the members' positive probabilities (columns)."""
    return probabilities @ normalise(weights, probabilities.shape[1])


def vote_share(probabilities: np.ndarray, thresholds: np.ndarray, weights=None) -> np.ndarray:
    """Weighted share of members whose own cut calls the row positive: the vote's 'probability'.

    thresholds: per member (m,) or per row and member (n, m), e.g. members' language cuts.
    """
    votes = (probabilities >= thresholds).astype(np.float64)
    return votes @ normalise(weights, probabilities.shape[1])


def simplex_grid(n_members: int, steps: int) -> np.ndarray:
    """All weight vectors with entries k/steps summing to 1."""
    rows = [c for c in itertools.product(range(steps + 1), repeat=n_members)
            if sum(c) == steps]
    return np.asarray(rows, dtype=np.float64) / steps


def search_weights(probabilities: np.ndarray, labels) -> np.ndarray:
    """Weights maximising ROC-AUC of the weighted mean (finer grid for fewer members)."""
    m = probabilities.shape[1]
    steps = {1: 1, 2: 20, 3: 10, 4: 6}.get(m, 4)
    if m > 6:  # the grid grows too fast; equal weights are a sound default
        return np.full(m, 1.0 / m)
    from sklearn.metrics import roc_auc_score  # here: the CLI imports this module to start

    y = np.asarray(labels)
    best, best_auc = np.full(m, 1.0 / m), -1.0
    for w in simplex_grid(m, steps):
        auc = roc_auc_score(y, probabilities @ w)
        if auc > best_auc + 1e-12:
            best, best_auc = w, auc
    return best


def nested_weighted_mean(probabilities: np.ndarray, labels, folds) -> np.ndarray:
    """OOF scores of the searched-weight mean, each fold weighted by a search on the others."""
    y, folds = np.asarray(labels), np.asarray(folds)
    out = np.empty(len(y))
    for fold in np.unique(folds):
        fit, held = folds != fold, folds == fold
        out[held] = probabilities[held] @ search_weights(probabilities[fit], y[fit])
    return out
