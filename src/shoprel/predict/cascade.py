"""`--scorer cascade`: the run's student scores every pair, the full model only the least sure.

The student (USE) embeds a new query ~60× faster than the full model (EmbeddingGemma), but
ranks new queries ~0.04 ROC-AUC lower; most of what it gets wrong lies near its threshold.
So the full model rescores the pairs of the queries whose student score lies nearest the
student's cut, `share` of each chunk's rows, whole queries at a time (a query is embedded
once for all its pairs). On two held-out splits of the real QC rows, a share of 0.2 kept
F1 within 0.002 of the full model's (README, "Scoring speed").

Student scores are moved onto the full model's scale by their distance to the cut in log
odds: p' = sigmoid(logit(p) - logit(student cut) + logit(full cut)), per row where the runs
have per-language cuts. A pair is then relevant exactly when its scoring model says so, and
one threshold (the full model's) reads every row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.predict.table import submission_table

DEFAULT_SHARE = 0.2
EPS = 1e-9


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def check_share(share: float) -> float:
    if not 0 < share <= 1:
        raise ConfigError(f"--cascade-share: the share of rows the full model rescores must be "
                          f"above 0 and at most 1, got {share}")
    return share


def least_sure_rows(queries: pd.Series, margin: np.ndarray, share: float) -> np.ndarray:
    """Rows of the queries whose closest pair to the cut is closest, first appearance breaking
    ties, until at least `share` of the rows are taken."""
    if len(margin) == 0:
        return np.zeros(0, dtype=bool)
    codes, _ = pd.factorize(queries)
    closest = np.full(codes.max() + 1, np.inf)
    np.minimum.at(closest, codes, margin)
    order = np.argsort(closest, kind="stable")
    sizes = np.bincount(codes)
    taken = order[:int(np.searchsorted(np.cumsum(sizes[order]), share * len(margin))) + 1]
    return np.isin(codes, taken)


class CascadePredictor:
    """Predictor's interface (submission, threshold, task, ...) over two Predictors of one run:
    its student and its full model (predictor.open_predictor makes them)."""

    def __init__(self, student, full, share: float = DEFAULT_SHARE):
        self.share = check_share(share)
        self.student, self.full = student, full
        self.run, self.task, self.threshold = self.full.run, self.full.task, self.full.threshold
        self.scorer = "cascade"
        self.rescored = 0  # rows the full model scored so far

    def training_languages(self) -> set[str] | None:
        return self.full.training_languages()

    def embedding_counts(self) -> dict[str, int]:
        total = dict(self.student.embedding_counts())
        for source, n in self.full.embedding_counts().items():
            total[source] = total.get(source, 0) + n
        return total

    def row_thresholds(self, frame: PairFrame) -> np.ndarray:
        return self.full.row_thresholds(frame)

    def probabilities(self, frame: PairFrame) -> np.ndarray:
        """Full-model scale for every row; the least sure share scored by the full model."""
        student_cut = logit(self.student.row_thresholds(frame))
        full_cut = logit(self.full.row_thresholds(frame))
        distance = logit(self.student.probabilities(frame)) - student_cut
        p = sigmoid(distance + full_cut)
        unsure = least_sure_rows(frame.df["query"], np.abs(distance), self.share)
        if unsure.any():
            p[unsure] = self.full.probabilities(frame.take(np.flatnonzero(unsure)))
        self.rescored += int(unsure.sum())
        return p

    def submission(self, frame: PairFrame) -> pd.DataFrame:
        return submission_table(frame, self.task, self.probabilities(frame),
                                self.row_thresholds(frame))
