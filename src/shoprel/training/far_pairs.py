"""The far-pairs check: how a run's models treat pairs that are plainly irrelevant.

Labelled rows are logged candidates, all of them plausible, so their ROC-AUC and F1 say nothing
about a pair a marketplace would never show: a model can score well on them and still call a
query relevant to half the catalogue (the default called 37.5% of new QC queries' paths from
another branch relevant, its USE student 77%: docs/measurements-qc.md, "Easy negatives").
During cross-validation each fold's model also scores pairs built from its validation rows —
a relevant row's query with a target from another branch (QC) or another query's title (QI),
as `augment.easy_negatives` builds them — and the run records how many it calls relevant at
the run's threshold, and how well it ranks them below the validation rows that are relevant.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shoprel.augment.easy_negatives import far_pairs
from shoprel.augment.languages import by_rows
from shoprel.data.frame import PairFrame
from shoprel.evaluate.metrics import binary_metrics
from shoprel.utils.progress import report_step

HIST_BINS = 20  # the score histogram the report draws, kept in metrics.json
MIN_LANGUAGE_PAIRS = 20  # fewer far pairs in a language: no per-language line


class FarPairCheck:
    """Far pairs for every fold's validation rows; `score` after each fold's fit, `summary`
    once the run's threshold is known."""

    def __init__(self, frame: PairFrame, folds: np.ndarray, count: int, seed: int = 0):
        share = min(1.0, count / max(len(frame), 1))
        self.pairs: list[PairFrame] = []
        self.scores: list[np.ndarray] = []
        for fold in range(int(folds.max()) + 1 if len(folds) else 0):
            valid = frame.take(np.flatnonzero(folds == fold))
            # a query's own and relevant targets are looked up among all rows: on category
            # folds its other rows sit in other folds
            self.pairs.append(far_pairs(valid, int(round(share * len(valid))), seed + fold,
                                        universe=frame))
            self.scores.append(np.full(len(self.pairs[-1]), np.nan))

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.pairs)

    def score(self, fold: int, model) -> None:
        """The fold's model scores the far pairs of its own validation rows (a step of the bar
        waiting for it: train's folds bar, far-pairs' own)."""
        pairs = self.pairs[fold]
        if len(pairs):
            report_step("scoring far pairs")
            self.scores[fold] = np.asarray(model.predict_proba(pairs)[:, 1], dtype=np.float64)

    def table(self) -> pd.DataFrame:
        """One row per scored far pair: language, query, target, fold, probability."""
        parts = [p.df[["language", "query", "target"]].assign(fold=fold, probability=s)
                 for fold, (p, s) in enumerate(zip(self.pairs, self.scores, strict=True))]
        if not parts:
            return pd.DataFrame(columns=["language", "query", "target", "fold", "probability"])
        table = pd.concat(parts, ignore_index=True)
        return table[np.isfinite(table["probability"].to_numpy())]

    def summary(self, threshold: float, oof: pd.DataFrame) -> dict[str, Any] | None:
        return far_pairs_summary(self.table(), threshold, oof)


def far_pairs_summary(table: pd.DataFrame, threshold: float,
                      oof: pd.DataFrame) -> dict[str, Any] | None:
    """metrics.json's `far_pairs` block from the far pairs' scores (`table`: language,
    probability) and the out-of-fold rows (None when no pair was scored): the share called
    relevant at `threshold`, beside the share of relevant validation rows called relevant, and
    the ROC-AUC of those rows against the far pairs, overall and per language."""
    if len(table) == 0:
        return None
    positives = oof[oof["label"] == 1]
    block = _figures(table["probability"].to_numpy(),
                     positives["probability"].to_numpy(), threshold)
    counts, edges = np.histogram(table["probability"].to_numpy(), bins=HIST_BINS,
                                 range=(0.0, 1.0))
    block["histogram"] = {"edges": [round(float(e), 4) for e in edges],
                          "counts": [int(c) for c in counts]}
    # in the order of every language listing (by_rows), as metrics.json's per_language
    counts = table["language"].astype(str).value_counts()
    languages = {}
    for language in by_rows({str(k): int(n) for k, n in counts.items()
                             if n >= MIN_LANGUAGE_PAIRS}):
        rows = table[table["language"].astype(str) == language]
        mine = positives[positives["language"].astype(str) == language]["probability"]
        languages[language] = _figures(rows["probability"].to_numpy(), mine.to_numpy(),
                                       threshold)
    block["per_language"] = languages
    block["threshold"] = float(threshold)
    return block


def _figures(far: np.ndarray, relevant: np.ndarray, threshold: float) -> dict[str, Any]:
    """Far pairs against the relevant validation rows, as one labelled set (far = 0)."""
    labels = np.r_[np.ones(len(relevant), dtype=np.int64), np.zeros(len(far), dtype=np.int64)]
    scores = np.r_[relevant, far]
    both = binary_metrics(labels, scores >= threshold, scores)
    return {"n": int(len(far)),
            "called_relevant": float(np.mean(far >= threshold)),
            "relevant_rows_called_relevant": both["recall"],
            "roc_auc_relevant_vs_far": both["roc_auc"]}
