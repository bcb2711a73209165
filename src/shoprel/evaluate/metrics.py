"""Positive-class F1 and friends, always next to the all-positive baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from shoprel.augment.languages import by_rows

METRIC_KEYS = ("n", "positives", "positive_rate", "f1", "precision", "recall", "accuracy",
               "roc_auc", "predicted_positive_rate", "baseline_all_positive_f1",
               "average_precision", "brier")


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def roc_auc(labels, probabilities) -> float | None:
    """ROC-AUC where both classes occur, else None: binary_metrics' figure alone, for callers
    that need nothing else of it (average precision and Brier cost as much again)."""
    y = np.asarray(labels, dtype=np.int64)
    positives = int(y.sum())
    if not 0 < positives < len(y):
        return None
    return float(roc_auc_score(y, np.asarray(probabilities, dtype=np.float64)))


def binary_metrics(labels, predictions, probabilities=None) -> dict:
    """Metrics of 0/1 predictions; with probabilities also the Brier score, and ROC-AUC and
    average precision when both classes occur (their baselines are 0.5 and the positive rate;
    the Brier score's is positive_rate * (1 - positive_rate), a constant guess of the rate)."""
    y = np.asarray(labels, dtype=np.int64)
    pred = np.asarray(predictions, dtype=np.int64)
    n = len(y)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    positives = int(y.sum())
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    auc = ap = brier = None
    if probabilities is not None and n:
        p = np.asarray(probabilities, dtype=np.float64)
        brier = float(np.mean((p - y) ** 2))
        auc = roc_auc(y, p)
        if auc is not None:
            ap = float(average_precision_score(y, p))
    return {
        "n": n,
        "positives": positives,
        "positive_rate": _ratio(positives, n),
        "f1": f1 if f1 is not None else (0.0 if n else None),
        "precision": precision,
        "recall": recall,
        "accuracy": _ratio(int((pred == y).sum()), n),
        "roc_auc": auc,
        "predicted_positive_rate": _ratio(int(pred.sum()), n),
        "baseline_all_positive_f1": _ratio(2 * positives, 2 * positives + (n - positives)),
        "average_precision": ap,
        "brier": brier,
    }


def grouped_metrics(labels, predictions, probabilities, groups) -> dict[str, dict]:
    """binary_metrics per group value, in the order of every listing (augment.languages.by_rows:
    most rows first, ties by name, untagged last), so metrics.json and `evaluate --json` list
    languages as the report and the console do, and alike on every run (value_counts left
    ties in whatever order pandas met them)."""
    frame = pd.DataFrame({"y": labels, "pred": predictions, "group": groups})
    if probabilities is not None:
        frame["p"] = probabilities
    counts = frame["group"].value_counts()
    values = {str(group): group for group in counts.index}
    out = {}
    for name in by_rows({name: int(counts[group]) for name, group in values.items()}):
        part = frame[frame["group"] == values[name]]
        out[name] = binary_metrics(part["y"], part["pred"],
                                   part["p"] if probabilities is not None else None)
    return out


def best_f1_threshold(labels, probabilities) -> tuple[float, float]:
    """The cut that maximises positive-class F1, scanning every distinct score exactly.

    Returns (threshold, f1); predictions are `probability >= threshold`. The threshold sits
    halfway between neighbouring scores so it does not hang on one row's exact value.
    """
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if len(y) == 0 or y.sum() == 0:
        return 0.5, 0.0
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    fp = np.cumsum(1 - y_sorted)
    # only cut where the score changes: all tied rows fall on one side
    last_of_tie = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    tp, fp = tp[last_of_tie], fp[last_of_tie]
    scores = p_sorted[last_of_tie]
    f1 = 2 * tp / (2 * tp + fp + (y.sum() - tp))
    best = int(np.argmax(f1))
    below = scores[best + 1] if best + 1 < len(scores) else 0.0
    threshold = float((scores[best] + below) / 2)
    return threshold, float(f1[best])
