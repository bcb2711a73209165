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

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.models.base import MODEL_CONFIG, RelevanceModel
from shoprel.models.boosted import (
    fit_booster,
    load_booster,
    mixed,
    predict_checked,
    saved_booster_count,
)
from shoprel.models.fast.config import FastConfig
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.models.targets import fitting_rows, training_targets

BOOSTER_FILE = "lightgbm.txt"


class FastModel(RelevanceModel):
    family = "fast"
    config_class = FastConfig
    reads_row_targets = True  # fit honours `weight` and `soft_label` columns (targets.py)

    # --- fitting -------------------------------------------------------------------------
    def _fit(self, frame: PairFrame, config: FastConfig) -> None:
        """Fit on the frame's rows; optional `weight` / `soft_label` columns (see targets.py)
        weight rows and replace the 0/1 targets; label rates use the targets, unweighted."""
        frame = fitting_rows(frame)
        targets = training_targets(frame)
        if len(np.unique(targets.hard)) < 2:
            raise ValueError("training needs both labels (0 and 1) among its rows")
        lexical = LexicalFeatures(LexicalParams.of(config))
        X = lexical.sparse(frame)
        self.lexical_ = lexical.fit(frame, targets, X)
        self.booster_ = None
        if config.stack:
            self.booster_ = fit_booster(config, lexical.oof_dense(frame, targets, X), targets,
                                        [lexical.language_column])

    # --- prediction ----------------------------------------------------------------------
    def _positive(self, frame: PairFrame) -> np.ndarray:
        linear = self.lexical_.linear_score(frame)
        if self.booster_ is None:
            return linear
        boosted = predict_checked(self.booster_, self.lexical_.dense(frame, linear), self.n_jobs)
        return mixed(linear, boosted, self.linear_weight)

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"lexical": self.lexical_.state(), "has_booster": self.booster_ is not None,
                "boosters": 0 if self.booster_ is None else len(self.booster_)}

    def _save_arrays(self, folder: Path) -> None:
        self.lexical_.save(folder)
        if self.booster_ is not None:
            self.booster_.save(folder / BOOSTER_FILE)

    def _restore(self, state: dict, folder: Path) -> None:
        self.lexical_ = LexicalFeatures.load(state["lexical"], folder, self.task_)
        self.lexical_.check_params(self.n_features, folder / MODEL_CONFIG)
        if "translated" not in state:  # saved before the base kept it
            self.translated_ = self.lexical_.translated_
        self.booster_ = None
        if state["has_booster"]:
            self.n_boosters = saved_booster_count(state, folder / MODEL_CONFIG)
            self.booster_ = load_booster(folder / BOOSTER_FILE, self.lexical_.width,
                                         self.n_boosters, folder / MODEL_CONFIG)
