"""Learning-curve points that measure no model: a share too small for a fold model to learn
from leaves it giving every row one score (10% of 500 rows: ROC-AUC 0.5), and the curve
plotted that 0.5 as if it were a measurement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def constant_folds(folds: np.ndarray, scores: np.ndarray) -> list[int]:
    """The folds whose out-of-fold scores are all one value (of at least two rows)."""
    found = []
    for fold in np.unique(folds):
        part = scores[folds == fold]
        if len(part) > 1 and np.all(part == part[0]):
            found.append(int(fold))
    return found


def is_constant(point: Mapping[str, Any]) -> bool:
    """Whether some fold model of a point gave every row one score (its `constant_folds`), so
    that the point measures no model; a curve written before the check has none."""
    return bool(point.get("constant_folds"))


def constant_folds_words(point: Mapping[str, Any]) -> str | None:
    """'every fold model' or 'the models of folds 0 and 2 (of 3)' where a point `is_constant`,
    else None."""
    if not is_constant(point):
        return None
    constant = point["constant_folds"]
    k = len(point.get("fold_roc_auc") or []) or None
    if k is not None and len(constant) >= k:
        return "every fold model"
    names = [str(f) for f in constant]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return (f"the model of fold {listed}" if len(names) == 1 else f"the models of folds {listed}"
            ) + (f" (of {k})" if k else "")
