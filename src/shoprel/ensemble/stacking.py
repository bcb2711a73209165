"""Stacking: logistic regression on members' OOF logits plus a language one-hot.

Its own OOF estimate is nested on the members' folds (fit on k-1 folds, score the held-out
one), so a member that only fits noise cannot make the stack look better than it is.
Coefficients are stored as plain JSON numbers and applied here, with no pickled estimator.
"""

from __future__ import annotations

import numpy as np

from shoprel.utils.log_odds import logit, sigmoid

EPS = 1e-6
DEFAULT_C = 1.0


def features(probabilities: np.ndarray, languages, known_languages: list[str]) -> np.ndarray:
    """Member logits, then one column per training language (unseen languages: all zeros)."""
    lang = np.asarray(languages, dtype=object)
    onehot = np.column_stack([lang == code for code in known_languages]) if known_languages \
        else np.zeros((len(lang), 0))
    return np.hstack([logit(probabilities, EPS), onehot.astype(np.float64)])


def fit_stack(probabilities: np.ndarray, languages, labels, C: float = DEFAULT_C) -> dict:
    """Fit on all given rows; returns the coefficients as a JSON-ready dict."""
    from sklearn.linear_model import LogisticRegression  # here: the CLI imports this module

    known = sorted({str(x) for x in np.asarray(languages, dtype=object)})
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit(features(probabilities, languages, known), np.asarray(labels))
    coef = model.coef_[0]
    m = probabilities.shape[1]
    return {"C": float(C), "intercept": float(model.intercept_[0]),
            "member_coef": [float(c) for c in coef[:m]],
            "languages": known, "language_coef": [float(c) for c in coef[m:]]}


def predict_stack(coefficients: dict, probabilities: np.ndarray, languages) -> np.ndarray:
    x = features(probabilities, languages, coefficients["languages"])
    w = np.asarray(coefficients["member_coef"] + coefficients["language_coef"])
    return sigmoid(x @ w + coefficients["intercept"])


def nested_stack_oof(probabilities: np.ndarray, languages, labels, folds,
                     C: float = DEFAULT_C) -> np.ndarray:
    """Honest OOF of the stack: each fold scored by a stack fitted on the other folds."""
    y, folds = np.asarray(labels), np.asarray(folds)
    lang = np.asarray(languages, dtype=object)
    out = np.empty(len(y))
    for fold in np.unique(folds):
        fit, held = folds != fold, folds == fold
        coefficients = fit_stack(probabilities[fit], lang[fit], y[fit], C)
        out[held] = predict_stack(coefficients, probabilities[held], lang[held])
    return out
