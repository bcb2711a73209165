"""Run configs: YAML validated into typed objects, errors naming the bad key."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shoprel.errors import ConfigError
from shoprel.models.base import model_class, validate_params


def _takes_group_levels(family: str | None) -> bool:
    try:
        return "group_levels" in inspect.signature(model_class(family or "fast")).parameters
    except ConfigError:
        return False  # the family check reports it


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    task: Literal["QC", "QI"] | None = None  # detected from the columns when not given
    empty_text: Literal["keep", "drop"] = "keep"


class FoldsConfig(_Strict):
    k: int = Field(5, ge=2, le=50)
    seed: int = 42
    qc_group_levels: int = Field(3, ge=1, le=10)


class ModelConfig(_Strict):
    family: str = "fast"
    params: dict = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_params(self) -> ModelConfig:
        self.params = validate_params(self.family, self.params)
        return self


class AugmentConfig(_Strict):
    """Translated copies of training rows in languages the training data lacks.

    They join the training side of every fold and the final fit, never a validation fold, so
    out-of-fold scores and the threshold are measured on original rows only.
    """

    translate: dict[str, str] = Field(default_factory=dict)  # new language -> source language
    backend: Literal["apertium", "table", "hf"] = "apertium"
    cache: str | None = None  # SQLite translation cache
    table: str | None = None  # for backend: table
    model: str | None = None  # for backend: hf


class ThresholdConfig(_Strict):
    # "oof_f1": the cut maximising positive-class F1 on out-of-fold scores; "fixed": `value`
    mode: Literal["oof_f1", "fixed"] = "oof_f1"
    value: float = Field(0.5, ge=0.0, le=1.0)


class FinalConfig(_Strict):
    refit_full: bool = True  # fit one more model on all rows; predict uses it
    keep_fold_models: bool = True  # keep each fold's model (predict averages them without full)


class RunConfig(_Strict):
    """Everything a run was asked to do; saved resolved (with defaults) in the run folder."""

    data: DataConfig = Field(default_factory=DataConfig)
    folds: FoldsConfig = Field(default_factory=FoldsConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    threshold: ThresholdConfig = Field(default_factory=ThresholdConfig)
    final: FinalConfig = Field(default_factory=FinalConfig)

    @model_validator(mode="before")
    @classmethod
    def _inherit_group_levels(cls, data):
        """A model's inner folds group as the outer folds do unless told otherwise."""
        if isinstance(data, dict):
            model = data.get("model") or {}
            folds = data.get("folds") or {}
            if isinstance(model, dict) and isinstance(folds, dict) and \
                    "qc_group_levels" in folds and _takes_group_levels(model.get("family")):
                params = dict(model.get("params") or {})
                params.setdefault("group_levels", folds["qc_group_levels"])
                data = {**data, "model": {**model, "params": params}}
        return data

    @model_validator(mode="after")
    def _check_final(self) -> RunConfig:
        if not (self.final.refit_full or self.final.keep_fold_models):
            raise ValueError("final: keep the full model or the fold models, or predict has none")
        return self

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source}: {key}: {message}")
    return "\n".join(lines)


def parse_config(data: dict | None, source: str = "config") -> RunConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> RunConfig:
    """Read a YAML config (or the defaults), then apply dotted overrides like {'folds.k': 3}."""
    data: dict = {}
    source = "defaults"
    if path is not None:
        path = Path(path)
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return parse_config(data, source)
