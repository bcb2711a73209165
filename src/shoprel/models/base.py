"""The contract every model family follows (families are looked up in registry.py).

scikit-learn style: hyperparameters in __init__ (exactly the names of the family's config,
config.py), learned state in trailing-underscore attributes set by fit, fit(frame) returns self,
predict_proba(frame) gives an (n, 2) array, save(folder)/load(folder) use config JSON plus plain
array or library files, never pickle, so loading a run from elsewhere runs no code.

The base class owns what every family does alike: checking params at fit, recording the task
and whether the rows came with translated queries, the query side models read, and
predict_proba's shape (empty input, clipping, two columns). A family implements `_fit`,
`_positive` and the three persistence hooks.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shoprel.data.frame import TRANSLATION, PairFrame
from shoprel.data.records import written_kind
from shoprel.data.tasks import Task
from shoprel.errors import ConfigError, RunDirError
from shoprel.models.config import QUERY_TEMPLATE, YAML, FamilyConfig
from shoprel.models.registry import model_class
from shoprel.utils.threads import blas_threads, threads_for_rows
from shoprel.utils.warn_caller import warn_caller

MODEL_CONFIG = "model.json"


def read_model_config(folder: str | Path) -> dict:
    """The model.json of the model saved in `folder`; one RunDirError line naming the file when
    it is missing, not JSON (a truncated copy) or not a JSON object, never a traceback."""
    path = Path(folder) / MODEL_CONFIG
    if not path.is_file():
        raise RunDirError(f"{folder}: no {MODEL_CONFIG}; not a saved shoprel model")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path}: not a readable model config ({exc})") from None
    if not isinstance(config, dict):
        raise RunDirError(f"{path}: {written_kind(config)} is not a JSON object")
    return config


def query_side(frame: PairFrame, template: str = QUERY_TEMPLATE) -> pd.Series:
    """The query as models read it: with its translation where the rows carry one.

    The winning solution fed "{query} - {english}"; rows without a translation, or whose
    translation is the query itself, keep the bare query.
    """
    query = frame.df["query"]
    if not frame.has_translation:
        return query
    translation = frame.df[TRANSLATION].fillna("")
    useful = (translation.str.strip() != "") & (translation != query)
    combined = [template.format(query=q, translation=t)
                for q, t in zip(query[useful], translation[useful], strict=True)]
    return query.where(~useful, pd.Series(combined, index=query.index[useful], dtype=object))


def bare_query_mask(frame: PairFrame) -> pd.Series:
    """Rows with a query but no translation (no translated_query column, or an empty one),
    which query_side reads bare: what a model trained with translations scores unlike its
    training rows. predict and distill name their languages, so a file whose translator had
    no route for some is told so rather than told to translate it."""
    has_query = frame.df["query"].str.strip() != ""
    if not frame.has_translation:
        return has_query
    return has_query & (frame.df[TRANSLATION].fillna("").str.strip() == "")


class UntranslatedInputWarning(UserWarning):
    """Rows without translations scored by a model trained with them: the API's warning,
    which `predict_file` counts instead (PredictResult.bare_rows) for the CLI's one line."""


class RelevanceModel:
    family: ClassVar[str] = ""
    config_class: ClassVar[type[FamilyConfig]] = FamilyConfig
    # whether load() reads the backbone's weights (an LLM: GBs, seconds to minutes) rather than
    # leaving them to the first score: a command checking a run's models before its work
    # (Run.check_models_load) leaves such a model to load where it is used
    loads_backbone: ClassVar[bool] = False

    @classmethod
    def check_saved_files(cls, folder: Path) -> None:
        """For a family that loads_backbone: refuse, without loading it, a saved model in
        `folder` whose own files are missing or do not read (one RunDirError naming the
        file), as a check before a command's work; a family with none to check passes."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # the constructor's signature is the config's params (for help() and IDEs)
        defaults = cls.config_class.defaults()
        cls.__signature__ = inspect.Signature([
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name])
            for name in cls.config_class.param_names()])

    def __init__(self, **params):
        names = self.config_class.param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown parameter"
                            f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
                            f"; known: {', '.join(names)}")
        defaults = self.config_class.defaults()
        for name in names:
            setattr(self, name, params.get(name, defaults[name]))

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.config_class.param_names()}

    def config(self) -> FamilyConfig:
        """The current params, validated (a ConfigError names the bad one); a fitted or loaded
        model's as it was trained (config.SAVED), so a run made before a check still scores."""
        return self.config_class.from_params(self.get_params(),
                                             saved=getattr(self, "task_", None) is not None)

    # --- fitting -------------------------------------------------------------------------
    def fit(self, frame: PairFrame) -> RelevanceModel:
        config = self.config_class.from_params(self.get_params())  # every check, refit or not
        self.task_ = frame.task
        self.translated_ = frame.has_translation
        self._fit(frame, config)
        return self

    def _fit(self, frame: PairFrame, config: FamilyConfig) -> None:
        raise NotImplementedError

    def start_from(self, folder: str | Path) -> RelevanceModel:
        """Begin the next fit from a saved model of this family (stage 0: the other task).

        Families that fine-tune pretrained weights override this; the others cannot.
        """
        raise ConfigError(f"family {self.family} cannot start from a stage-0 model ({folder})")

    @classmethod
    def supports_start_from(cls) -> bool:
        """Whether the family overrides start_from (a config's `stage0` needs it)."""
        return cls.start_from is not RelevanceModel.start_from

    # --- scoring -------------------------------------------------------------------------
    @property
    def reads_translation(self) -> bool:
        """Whether the fitted model reads "{query} - {translation}" (and so wants translations)."""
        return bool(getattr(self, "translated_", False) and self.use_translation)

    def queries(self, frame: PairFrame) -> pd.Series:
        """The query side as this model reads it: with translations only when it was fitted
        on them (a run that never saw "{query} - {english}" scores the bare query, as `serve`
        does, whatever columns the file has)."""
        if not self.use_translation or not getattr(self, "translated_", True):
            return frame.df["query"]
        return query_side(frame, self.translation_template)

    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        self._check_scoring_input(frame)
        if len(frame) == 0:
            return np.zeros((0, 2))
        with blas_threads(threads_for_rows(len(frame), None)):  # a small batch: one thread
            p = self.relevance(frame)
        return np.column_stack([1 - p, p])

    def relevance(self, frame: PairFrame) -> np.ndarray:
        """_positive's P(relevant) as float64 within [0, 1], scored on the threads
        predict_proba chose; public as the seam tests watch the scoring through."""
        return np.clip(np.asarray(self._positive(frame), dtype=np.float64), 0.0, 1.0)

    def _positive(self, frame: PairFrame) -> np.ndarray:
        """P(relevant) of each row of a non-empty frame."""
        raise NotImplementedError

    def _check_scoring_input(self, frame: PairFrame) -> None:
        """Refuse rows of the other task; warn when a model that learned from translated queries
        gets none (it would score bare queries it never saw in that form)."""
        if frame.task is not self.task_:
            raise ValueError(f"model was trained for {self.task_.value}, got {frame.task.value}")
        if self.reads_translation and not frame.has_translation:
            warn_caller("the model was trained with translated queries but this input has no "
                        "translated_query column: translate it first (shoprel.translate_file, "
                        "or `shoprel translate` on a file)", UntranslatedInputWarning)

    @staticmethod
    def saved_reads_translation(folder: str | Path) -> bool:
        """reads_translation of the model saved in `folder`, from its config alone: the Ray
        engine's driver says which rows went untranslated without loading any weights."""
        config = read_model_config(folder)
        return bool(config.get("state", {}).get("translated", False)
                    and config.get("params", {}).get("use_translation", True))

    # --- persistence ---------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {**self._state(), "task": self.task_.value, "translated": self.translated_}
        config = {"family": self.family, "params": self.get_params(), "state": state}
        (folder / MODEL_CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False))
        self._save_arrays(folder)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> RelevanceModel:
        folder = Path(folder)
        config_path = folder / MODEL_CONFIG
        config = read_model_config(folder)
        family_cls = model_class(config["family"]) if cls is RelevanceModel else cls
        params = family_cls.config_class.from_params(config["params"],
                                                     f"{config_path}: params", saved=True).flat()
        model = family_cls(**params)
        state = config.get("state", {})
        model.task_ = Task(state["task"])
        model.translated_ = bool(state.get("translated", False))
        model._restore(state, folder)
        return model

    # Families override these three to store what fit learned (task and translated are kept
    # by the base).
    def _state(self) -> dict:
        return {}

    def _save_arrays(self, folder: Path) -> None:
        pass

    def _restore(self, state: dict, folder: Path) -> None:
        pass


def config_class(family: str) -> type[FamilyConfig]:
    return model_class(family).config_class


def validate_params(family: str, params: dict | None, where: str = "model.params",
                    saved: bool = False, how: str = YAML) -> dict:
    """Check a config's params with the family's config class, naming any bad key (`how` they
    were written: models.config.YAML or OVERRIDES, for its hints)."""
    return config_class(family).from_params(params, where, saved, how).flat()
