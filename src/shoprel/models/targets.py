"""Per-row training weights and soft targets a PairFrame may carry, as models fit them.

`weight` (float ≥ 0) scales a row's pull on the fit (down-weighting suspected label noise);
weight-0 rows are dropped before fitting. `soft_label` (a probability in [0, 1]) replaces the
0/1 label as the target (distillation: the caller mixes a teacher's probability with the hard
label, see `mix_targets`); a missing soft label falls back to the hard one. A frame without
these columns fits exactly as it did before they existed: no weights, binary targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError, InputError
from shoprel.utils.bounds import out_of_range

WEIGHT = "weight"
SOFT_LABEL = "soft_label"


@dataclass
class Targets:
    hard: np.ndarray  # 0/1 labels
    soft: np.ndarray | None  # float targets in [0, 1], or None for plain binary fitting
    weight: np.ndarray | None  # scaled to mean 1, or None when every row weighs the same

    @property
    def target(self) -> np.ndarray:
        """What the model fits: the soft targets when given, else the labels."""
        return self.hard if self.soft is None else self.soft

    @property
    def objective(self) -> str:
        """LightGBM's objective: cross-entropy takes probabilities as labels."""
        return "binary" if self.soft is None else "cross_entropy"

    def subset(self, rows: np.ndarray) -> Targets:
        return Targets(self.hard[rows], None if self.soft is None else self.soft[rows],
                       None if self.weight is None else self.weight[rows])


def require_row_targets(family: str, what: str) -> None:
    """Refuse a family whose fit would silently ignore weights and soft targets."""
    from shoprel.models.registry import families, model_class

    if not getattr(model_class(family), "reads_row_targets", False):
        readers = [f for f in families() if getattr(model_class(f), "reads_row_targets", False)]
        raise ConfigError(f"model.family: {family!r} ignores per-row weights and soft targets, "
                          f"which {what} needs; use one of {', '.join(readers)}")


def mix_targets(hard, soft, hard_weight: float) -> np.ndarray:
    """mix·hard + (1−mix)·soft: how much of the 0/1 label a distilled student keeps."""
    problem = out_of_range(hard_weight, ge=0, le=1)
    if problem:
        raise ValueError(f"hard-label weight: {problem}")
    return (hard_weight * np.asarray(hard, dtype=np.float64)
            + (1.0 - hard_weight) * np.asarray(soft, dtype=np.float64))


def _check(values: np.ndarray, column: str, low: float, high: float, frame: PairFrame) -> None:
    bad = ~((values >= low) & (values <= high))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{column} must lie in [{low}, {high}], got {values[i]!r} "
                         f"(row id {frame.df['id'].iloc[i]!r})", path=frame.source, field=column)


def fitting_rows(frame: PairFrame) -> PairFrame:
    """The rows a model fits on: all of them, or those whose weight is above zero."""
    if WEIGHT not in frame.df.columns:
        return frame
    weight = frame.df[WEIGHT].to_numpy(dtype=np.float64)
    _check(weight, WEIGHT, 0.0, np.inf, frame)
    keep = weight > 0
    if not keep.any():
        raise InputError("every training row has weight 0", path=frame.source, field=WEIGHT)
    return frame if keep.all() else frame.take(np.flatnonzero(keep))


def training_targets(frame: PairFrame) -> Targets:
    """Labels, soft targets and weights of rows already passed through `fitting_rows`."""
    hard = frame.labels
    soft = weight = None
    if SOFT_LABEL in frame.df.columns:
        soft = frame.df[SOFT_LABEL].to_numpy(dtype=np.float64)
        soft = np.where(np.isnan(soft), hard, soft)
        _check(soft, SOFT_LABEL, 0.0, 1.0, frame)
    if WEIGHT in frame.df.columns:
        weight = frame.df[WEIGHT].to_numpy(dtype=np.float64)
        weight = weight / weight.mean()
        if np.all(weight == weight[0]):
            weight = None  # uniform weights change nothing: fit exactly as without them
    return Targets(hard, soft, weight)


def linear_problem(X, targets: Targets):
    """(X, y, sample_weight) for a 0/1 classifier.

    Soft targets become two copies of each row: a positive weighing w·s and a negative weighing
    w·(1−s); copies of weight 0 are left out, so 0/1 soft targets give the plain problem back.
    """
    if targets.soft is None:
        return X, targets.hard, targets.weight
    n = len(targets.soft)
    w = np.ones(n) if targets.weight is None else targets.weight
    weights = np.concatenate([w * targets.soft, w * (1.0 - targets.soft)])
    y = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)])
    keep = weights > 0
    rows = np.concatenate([np.arange(n), np.arange(n)])[keep]
    return (X[rows] if sp.issparse(X) else np.asarray(X)[rows]), y[keep], weights[keep]
