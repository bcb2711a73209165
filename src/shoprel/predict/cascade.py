"""`--scorer cascade`: the run's student scores every pair, the full model only the least sure.

The student (USE) embeds a new query ~60× faster than the full model (EmbeddingGemma), but
ranks new queries ~0.04 ROC-AUC lower; most of what it gets wrong lies near its threshold.
So the full model rescores the pairs of the queries whose pair nearest the student's cut
(in log odds) lies within a distance chosen on the student's own out-of-fold scores: the
distance within which `share` of its training rows fell, whole queries at a time (a query is
embedded once for all its pairs). A query's fate depends on its own pairs only, so a file
scores alike in any chunks and a server alike in any batches (a query whose rows a chunk
boundary splits is judged on each part). On three held-out samples of the real QC rows a share
of 0.2 came within 0.002–0.0045 of the full model's F1, but took back little of its ROC-AUC
(README, "Scoring speed").

Student scores are moved onto the full model's scale by their distance to the cut in log
odds: p' = sigmoid(logit(p) - logit(student cut) + logit(full cut)), per row where the runs
have per-language cuts. A pair is then relevant exactly when its scoring model says so, and
one threshold (the full model's) reads every row.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.predict.table import submission_table
from shoprel.run.students import SCORERS as RUN_SCORERS
from shoprel.utils.bounds import out_of_range
from shoprel.utils.log_odds import logit as clipped_logit
from shoprel.utils.log_odds import sigmoid

DEFAULT_SHARE = 0.2
EPS = 1e-9
SCORERS = (*RUN_SCORERS, "cascade")  # the run's models or its student, or the two joined
# the type of a scorer field (serve's settings and responses): its schema lists SCORERS, so a
# scorer added there is allowed everywhere at once
ScorerName = Literal[SCORERS]


def scorer_in_any_case(scorer):
    """A scorer's name read in any case ("FULL" is "full"), as `--scorer` takes it, for every
    door a scorer comes in (the API, serve's settings); anything but text is left to refuse."""
    return scorer.lower() if isinstance(scorer, str) else scorer


def logit(p) -> np.ndarray:
    """Log odds of a probability or a cut, clipped as far as float64 keeps them apart."""
    return clipped_logit(p, EPS)


def check_share(share: float) -> float:
    """The share of rows the full model rescores, in (0, 1]."""
    problem = out_of_range(share, gt=0, le=1)
    if problem:
        raise ConfigError(f"--cascade-share: {problem}")
    return share


def nearest_by_query(queries, distance: np.ndarray) -> np.ndarray:
    """For each row, the smallest distance among its query's rows."""
    return pd.Series(distance).groupby(pd.factorize(queries)[0]).transform("min").to_numpy()


def distance_cut(queries, distance: np.ndarray, share: float) -> float:
    """The nearest-pair distance within which whole queries make up `share` of the rows
    (queries taken nearest first): the cut that rescores that share of rows like these."""
    if share >= 1 or len(distance) == 0:
        return np.inf
    nearest = np.sort(nearest_by_query(queries, distance))  # each row at its query's value
    return float(nearest[min(int(np.ceil(share * len(nearest))), len(nearest)) - 1])


class CascadePredictor:
    """Predictor's interface (submission, threshold, task, ...) over two Predictors of one run:
    its student and its full model (predictor.open_predictor makes them)."""

    def __init__(self, student, full, share: float = DEFAULT_SHARE):
        self.share = check_share(share)
        self.student, self.full = student, full
        self.run, self.task, self.threshold = full.run, full.task, full.threshold
        self.scorer = "cascade"
        # what a server's query translation looks at: every model and member that may score
        self.models = [*student.models, *full.models]
        self.members = [*student.members, *full.members]
        oof = student.run.oof()
        distance = np.abs(logit(oof["probability"])
                          - logit(student.language_thresholds(oof["language"])))
        self.cut = distance_cut(oof["query"], distance, share)
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
        """Full-model scale for every row; the full model's own for the least sure queries."""
        return self.probabilities_and_cuts(frame)[0]

    def as_trained(self, frame: PairFrame) -> PairFrame:
        """The frame's tags as the full model scores them (its training_languages)."""
        return self.full.as_trained(frame)

    def probabilities_and_cuts(self, frame: PairFrame, trained: PairFrame | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
        """The probabilities and each row's cut (the full model's), the cuts worked out once
        for both: a submission reads its rows with the cuts that moved the student's scores.
        The tags are mapped once per model (once in all when both trained on the same
        languages); `trained`: the frame as as_trained() made it, when the caller has it."""
        trained = self.as_trained(frame) if trained is None else trained
        same_languages = self.student.trained_tags == self.full.trained_tags
        student_trained = trained if same_languages else self.student.as_trained(frame)
        full_thresholds = self.full.thresholds_as_trained(trained.df["language"])
        student_cut = logit(self.student.thresholds_as_trained(student_trained.df["language"]))
        distance = logit(self.student.probabilities_as_trained(student_trained)) - student_cut
        p = sigmoid(distance + logit(full_thresholds))
        unsure = nearest_by_query(frame.df["query"], np.abs(distance)) <= self.cut
        if unsure.any():
            p[unsure] = self.full.probabilities_as_trained(trained.take(np.flatnonzero(unsure)))
        self.rescored += int(unsure.sum())
        return p, full_thresholds

    def submission(self, frame: PairFrame, trained: PairFrame | None = None) -> pd.DataFrame:
        return submission_table(frame, self.task, *self.probabilities_and_cuts(frame, trained))
