"""LightGBM over feature blocks: the params and the fit the feature families (fast, embed) share.

Both nest the lexical component's params (`LexicalConfig`) and the booster's (`BoosterConfig`)
in their configs, train LightGBM the same way on their blocks, and mix its probability with the
lexical linear score (`linear_weight`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import lightgbm as lgb
import numpy as np
from pydantic import Field

from shoprel.errors import RunDirError
from shoprel.models.config import FamilyConfig, Section
from shoprel.models.lexical.config import LexicalConfig
from shoprel.models.targets import Targets


class BoosterConfig(Section):
    n_estimators: Annotated[int, Field(ge=1)] = 300
    learning_rate: Annotated[float, Field(gt=0)] = 0.03
    num_leaves: Annotated[int, Field(ge=2)] = 15
    min_child_samples: Annotated[int, Field(ge=1)] = 40
    feature_fraction: Annotated[float, Field(gt=0, le=1)] = 0.9


def booster_defaults(**changes):
    """A family's `booster` field: the shared params with its own defaults."""
    BoosterConfig(**changes)  # a typo in a family's defaults fails at import
    return Field(default_factory=lambda: BoosterConfig(**changes))


class FeatureModelConfig(FamilyConfig):
    uses_group_levels = True

    lexical_features: LexicalConfig = Field(default_factory=LexicalConfig)
    booster: BoosterConfig = booster_defaults()
    # final probability: linear_weight · lexical linear score + the rest · booster's
    linear_weight: Annotated[float, Field(ge=0, le=1)] = 0.5
    seed: int = 42
    n_jobs: Annotated[int, Field(ge=1)] = 2  # below 1, LightGBM would quietly use every core

    def booster_params(self, objective: str = "binary") -> dict:
        b = self.booster
        return {"objective": objective, "learning_rate": b.learning_rate,
                "num_leaves": b.num_leaves, "min_child_samples": b.min_child_samples,
                "feature_fraction": b.feature_fraction, "bagging_fraction": 0.9,
                "bagging_freq": 1, "seed": self.seed, "num_threads": self.n_jobs,
                "deterministic": True, "verbose": -1}


def fit_booster(config: FeatureModelConfig, X: np.ndarray, targets: Targets,
                categorical: list[int]) -> lgb.Booster:
    """LightGBM on the feature matrix, honouring soft targets and row weights (targets.py)."""
    return lgb.train(config.booster_params(targets.objective),
                     lgb.Dataset(X, targets.target, weight=targets.weight,
                                 categorical_feature=categorical, free_raw_data=True),
                     num_boost_round=config.booster.n_estimators)


def mixed(linear: np.ndarray, boosted: np.ndarray, linear_weight: float) -> np.ndarray:
    """For the fast model the mix ranks better than either part; the embed model's booster
    does best alone (its default weight is 0: the linear score misleads it in new languages)."""
    return linear_weight * linear + (1 - linear_weight) * boosted


def load_booster(path: Path, width: int | None) -> lgb.Booster:
    """A saved booster that reads exactly the `width` feature columns the model builds (None:
    not known before scoring); LightGBM itself would score a narrower matrix as if the missing
    columns were absent, or fail with a traceback at the first request."""
    booster = lgb.Booster(model_file=str(path))
    if width is not None and booster.num_feature() != width:
        raise RunDirError(f"{path}: field 'max_feature_idx': the booster reads "
                          f"{booster.num_feature()} features, but the model's params and "
                          f"saved arrays build {width}")
    booster.source_ = path  # named by `predict_checked` if a scored matrix does not fit it
    return booster


def predict_checked(booster: lgb.Booster, X: np.ndarray, n_jobs: int) -> np.ndarray:
    """The booster's probabilities, refusing a matrix of another width than it was fitted on."""
    if X.shape[1] != booster.num_feature():
        where = getattr(booster, "source_", "the booster")
        raise RunDirError(f"{where}: field 'max_feature_idx': the booster reads "
                          f"{booster.num_feature()} features, but the model built {X.shape[1]}")
    return booster.predict(X, num_threads=n_jobs)
