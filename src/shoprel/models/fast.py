"""The fast model: hashed lexical features → logistic regression, stacked into LightGBM.

Trains in seconds on a CPU and needs no pretrained weights. The logistic regression learns which
query words and n-grams go with which category nodes (or title words); LightGBM combines its
score with category/language label rates and overlap statistics, and the final probability mixes
the two (`linear_weight`). Scores and rates for the
training rows come from inner folds grouped like the outer ones, so LightGBM sees them as honest
as they will be on new rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import lightgbm as lgb
import numpy as np
from pydantic import Field
from safetensors.numpy import load_file, save_file
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.folds.grouped import fold_groups
from shoprel.models.base import RelevanceModel, check_scoring_input, register
from shoprel.models.features import (
    OVERLAP_NAMES,
    SmoothedPriors,
    hashed_matrix,
    overlap_features,
    prior_keys,
)
from shoprel.models.targets import Targets, fitting_rows, linear_problem, training_targets

LINEAR_FILE = "linear.safetensors"
BOOSTER_FILE = "lightgbm.txt"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@register
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
    def _linear(self) -> LogisticRegression:
        # far more hashed features than rows: the dual problem is ~10x faster, same solution
        return LogisticRegression(C=self.C, solver="liblinear", dual=True, max_iter=1000,
                                  random_state=self.seed)

    def fit(self, frame: PairFrame) -> FastModel:
        """Fit on the frame's rows; optional `weight` / `soft_label` columns (see targets.py)
        weight rows and replace the 0/1 targets; label rates use the targets, unweighted."""
        frame = fitting_rows(frame)
        self.task_ = frame.task
        df = frame.df
        targets = training_targets(frame)
        if len(np.unique(targets.hard)) < 2:
            raise ValueError("training needs both labels (0 and 1) among its rows")
        X = self._sparse(frame)
        linear = self._fit_linear(X, targets)
        self.coef_ = linear.coef_.ravel().astype(np.float32)
        self.intercept_ = float(linear.intercept_[0])
        keys = self._keys(frame)
        self.priors_ = SmoothedPriors(self.prior_smoothing).fit(keys, targets.target)
        self.languages_ = sorted(df["language"].unique().tolist())
        self.translated_ = "query_en" in df.columns
        self.booster_ = None
        if self.stack:
            linear_oof, priors_oof = self._inner_oof(frame, X, keys, targets)
            dense = self._dense(frame, linear_oof, priors_oof)
            self.booster_ = lgb.train(self._booster_params(targets.objective), lgb.Dataset(
                dense, targets.target, weight=targets.weight,
                categorical_feature=[self._language_column()], free_raw_data=True),
                num_boost_round=self.n_estimators)
        return self

    def _fit_linear(self, X, targets: Targets) -> LogisticRegression:
        X, y, sample_weight = linear_problem(X, targets)
        return self._linear().fit(X, y, sample_weight=sample_weight)

    def _inner_oof(self, frame: PairFrame, X, keys, targets: Targets):
        """Linear scores and label rates for training rows, each from a model that never saw it."""
        groups = fold_groups(frame, self.group_levels)
        n_splits = min(self.inner_folds, len(set(groups)))
        y = targets.hard
        linear_oof = np.zeros(len(y))
        priors_oof = np.zeros((len(y), 2 * len(keys[0])))
        splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=self.seed)
        for train, valid in splitter.split(X, y, groups):
            inner_targets = targets.subset(train)
            if len(np.unique(y[train])) < 2:
                linear_oof[valid] = inner_targets.target.mean()
            else:
                linear = self._fit_linear(X[train], inner_targets)
                linear_oof[valid] = linear.predict_proba(X[valid])[:, 1]
            inner = SmoothedPriors(self.prior_smoothing).fit([keys[i] for i in train],
                                                             inner_targets.target)
            priors_oof[valid] = inner.transform([keys[i] for i in valid])
        return linear_oof, priors_oof

    def _booster_params(self, objective: str = "binary") -> dict:
        return {"objective": objective, "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves, "min_child_samples": self.min_child_samples,
                "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1,
                "seed": self.seed, "num_threads": self.n_jobs, "deterministic": True,
                "verbose": -1}

    # --- features ------------------------------------------------------------------------
    def _query(self, frame: PairFrame):
        if not self.use_translation:
            return frame.df["query"]
        return frame.query_side(self.translation_template)

    def _sparse(self, frame: PairFrame):
        df = frame.df
        return hashed_matrix(frame.task, self._query(frame), df["target"], df["language"],
                             self.n_features)

    def _keys(self, frame: PairFrame) -> list[list[str]]:
        df = frame.df
        return [prior_keys(frame.task, t, lang)
                for t, lang in zip(df["target"], df["language"], strict=True)]

    def _language_column(self) -> int:
        return 1 + 2 * len(self.priors_.tables) + len(OVERLAP_NAMES)

    def _dense(self, frame: PairFrame, linear_score, priors) -> np.ndarray:
        df = frame.df
        lookup = {lang: i for i, lang in enumerate(self.languages_)}
        language = df["language"].map(lambda x: lookup.get(x, -1)).to_numpy(dtype=np.float64)
        overlap = overlap_features(frame.task, self._query(frame), df["target"])
        return np.column_stack([linear_score, priors, overlap, language])

    # --- prediction ----------------------------------------------------------------------
    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        check_scoring_input(self, frame, self.translated_ and self.use_translation)
        if len(frame) == 0:
            return np.zeros((0, 2))
        linear = _sigmoid(self._sparse(frame) @ self.coef_ + self.intercept_)
        if self.booster_ is None:
            p = linear
        else:
            dense = self._dense(frame, linear, self.priors_.transform(self._keys(frame)))
            boosted = self.booster_.predict(dense, num_threads=self.n_jobs)
            # the booster alone ranks slightly worse than the linear score; their mix is better
            p = self.linear_weight * linear + (1 - self.linear_weight) * boosted
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        return np.column_stack([1 - p, p])

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"task": self.task_.value, "intercept": self.intercept_,
                "languages": self.languages_, "has_booster": self.booster_ is not None,
                "translated": self.translated_}

    def _save_arrays(self, folder: Path) -> None:
        save_file({"coef": self.coef_}, str(folder / LINEAR_FILE))
        (folder / "priors.json").write_text(json.dumps(self.priors_.to_json(), ensure_ascii=False))
        if self.booster_ is not None:
            self.booster_.save_model(str(folder / BOOSTER_FILE))

    def _restore(self, state: dict, folder: Path) -> None:
        self.task_ = Task(state["task"])
        self.intercept_ = state["intercept"]
        self.languages_ = state["languages"]
        self.translated_ = state.get("translated", False)
        self.coef_ = load_file(str(folder / LINEAR_FILE))["coef"]
        self.priors_ = SmoothedPriors.from_json(json.loads((folder / "priors.json").read_text()))
        self.booster_ = (lgb.Booster(model_file=str(folder / BOOSTER_FILE))
                         if state["has_booster"] else None)
