"""Learning curve: the same folds, fitted on growing shares of each fold's training rows.

It answers "would labelling more rows pay?": if out-of-fold ROC-AUC still climbs from 50% to
100% of the rows, more labels will help; if it is flat, a better model or features will. Every
point scores the same validation rows (the whole fold), so the points differ only in how much
the model saw.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.evaluate.curve_points import constant_folds
from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics
from shoprel.models.base import RelevanceModel
from shoprel.utils.bounds import out_of_range
from shoprel.utils.progress import progress_bar, report_step, steps_on
from shoprel.utils.scalars import is_boolean, text_for_number

CURVE_FILE = "learning_curve.json"
DEFAULT_FRACTIONS = (0.1, 0.25, 0.5)


def check_fractions(fractions: Sequence[float]) -> list[float]:
    """Sorted distinct shares in (0, 1); 1.0 is always the run's own cross-validation.
    True/False and text are no share, though Python compares True as 1 and False as 0 (a
    range message for them misled) and text failed in the fit's arithmetic (TypeError)."""
    for fraction in fractions:
        if is_boolean(fraction):
            raise ConfigError(f"learning curve: {fraction} is not a number; fractions are "
                              "numbers strictly between 0 and 1")
        problem = text_for_number(fraction, python=True)
        if problem:
            raise ConfigError(f"learning curve: {problem}")
    for fraction in fractions:
        problem = out_of_range(fraction, gt=0, lt=1)
        if problem:
            raise ConfigError(f"learning curve: {problem}")
    return sorted(set(float(f) for f in fractions))


def check_fold_shares(labels: np.ndarray, folds: np.ndarray, fractions: Sequence[float],
                      seed: int) -> None:
    """Before any fit: every share of every fold's training rows must hold both labels and
    fewer rows than the fold itself (a share that rounds to all of them repeats the 100%
    point). ConfigError naming the share and the fold."""
    for fraction in check_fractions(fractions):
        for fold in range(int(folds.max()) + 1):
            train = np.where(folds != fold)[0]
            part = subsample(train, fraction, seed + fold)
            if len(part) >= len(train):
                raise ConfigError(f"--curve-fractions: {fraction} keeps every one of fold "
                                  f"{fold}'s {len(train):,} training rows; use a smaller share")
            if len(np.unique(labels[part])) < 2:
                raise ConfigError(f"--curve-fractions: {fraction} leaves fold {fold} "
                                  f"{len(part):,} training rows of one label; use a larger "
                                  "share")


def subsample(train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded share of a fold's training rows (the same rows for the same seed)."""
    rng = np.random.default_rng(seed)
    keep = max(2, int(round(fraction * len(train))))
    return np.sort(rng.permutation(train)[:keep])


def point(labels: np.ndarray, folds: np.ndarray, oof: np.ndarray, fraction: float,
          rows: int) -> dict:
    """OOF ROC-AUC (overall and per fold) and F1 at the OOF-best threshold, beside all-positive,
    and the folds whose model gave every row one score (those figures then measure nothing)."""
    threshold = best_f1_threshold(labels, oof)[0]
    overall = binary_metrics(labels, oof >= threshold, oof)
    per_fold = [binary_metrics(labels[folds == f], oof[folds == f] >= threshold,
                               oof[folds == f])["roc_auc"] for f in np.unique(folds)]
    return {"fraction": fraction, "rows": int(rows), "roc_auc": overall["roc_auc"],
            "f1": overall["f1"], "baseline_f1": overall["baseline_all_positive_f1"],
            "fold_roc_auc": per_fold, "constant_folds": constant_folds(folds, oof)}


def learning_curve(frame: PairFrame, folds: np.ndarray, full_oof: np.ndarray,
                   new_model: Callable[[], RelevanceModel], prepare=None,
                   fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 42,
                   progress: bool = True) -> dict:
    """Points for each fraction plus the run's own OOF as the 100% point."""
    prepare = prepare or (lambda rows: rows)
    labels = frame.labels
    k = int(folds.max()) + 1
    points = []
    fractions = check_fractions(fractions)
    bar = progress_bar(total=len(fractions) * k, desc="learning curve", disable=not progress)
    with bar:
        for fraction in fractions:
            oof = np.full(len(frame), np.nan)
            rows = 0
            for fold in range(k):
                # a fit's steps, as train's folds bar names them (an embed fit takes minutes)
                with steps_on(bar, f"{fraction:.0%} of fold {fold}: ", first="fitting"):
                    train, valid = np.where(folds != fold)[0], np.where(folds == fold)[0]
                    part = subsample(train, fraction, seed + fold)
                    rows += len(part)
                    model = new_model().fit(prepare(frame.take(part)))
                    report_step("scoring held-out rows")
                    oof[valid] = model.predict_proba(frame.take(valid))[:, 1]
                bar.update(1)
            points.append(point(labels, folds, oof, fraction, rows / k))
    full_rows = np.mean([np.sum(folds != f) for f in range(k)])
    points.append(point(labels, folds, full_oof, 1.0, full_rows))
    return {"seed": seed, "folds": k, "points": points}


def write_curve(folder: Path, curve: dict) -> Path:
    path = Path(folder) / CURVE_FILE
    path.write_text(json.dumps(curve, indent=2), encoding="utf-8")
    return path


def read_curve(folder: Path) -> dict | None:
    path = Path(folder) / CURVE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
