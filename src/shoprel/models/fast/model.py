"""The fast model: hashed lexical features → logistic regression, stacked into LightGBM.

Trains in seconds on a CPU and needs no pretrained weights. The logistic regression learns which
query words and n-grams go with which category nodes (or title words); LightGBM combines its
score with category/language label rates and overlap statistics (for QI also the word match:
typos, plurals, numbers), and the final probability mixes the two (`linear_weight`). Scores
and rates for the training rows come from inner folds grouped like the outer ones, so LightGBM
sees them as honest as they will be on new rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import RunDirError
from shoprel.models.base import MODEL_CONFIG, RelevanceModel
from shoprel.models.boosted import (
    fit_booster,
    load_booster,
    mixed,
    predict_checked,
    saved_booster_count,
)
from shoprel.models.booster_digest import FIELD as BOOSTER_DIGESTS
from shoprel.models.booster_digest import saved_digests
from shoprel.models.fast.config import FastConfig
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.models.lexical.word_match import COLUMNS as MATCH_COLUMNS
from shoprel.models.lexical.word_match import FILE as MATCH_FILE
from shoprel.models.lexical.word_match import WordMatch
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
        self.booster_ = self.word_match_ = None
        if config.stack:
            if self.word_match and frame.task is Task.QI:
                self.word_match_ = WordMatch(frame.task).fit(frame.df["target"])
            self.booster_ = fit_booster(config, self._dense(frame, lexical.oof_dense(
                frame, targets, X)), targets, [lexical.language_column])

    def _dense(self, frame: PairFrame, lexical: np.ndarray) -> np.ndarray:
        """The booster's columns: the lexical block (its language column keeps its index),
        then for QI the word match (lexical/word_match.py)."""
        if getattr(self, "word_match_", None) is None:
            return lexical
        return np.hstack([lexical, self.word_match_.transform(self.queries(frame),
                                                              frame.df["target"])])

    # --- prediction ----------------------------------------------------------------------
    def _positive(self, frame: PairFrame) -> np.ndarray:
        linear = self.lexical_.linear_score(frame)
        if self.booster_ is None:
            return linear
        boosted = predict_checked(self.booster_,
                                  self._dense(frame, self.lexical_.dense(frame, linear)),
                                  self.n_jobs)
        return mixed(linear, boosted, self.linear_weight)

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        bag = self.booster_
        return {"lexical": self.lexical_.state(), "has_booster": bag is not None,
                "boosters": 0 if bag is None else len(bag),
                BOOSTER_DIGESTS: {} if bag is None else bag.digests(BOOSTER_FILE),
                "word_match": getattr(self, "word_match_", None) is not None}

    def _save_arrays(self, folder: Path) -> None:
        self.lexical_.save(folder)
        if self.booster_ is not None:
            self.booster_.save(folder / BOOSTER_FILE)
        if getattr(self, "word_match_", None) is not None:
            self.word_match_.save(folder / MATCH_FILE)

    def _restore(self, state: dict, folder: Path) -> None:
        self.lexical_ = LexicalFeatures.load(state["lexical"], folder, self.task_)
        self.lexical_.check_params(self.n_features, folder / MODEL_CONFIG)
        if "translated" not in state:  # saved before the base kept it
            self.translated_ = self.lexical_.translated_
        self.booster_ = self.word_match_ = None
        if state.get("word_match"):
            if not (folder / MATCH_FILE).exists():
                raise RunDirError(f"{folder / MATCH_FILE}: missing, but {folder / MODEL_CONFIG} "
                                  "field 'state.word_match' says the model has one")
            self.word_match_ = WordMatch.load(self.task_, folder / MATCH_FILE)
        elif "word_match" not in state and self.task_ is Task.QI:  # saved before the block
            # existed: scores without it, as it was fitted
            self.word_match = False
        if state["has_booster"]:
            self.n_boosters = saved_booster_count(state, folder / MODEL_CONFIG)
            width = self.lexical_.width + (0 if self.word_match_ is None else len(MATCH_COLUMNS))
            self.booster_ = load_booster(folder / BOOSTER_FILE, width, self.n_boosters,
                                         folder / MODEL_CONFIG,
                                         saved_digests(state, folder / MODEL_CONFIG))
