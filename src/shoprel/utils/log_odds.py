"""Probabilities to log odds and back: the one pair of formulas the combiners and models share."""

from __future__ import annotations

import numpy as np


def logit(p, eps: float) -> np.ndarray:
    """log(p / (1 - p)), with p clipped to [eps, 1 - eps] so 0 and 1 stay finite."""
    p = np.clip(np.asarray(p), eps, 1 - eps)
    return np.log(p / (1 - p))


def sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))
