"""Intervals for "is this gain real?": paired differences over the cross-validation folds.

Every fold scores the model and its comparison (the all-positive baseline, or another run) on
the same held-out rows, so the per-fold differences are paired and their spread is the noise a
single pooled number hides. With k folds the interval uses Student's t with k - 1 degrees of
freedom: wide for k = 5, which is the honest width; a gain is only called a gain when the whole
interval lies above zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
METHOD = "paired per-fold differences, Student t with k-1 degrees of freedom"


# What a difference can be at most: ROC-AUC lies in [0, 1], so AUC - 0.5 in [-0.5, 0.5] and the
# difference of two runs' AUCs (or F1s) in [-1, 1]. With 2 or 3 folds Student's t is wide enough
# to reach past them (a per-language ROC-AUC "up to 1.2"); the interval stops at the bound.
AUC_OVER_CHANCE = (-0.5, 0.5)
DIFFERENCE = (-1.0, 1.0)
AUC = (0.0, 1.0)


def paired_interval(differences: Iterable[float | None], confidence: float = CONFIDENCE,
                    bounds: tuple[float, float] | None = None) -> dict:
    """Mean of the per-fold differences with its t interval, cut to ``bounds`` (the values the
    quantity can take) where given; nulls (a fold without an AUC) are skipped. ``low``/``high``
    are None when fewer than two folds have a value."""
    values = np.array([float(d) for d in differences
                       if d is not None and not math.isnan(float(d))], dtype=np.float64)
    k = int(values.size)
    mean = float(values.mean()) if k else None
    low = high = None
    if k >= 2:
        # a plain float, as mean is: numpy's std made low and high np.float64 in metrics.json's
        # dict as train and compare_runs return it
        half = (float(stats.t.ppf(0.5 + confidence / 2, k - 1))
                * float(values.std(ddof=1)) / math.sqrt(k))
        low, high = mean - half, mean + half
        if bounds is not None:
            low, high = max(low, bounds[0]), min(high, bounds[1])
    return {"mean": mean, "low": low, "high": high, "k": k, "confidence": confidence,
            "method": METHOD, "per_fold": values.tolist()}


def verdict(interval: dict, tolerance: float = 0.0) -> str:
    """"gain" when the interval lies above zero, "loss" when below, else "unclear"."""
    low, high = interval.get("low"), interval.get("high")
    if low is None or high is None:
        return "unclear"
    if low > tolerance:
        return "gain"
    if high < -tolerance:
        return "loss"
    return "unclear"


def f1_over_all_positive(fold: dict) -> float | None:
    """A fold's F1 minus all-positive F1 (metrics.json's per_fold row); None for a fold with no
    row labelled 1, where both are 0 by convention: it measures nothing, as a fold of one label
    has no ROC-AUC, and counted as 0 it narrowed the interval toward "no difference"."""
    f1, baseline = fold.get("f1"), fold.get("baseline_all_positive_f1")
    if f1 is None or baseline is None or not float(baseline) > 0:
        return None
    return float(f1) - float(baseline)


def fold_differences(a: list[dict], b: list[dict], key: str) -> list[float | None]:
    """Per-fold ``a[key] - b[key]`` for two per-fold metric lists matched by fold number."""
    by_fold = {row.get("fold"): row for row in b}
    out = []
    for row in a:
        other = by_fold.get(row.get("fold"), {})
        x, y = row.get(key), other.get(key)
        out.append(None if x is None or y is None else float(x) - float(y))
    return out


def group_fold_intervals(frame, group_column: str, value, min_rows: int,
                         max_groups: int | None = None,
                         bounds: tuple[float, float] | None = None,
                         order: Callable[[dict[str, int]], list[str]] | None = None,
                         ) -> dict[str, dict]:
    """Per group (largest first, or as ``order`` lists the {group: rows} it is given; at least
    ``min_rows`` rows, the ``max_groups`` with most rows, ties by name): the paired interval of
    ``value(rows of one fold and group)`` over the folds; ``value`` returns None where a fold's
    slice cannot be scored (e.g. one class only), and such folds are skipped. The groups kept
    are the largest whatever ``order`` says: an order that lists untagged rows last would
    otherwise drop them first, however many rows they hold."""
    groups = frame[group_column].astype(str)
    counts = groups.value_counts()
    counts = counts[counts >= min_rows]
    if max_groups is not None:
        counts = counts[sorted(counts.index, key=lambda k: (-counts[k], k))[:max_groups]]
    if order is not None:
        counts = counts[order({str(k): int(n) for k, n in counts.items()})]
    # one pass over (group, fold) slices: a slice of the whole frame per group cost the
    # report a string comparison and a copy of every row per group
    kept = groups.isin(counts.index)
    values: dict[str, list] = {str(name): [] for name in counts.index}
    for (name, _), rows in frame[kept].groupby([groups[kept], frame.loc[kept, "fold"]],
                                               sort=True):
        values[str(name)].append(value(rows))
    return {str(name): {"n": int(counts[name]),
                        **paired_interval(values[str(name)], bounds=bounds)}
            for name in counts.index}
