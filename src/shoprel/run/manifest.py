"""The schema of a run's `run.json`: checked whenever a run is opened, built by every writer.

A run folder travels (copied, edited by hand, half-synced); reading it trusts nothing. Every
missing or wrong field is reported as one line naming the file and the field, instead of a
KeyError or a NaN deep inside predict or serve. `schema_version` tells a newer shoprel's runs
from ours; runs written before it existed are version 1.

Writers (train, ensemble, distill, thresholds) build a `Manifest` with `Manifest.new(...)` and
hand it to `writer.RunWriter`, which writes `to_json()`: the fields that were given, in the
order declared here, then fields this version does not know (kept from an older file).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)

import shoprel
from shoprel.data.records import as_written, written_kind
from shoprel.errors import RunDirError
from shoprel.utils.bounds import not_a_probability
from shoprel.utils.scalars import is_boolean

MANIFEST_VERSION = 1


def _unit(value, handler) -> float:
    """A probability, past its bounds said in the one sentence of every bound (utils/bounds.py)
    with the value as run.json wrote it (7, not pydantic's 7.0; NaN, not nan). true/false and
    a text are no number, though lax pydantic read `true` as a threshold of 1.0 (a bool is an
    int) and "0.5" as 0.5 (shoprel writes the number itself)."""
    number = handler(_number(value))  # true/false or a text: as metrics.json says them
    shown = as_written(value)
    problem = not_a_probability(number, shown)
    if problem:
        raise ValueError(problem)
    return number


def _number(value):
    """A count or figure run.json holds is a JSON number: lax pydantic read true as 1 and the
    text "3" as 3 (a bool is an int to Python), what no shoprel command writes."""
    if is_boolean(value):
        raise ValueError(f"{written_kind(value)} is not a number")
    if isinstance(value, str):
        raise ValueError(f"{value!r} is not a number")
    return value


class _Open(BaseModel):
    # fields this version does not know are kept (other commands add their own blocks)
    model_config = ConfigDict(extra="allow", strict=False)


# a threshold in [0, 1], and a figure that is a JSON number (_unit, _number)
Probability = Annotated[float, WrapValidator(_unit)]
Figure = BeforeValidator(_number)


class LanguageCut(_Open):
    n: Annotated[int | None, Figure] = None  # the language's OOF rows
    # its own best cut, before shrinking toward the global one
    best: Annotated[float | None, Figure] = None
    threshold: Probability


class LanguageThresholds(_Open):
    global_: Probability = Field(alias="global")
    shrinkage: Annotated[float | None, Figure] = None
    languages: dict[str, LanguageCut]


class Member(_Open):
    name: str | None = None
    path: str = Field(min_length=1)
    # the member run's own `created` when the ensemble combined it: a run replaced since then
    # (train --overwrite) is another model, whose scores the combination never saw
    created: str | None = None
    # the SHA-256 of its oof.parquet then: a retrain within the same second keeps `created`
    oof_sha256: str | None = None


class Combination(_Open):
    """An ensemble combiner's state (ensemble/combiners.py): its method and what it learned."""

    method: str
    weights: list[float] | None = None
    stack: dict | None = None

    @field_validator("method")
    @classmethod
    def _known(cls, method: str) -> str:
        from shoprel.ensemble.combiners import COMBINERS

        if method not in COMBINERS:
            raise ValueError(f"unknown ensemble method {method!r}: use one of "
                             f"{', '.join(COMBINERS)}")
        return method

    @model_validator(mode="after")
    def _parts(self) -> Combination:
        from shoprel.ensemble.combiners import COMBINERS

        COMBINERS[self.method].check_state(self.model_dump())
        return self


class Manifest(_Open):
    schema_version: int = MANIFEST_VERSION
    kind: Literal["run", "ensemble"] = "run"
    shoprel_version: str | None = None
    name: str | None = None
    task: Literal["QC", "QI"]
    created: str | None = None  # ISO 8601, UTC, seconds
    threshold: Probability
    model_family: str | None = None
    predict_models: list[str] | None = Field(None, min_length=1)  # fold models or "full"
    members: list[Member] | None = None
    combination: Combination | None = None
    n_rows: Annotated[int | None, Figure, Field(ge=0)] = None
    language_thresholds: LanguageThresholds | None = None

    @classmethod
    def new(cls, **fields) -> Manifest:
        """A manifest for a folder being written now: this schema version and shoprel version,
        `created` now unless given; the fields are checked as a reader would check them."""
        fields.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
        return cls.model_validate({"schema_version": MANIFEST_VERSION,
                                   "shoprel_version": shoprel.__version__, **fields})

    def to_dict(self) -> dict:
        """The fields given (or read), JSON-ready, `global` under its own name."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def replace(self, **fields) -> Manifest:
        """A checked copy with some fields changed (or added)."""
        return type(self).model_validate({**self.to_dict(), **fields})

    @field_validator("predict_models")
    @classmethod
    def _model_names(cls, names: list[str] | None) -> list[str] | None:
        """Model folders are names inside the run's models/ folder, never paths elsewhere."""
        for name in names or []:
            if not name or name in (".", "..") or PurePosixPath(name).name != name \
                    or PureWindowsPath(name).name != name:
                raise ValueError(f"{name!r} is not a folder name inside models/")
        return names

    @model_validator(mode="after")
    def _kind_parts(self) -> Manifest:
        if self.schema_version > MANIFEST_VERSION:
            raise ValueError(f"schema_version {self.schema_version} was written by a newer "
                             f"shoprel (this one reads up to {MANIFEST_VERSION}); upgrade it")
        if self.kind == "ensemble":
            if not self.members:
                raise ValueError("members: an ensemble needs at least one member run")
            if self.combination is None:
                raise ValueError("combination: an ensemble needs its combination")
            weights = self.combination.weights
            if weights is not None and len(weights) != len(self.members):
                raise ValueError(f"combination.weights: {len(weights)} weights for "
                                 f"{len(self.members)} members")
        return self


def _where(error: dict) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    return loc.replace("global_", "global")


def validate_manifest(data, path: Path) -> Manifest:
    """The manifest as a Manifest, or one RunDirError line naming the file and the field."""
    if not isinstance(data, dict):
        raise RunDirError(f"{path}: {written_kind(data)} is not a JSON object")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = "missing" if error["type"] == "missing" else error["msg"]
            message = message.removeprefix("Value error, ")
            where = _where(error)
            problems.append(f"field '{where}': {message}" if where else message)
        raise RunDirError(f"{path}: {'; '.join(problems)}") from None
