"""The fast model: hashed lexical features → logistic regression, stacked into LightGBM.

Trains in seconds on a CPU and needs no pretrained weights. The logistic regression learns which
query words and n-grams go with which category nodes (or title words); LightGBM combines its
score with category/language label rates and overlap statistics, and the final probability mixes
the two (`linear_weight`). Scores and rates for the
training rows come from inner folds grouped like the outer ones, so LightGBM sees them as honest
as they will be on new rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import lightgbm as lgb
import numpy as np
from pydantic import Field

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.models.base import RelevanceModel, check_scoring_input
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.models.targets import fitting_rows, training_targets

BOOSTER_FILE = "lightgbm.txt"


class FastModel(RelevanceModel):
    family = "fast"
    reads_row_targets = True  # fit honours `weight` and `soft_label` columns (targets.py)

    def __init__(
        self,
        n_features: Annotated[int, Field(ge=2**10, le=2**26)] = 2**20,
        C: Annotated[float, Field(gt=0)] = 4.0,
        stack: bool = True,
        linear_weight: Annotated[float, Field(ge=0, le=1)] = 0.5,
        inner_folds: Annotated[int, Field(ge=2)] = 4,
        prior_smoothing: Annotated[float, Field(ge=0)] = 20.0,
        n_estimators: Annotated[int, Field(ge=1)] = 300,
        learning_rate: Annotated[float, Field(gt=0)] = 0.03,
        num_leaves: Annotated[int, Field(ge=2)] = 15,
        min_child_samples: Annotated[int, Field(ge=1)] = 40,
        group_levels: Annotated[int, Field(ge=1)] = 3,
        use_translation: bool = True,
        translation_template: str = "{query} - {translation}",
        seed: int = 42,
        n_jobs: int = 2,
    ):
        self.n_features = n_features
        self.C = C
        self.stack = stack
        self.linear_weight = linear_weight
        self.inner_folds = inner_folds
        self.prior_smoothing = prior_smoothing
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.group_levels = group_levels
        self.use_translation = use_translation
        self.translation_template = translation_template
        self.seed = seed
        self.n_jobs = n_jobs

    # --- fitting -------------------------------------------------------------------------
    def lexical_params(self) -> LexicalParams:
        return LexicalParams.of(self)

    def fit(self, frame: PairFrame) -> FastModel:
        """Fit on the frame's rows; optional `weight` / `soft_label` columns (see targets.py)
        weight rows and replace the 0/1 targets; label rates use the targets, unweighted."""
        frame = fitting_rows(frame)
        self.task_ = frame.task
        targets = training_targets(frame)
        if len(np.unique(targets.hard)) < 2:
            raise ValueError("training needs both labels (0 and 1) among its rows")
        lexical = LexicalFeatures(self.lexical_params())
        X = lexical.sparse(frame)
        self.lexical_ = lexical.fit(frame, targets, X)
        self.booster_ = None
        if self.stack:
            dense = lexical.oof_dense(frame, targets, X)
            self.booster_ = lgb.train(self._booster_params(targets.objective), lgb.Dataset(
                dense, targets.target, weight=targets.weight,
                categorical_feature=[lexical.language_column], free_raw_data=True),
                num_boost_round=self.n_estimators)
        return self

    def _booster_params(self, objective: str = "binary") -> dict:
        return {"objective": objective, "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves, "min_child_samples": self.min_child_samples,
                "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1,
                "seed": self.seed, "num_threads": self.n_jobs, "deterministic": True,
                "verbose": -1}

    # --- prediction ----------------------------------------------------------------------
    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        check_scoring_input(self, frame, self.lexical_.translated_ and self.use_translation)
        if len(frame) == 0:
            return np.zeros((0, 2))
        linear = self.lexical_.linear_score(frame)
        if self.booster_ is None:
            p = linear
        else:
            boosted = self.booster_.predict(self.lexical_.dense(frame, linear),
                                            num_threads=self.n_jobs)
            # the booster alone ranks slightly worse than the linear score; their mix is better
            p = self.linear_weight * linear + (1 - self.linear_weight) * boosted
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        return np.column_stack([1 - p, p])

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"task": self.task_.value, "lexical": self.lexical_.state(),
                "has_booster": self.booster_ is not None}

    def _save_arrays(self, folder: Path) -> None:
        self.lexical_.save(folder)
        if self.booster_ is not None:
            self.booster_.save_model(str(folder / BOOSTER_FILE))

    def _restore(self, state: dict, folder: Path) -> None:
        self.task_ = Task(state["task"])
        self.lexical_ = LexicalFeatures.load(state["lexical"], folder)
        self.booster_ = (lgb.Booster(model_file=str(folder / BOOSTER_FILE))
                         if state["has_booster"] else None)
