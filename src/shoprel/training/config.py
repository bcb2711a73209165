"""Run configs: YAML validated into typed objects, errors naming the bad key."""

from __future__ import annotations

import copy
import functools
import os
import re
from pathlib import Path
from typing import Annotated, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shoprel.data.records import not_a_file, utf16_said
from shoprel.errors import ConfigError
from shoprel.models.base import config_class, validate_params
from shoprel.models.config import (
    OVERRIDES,
    PYTHON,
    SAVED,
    YAML,
    Seed,
    StrictConfig,
    dotted_key_hint,
    error_message,
    leaf_types,
    written_in,
)
from shoprel.models.registry import families, model_class
from shoprel.training.config_retyped import Place, Written, retyped_problems
from shoprel.training.config_yaml import read_config_yaml, write_config_yaml, yaml_problem
from shoprel.training.defaults import (
    CARRIED_HARD_WEIGHT,
    FOLDS_MAX,
    FOLDS_MIN,
    STUDENT_BACKBONE,
)
from shoprel.utils.scalars import is_boolean

# The default family: the best one that trains 10k rows within 30 minutes on 2 cores, backbone
# build included (README, "The embedding model": EmbeddingGemma embeddings + similarity,
# neighbour and lexical features). `fast` stays one key away for quick experiments.
DEFAULT_FAMILY = "embed"


def _takes_group_levels(family: str | None) -> bool:
    try:
        return config_class(family or DEFAULT_FAMILY).uses_group_levels
    except ConfigError:
        return False  # the family check reports it


def _with_the_others(check):
    """A check's ConfigError as pydantic's ValueError, which it gathers with the other keys'
    errors: raised as it is, it stopped validation at once, and a config with a typo in the
    params and a bad folds.k said only the first."""
    @functools.wraps(check)
    def gathered(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    return gathered


def _saved(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get("saved"))


def _before_regional_pairs(data, info: ValidationInfo, targets: str):
    """A run's config.yaml written before regional_pairs (data.translator, augment) records
    none: a target of it with a region (`targets`: the key holding them, `to` or the keys
    of `translate`) was asked of its base language (es-pt for pt-BR), so it reads false. Its
    other configs read the default, which asks them alike (and compare equal to a new
    config's); a config being written takes the default, as translate asks now."""
    from shoprel.augment.translator import target_region

    if not (_saved(info) and isinstance(data, dict)) or "regional_pairs" in data:
        return data
    written = data.get(targets)
    tags = list(written) if isinstance(written, dict) else [written]
    if any(isinstance(tag, str) and target_region(tag) for tag in tags):
        return {**data, "regional_pairs": False}
    return data


def _home(path: str | None) -> str | None:
    """YAML does not expand `~` as a shell would: `cache: ~/.cache/x` made a folder named `~`."""
    return None if path is None else os.path.expanduser(path)


def check_backend_fields(where: str, backend: str, table: str | None, model: str | None,
                         needed: bool = True) -> None:
    """A field only another backend reads is refused (a `table:` under the default backend
    trained with Apertium's copies, silently); `needed`: the backend's own field is given."""
    for name, value, owner in (("table", table, "table"), ("model", model, "hf")):
        if value is not None and backend != owner:
            raise ConfigError(f"{where}.{name}: only read by backend: {owner} (this block has "
                              f"backend: {backend}); set backend: {owner} or remove {name}")
    own = {"table": ("table", table), "hf": ("model", model)}.get(backend)
    if needed and own is not None and own[1] is None:
        raise ConfigError(f"{where}.{own[0]}: backend: {backend} needs it (a "
                          f"{'translations file' if backend == 'table' else 'model folder'})")


class TranslatorConfig(StrictConfig):
    """How the training file's translated_query column was made (`shoprel translate`), so that
    `shoprel serve` can translate a query that arrives without one the same way."""

    backend: Literal["apertium", "table", "hf"]
    to: str = "en"
    cache: str | None = None  # SQLite translation cache
    table: str | None = None  # for backend: table
    model: str | None = None  # for backend: hf
    # whether `to`'s region (pt-BR) was asked of the backend, as `shoprel translate --to pt-BR`
    # asks it: Apertium ends a route on its regional pair (es-pt_BR) where installed. false:
    # on the base language's (es-pt), as shoprel translated before regional pairs; a run's
    # config.yaml written before them records none and is read so (its file was made so)
    regional_pairs: bool = True

    @model_validator(mode="before")
    @classmethod
    def _older_runs(cls, data, info: ValidationInfo):
        return _before_regional_pairs(data, info, "to")

    @model_validator(mode="after")
    @_with_the_others
    def _check_backend_fields(self) -> TranslatorConfig:
        self.cache, self.table = _home(self.cache), _home(self.table)
        check_backend_fields("data.translator", self.backend, self.table, self.model)
        return self

    @property
    def asked(self) -> str:
        """The target as the backend is asked it: with its region ('pt-br', target_tag) where
        regional_pairs, else its base language ('pt')."""
        from shoprel.augment.translator import target_tag
        from shoprel.data.language_tags import base_language

        return target_tag(self.to) if self.regional_pairs else base_language(self.to)


def _task_in_any_case(value):
    """`task: qc` read as QC, as `--task qc` and `train(task="qc")` take it (the saved config
    writes QC); a value that is no task is left as written, for the error to quote."""
    if isinstance(value, str) and value.upper() in ("QC", "QI"):
        return value.upper()
    return value


TaskName = Annotated[Literal["QC", "QI"], BeforeValidator(_task_in_any_case)]


class DataConfig(StrictConfig):
    task: TaskName | None = None  # detected from the columns when not given
    empty_text: Literal["keep", "drop"] = "keep"
    translator: TranslatorConfig | None = None


class FoldsConfig(StrictConfig):
    k: int = Field(5, ge=FOLDS_MIN, le=FOLDS_MAX)
    seed: Seed = 42
    qc_group_levels: int = Field(3, ge=1, le=10)


def _outer_group_levels(folds) -> int | None:
    """The folds' qc_group_levels as the folds section reads it (np.int64(2) is 2 there, so
    the model's inner folds must take 2 too, not keep 3), or None where none is
    given or the section is wrong (its own check names that)."""
    if isinstance(folds, FoldsConfig):  # RunConfig(folds=FoldsConfig(qc_group_levels=2))
        return folds.qc_group_levels
    if not isinstance(folds, dict) or folds.get("qc_group_levels") is None:
        return None
    try:
        return FoldsConfig.model_validate(folds).qc_group_levels
    except ValidationError:
        return None


def _python_written(info: ValidationInfo) -> bool:
    """Whether the config being checked came from Python (an overrides dict)."""
    return written_in(info.context) in (PYTHON, OVERRIDES)


def _kind_said(value, python: bool = False) -> str:
    """A value's kind for "expected ..., got a list": as YAML writes it, and None, True and
    False as Python does to a Python caller (`{"model.params": False}` said "got true/false",
    where `{"folds.k": False}` said "got False")."""
    if python and (value is None or is_boolean(value)):  # numpy's True too
        return repr(value if value is None else bool(value))
    names = {list: "a list", dict: "a mapping", str: "a string", bool: "true/false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _params_mapping(value, info: ValidationInfo, param: str = "n_jobs", number: int = 2):
    if not isinstance(value, dict):
        python = _python_written(info)
        example = f"{{{param!r}: {number}}}" if python else f"{{{param}: {number}}}"
        raise ValueError(f"expected a mapping of param: value such as {example}, "
                         f"got {_kind_said(value, python)}")
    return value


class ModelConfig(StrictConfig):
    family: str = DEFAULT_FAMILY
    params: dict = Field(default_factory=dict)

    @field_validator("family", mode="before")
    @classmethod
    def _family_name(cls, value, info: ValidationInfo):
        if not isinstance(value, str):  # `family: [embed]` read "Input should be a valid string"
            raise ValueError(f"expected one family name ({', '.join(families())}), "
                             f"got {_kind_said(value, _python_written(info))}")
        return value

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value, info: ValidationInfo):
        return _params_mapping(value, info)

    @model_validator(mode="after")
    @_with_the_others
    def _check_params(self, info: ValidationInfo) -> ModelConfig:
        self.params = validate_params(self.family, self.params, saved=_saved(info),
                                      how=written_in(info.context))
        return self


class AugmentConfig(StrictConfig):
    """Rows added to the training side: translated copies of training rows in languages the
    training data lacks, and easy negatives (augment/easy_negatives.py).

    They join the training side of every fold and the final fit, never a validation fold, so
    out-of-fold scores and the threshold are measured on original rows only.
    """

    translate: dict[str, str] = Field(default_factory=dict)  # new language -> source language
    backend: Literal["apertium", "table", "hf"] = "apertium"
    cache: str | None = None  # SQLite translation cache
    table: str | None = None  # for backend: table
    model: str | None = None  # for backend: hf
    # easy negatives per training row: a relevant row's query with a target from another
    # branch (QC) or another query (QI), label 0, row weight easy_negative_weight
    easy_negatives: float = Field(0.0, ge=0.0, le=10.0)
    easy_negative_weight: float = Field(1.0, gt=0.0, le=100.0)
    # as data.translator's: whether a new language's region ({pt-BR: es}) is asked of the
    # backend (Apertium's es-pt_BR where installed) or its base language's (es-pt), as before
    # regional pairs, which a run's config.yaml recording none reads (a refit of it, e.g.
    # distill --nested, makes the copies it trained on)
    regional_pairs: bool = True

    @model_validator(mode="before")
    @classmethod
    def _older_runs(cls, data, info: ValidationInfo):
        return _before_regional_pairs(data, info, "translate")

    # {asked_pairs key: the tag its copies carry} where that is not the key's own (tagged_as)
    _copy_tags: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def asked_pairs(self) -> dict[str, str]:
        """translate as the backend is asked it: {pt-BR: es} as written where regional_pairs,
        else {pt: es}; its rows are tagged as asked (pt-BR, or pt as an older run's were)."""
        from shoprel.data.language_tags import base_language

        return {new if self.regional_pairs else base_language(new): source
                for new, source in self.translate.items()}

    @property
    def copy_tags(self) -> dict[str, str]:
        """Each asked_pairs key and the tag its copies carry: the key as every command reads
        it ('pt-BR'), or what a refitted run recorded (tagged_as)."""
        from shoprel.data.language_tags import canonical_tag

        return {new: self._copy_tags.get(new, canonical_tag(new)) for new in self.asked_pairs}

    def tagged_as(self, recorded) -> AugmentConfig:
        """This section with its copies tagged as a run recorded them (`recorded`: its
        metrics.json data.translated_rows). A {pt-BR: es} run trained before copies were
        tagged pt-BR recorded {pt: N}: a refit of it (distill --nested) makes pt copies, as
        the run trained on, not pt-BR ones. Itself where the record names each key's tag."""
        from shoprel.data.language_tags import base_language, canonical_tag

        if not isinstance(recorded, dict):
            return self
        made = {canonical_tag(str(tag)) for tag in recorded}
        older = {new: base_language(new) for new in self.asked_pairs
                 if canonical_tag(new) not in made and base_language(new) in made}
        if not older:
            return self
        section = self.model_copy()
        section._copy_tags = older
        return section

    @field_validator("translate")
    @classmethod
    @_with_the_others
    def _language_pairs(cls, pairs: dict[str, str]) -> dict[str, str]:
        """Each side a language tag, two languages: `'': es` was refused only after the file
        was read, as 'no route es -> ', and `en: en` as 'its own source' with no place named."""
        from shoprel.augment.translator import is_language_tag
        from shoprel.data.language_tags import base_language

        for new, source in pairs.items():
            for code in (new, source):
                if not is_language_tag(code):
                    raise ConfigError(f"{code!r} is not a language tag (two or three letters, "
                                      "e.g. 'it', 'pt-BR'); write {new language: source}")
            if base_language(new) == base_language(source):
                raise ConfigError(f"{new} <- {source}: one language twice; a pair makes rows "
                                  "in a new language from another language's rows")
        return pairs

    @model_validator(mode="after")
    @_with_the_others
    def _check_backend_fields(self) -> AugmentConfig:
        self.cache, self.table = _home(self.cache), _home(self.table)
        check_backend_fields("augment", self.backend, self.table, self.model,
                             needed=bool(self.translate))
        return self


DEFAULT_THRESHOLD = 0.5


class ThresholdConfig(StrictConfig):
    # "oof_f1": the cut maximising positive-class F1 on out-of-fold scores; "fixed": `value`
    mode: Literal["oof_f1", "fixed"] = "oof_f1"
    value: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0)

    @model_validator(mode="after")
    @_with_the_others
    def _value_needs_fixed(self) -> ThresholdConfig:
        """A value the tuned mode would ignore is refused; the default itself passes, as every
        run's saved config.yaml writes it out (`{mode: oof_f1, value: 0.5}`)."""
        if self.mode != "fixed" and self.value != DEFAULT_THRESHOLD:
            raise ConfigError(f"threshold.value: only read with mode: fixed; mode {self.mode} "
                              f"tunes the threshold on out-of-fold scores and would ignore "
                              f"{self.value}: set mode: fixed or remove value")
        return self


class NoiseConfig(StrictConfig):
    """Rows flagged as likely mislabelled, dropped from or down-weighted in the training side
    of every fold and the final fit. They stay in the validation folds, so out-of-fold scores
    and the threshold are measured on all rows.

    `flagged`: ids from `shoprel noise RUN --out FILE` on a run of the same file. Those flags
    came from OOF scores over every fold, so they know the validation rows' labels and the new
    run's OOF figures flatter it (on qc_real: AUC +0.04 that nested flagging does not keep):
    where noise's record beside the file tells it, train says so and metrics.json keeps it.
    `inner_folds`: flag each fit's own training rows by cleanlab on inner-fold scores of the
    run's model; honest, and costs inner_folds extra fits per fit.
    """

    flagged: str | None = None  # file of flagged ids (one a line, or a table with an id column)
    inner_folds: int | None = Field(None, ge=2, le=20)
    mode: Literal["drop", "downweight"] = "downweight"
    weight: float = Field(0.2, ge=0.0, le=1.0)  # a flagged row's weight in downweight mode

    @model_validator(mode="after")
    @_with_the_others
    def _one_source(self) -> NoiseConfig:
        self.flagged = _home(self.flagged)
        if self.flagged is not None and self.inner_folds is not None:
            raise ValueError("give flagged (a file of ids) or inner_folds, not both")
        return self

    @property
    def active(self) -> bool:
        return self.flagged is not None or self.inner_folds is not None


class CheckConfig(StrictConfig):
    """Checks run beside cross-validation, reported in metrics.json and the report."""

    # far pairs (training/far_pairs.py) the fold models score, spread over the folds; 0: none
    far_pairs: int = Field(1000, ge=0, le=1_000_000)


class FinalConfig(StrictConfig):
    refit_full: bool = True  # fit one more model on all rows; predict uses it
    keep_fold_models: bool = True  # keep each fold's model (predict averages them without full)


class Stage0Config(StrictConfig):
    """Cross-task pre-training (the winners' "TAPT"): fit the same family on another labelled
    file first (QI before QC and vice versa); every fold model and the final model start from it.

    Only families whose models can start from saved weights (cross, llm) accept it.
    """

    # the other task's labelled file, or a list of files read as one set of rows (split by
    # language or month: stage0_files.py); null: no stage 0
    data: str | list[str] | None = None
    task: TaskName | None = None  # its task, when its columns do not tell
    params: dict = Field(default_factory=dict)  # model.params overrides for stage 0 (epochs, …)

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value, info: ValidationInfo):
        return _params_mapping(value, info, "epochs", 1)

    @model_validator(mode="after")
    @_with_the_others
    def _expand_home(self) -> Stage0Config:
        if isinstance(self.data, list):
            if not self.data:
                raise ConfigError("stage0.data: an empty list; name a file, a list of files, "
                                  "or null for no stage 0")
            self.data = [_home(file) for file in self.data]
        else:
            self.data = _home(self.data)
        return self

    @property
    def files(self) -> list[str]:
        """stage0.data as a list of files ([] without a stage 0)."""
        return [] if self.data is None else [self.data] if isinstance(self.data, str) \
            else list(self.data)


def _student_model() -> ModelConfig:
    """The carried student's default: the embedding model on Universal Sentence Encoder alone
    (configs/embed-use.yaml), ~10x faster to score than EmbeddingGemma on new texts."""
    return ModelConfig(family="embed", params={"backbone": [STUDENT_BACKBONE]})


class StudentConfig(StrictConfig):
    """A fast student the run carries in `RUN/student/`: once the run's own model is trained,
    it is trained on the same folds (training/distill.py), and `predict`/`serve --scorer
    student` score with it.

    `model`: the student's model section, inline, or the path of a run config YAML whose model
    section it takes (its other sections are the run's). `hard_weight`: the share of the 0/1
    label in each target, the rest being the run's out-of-fold probability; 1.0 by default (the
    labels alone), since the teacher's probabilities lowered the USE student on new queries
    (defaults.py).
    """

    model: ModelConfig = Field(default_factory=_student_model)
    hard_weight: float = Field(CARRIED_HARD_WEIGHT, ge=0.0, le=1.0)

    @field_validator("model", mode="before")
    @classmethod
    def _model_from_file(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            try:
                return load_config(value, {"student": None}).model.model_dump()
            except ConfigError as exc:
                raise ConfigError(f"student.model: {exc}") from None
        if isinstance(value, dict):  # its family and params named as the student's
            try:
                return ModelConfig.model_validate(value, context=info.context).model_dump()
            except ConfigError as exc:
                raise ConfigError(f"student.{exc}") from None
            except ValidationError as exc:  # a check's message names "model..." itself
                python = _python_written(info)
                raise ValueError("; ".join(
                    f"student.{_message(e, python)}" if not e["loc"]
                    else f"student.model.{'.'.join(map(str, e['loc']))}: {_message(e, python)}"
                    for e in exc.errors())) from None
        return value

    @model_validator(mode="after")
    @_with_the_others
    def _check_family(self) -> StudentConfig:
        from shoprel.models.targets import require_row_targets

        try:
            require_row_targets(self.model.family, "a distilled student")
        except ConfigError as exc:
            raise ConfigError(f"student.{exc}") from None
        return self


class RunConfig(StrictConfig):
    """Everything a run was asked to do; saved resolved (with defaults) in the run folder."""

    data: DataConfig = Field(default_factory=DataConfig)
    folds: FoldsConfig = Field(default_factory=FoldsConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    threshold: ThresholdConfig = Field(default_factory=ThresholdConfig)
    final: FinalConfig = Field(default_factory=FinalConfig)
    stage0: Stage0Config = Field(default_factory=Stage0Config)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    # off unless asked (`student: {}` or train --student): one costs about as much training as
    # the model itself and ranks pairs of new queries ~0.04 ROC-AUC below the default model
    # (0.7463 against 0.7868; README, "Scoring speed")
    student: StudentConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _inherit_group_levels(cls, data):
        """A model's inner folds group as the outer folds do unless told otherwise."""
        if isinstance(data, dict):
            model = data.get("model") or {}
            levels = _outer_group_levels(data.get("folds"))
            # an invalid value (levels, a family or params of the wrong shape) is left for its
            # own check to name: `family: [embed]` here was a TypeError's traceback
            shaped = (isinstance(model, dict) and isinstance(model.get("family"), str | None)
                      and isinstance(model.get("params"), dict | None))
            if shaped and levels is not None and _takes_group_levels(model.get("family")):
                params = dict(model.get("params") or {})
                params.setdefault("group_levels", levels)
                data = {**data, "model": {**model, "params": params}}
        return data

    @model_validator(mode="after")
    @_with_the_others
    def _check_final(self) -> RunConfig:
        if not (self.final.refit_full or self.final.keep_fold_models):
            raise ValueError("final: keep the full model or the fold models, or predict has none")
        return self

    @model_validator(mode="after")
    @_with_the_others
    def _check_easy_negative_weight(self) -> RunConfig:
        if self.augment.easy_negatives > 0 and self.augment.easy_negative_weight != 1.0:
            from shoprel.models.targets import require_row_targets

            require_row_targets(self.model.family, "augment.easy_negative_weight")
        return self

    @model_validator(mode="after")
    @_with_the_others
    def _check_stage0(self, info: ValidationInfo) -> RunConfig:
        stage0 = self.stage0
        if stage0.data is None:
            if stage0.params or stage0.task:
                raise ConfigError("stage0: params/task given without stage0.data")
            return self
        family = self.model.family
        if not model_class(family).supports_start_from():
            raise ConfigError(f"stage0.data: family {family} cannot start from a stage-0 model; "
                              "stage 0 needs a family that fine-tunes weights (cross, llm)")
        params = validate_params(family, {**self.model.params, **stage0.params},
                                 where="stage0.params", saved=_saved(info),
                                 how=written_in(info.context))
        run_backbone = self.model.params.get("backbone")
        if params.get("backbone") != run_backbone and not _saved(info):
            # every fit starts from the stage-0 model: refused only once stage 0 was fitted,
            # as the run's backbone "now resolving" to other weights, at model.params' line
            raise ConfigError(f"stage0.params.backbone {params['backbone']!r}: every fold "
                              "model and the final model start from the stage-0 model, so it "
                              "must be trained on the run's backbone (model.params.backbone "
                              f"{run_backbone!r}); leave backbone out of stage0.params")
        return self

    def stage0_params(self) -> dict:
        """The stage-0 model's params: the run's, with stage0.params on top."""
        return validate_params(self.model.family, {**self.model.params, **self.stage0.params})

    def as_fitted(self) -> dict:
        """What decides the model this config fits, to tell two runs' models apart: every
        section but the student (a run's own model is the same with one or without), the
        params that change only how a fit runs (the family's runtime_params) left out of
        model.params and stage0.params."""
        fitted = config_class(self.model.family).fitted_params
        as_dict = self.model_copy(update={"student": None}).model_dump()
        for section in ("model", "stage0"):
            as_dict[section]["params"] = fitted(as_dict[section]["params"])
        return as_dict

    def with_student(self) -> RunConfig:
        """This config with a student carried (train --student): its own `student:` section
        as written, else the default student (what `student: {}` gives)."""
        if self.student is not None:
            return self
        return self.model_copy(update={"student": StudentConfig()})

    def to_yaml(self) -> str:
        return write_config_yaml(self.model_dump(mode="json"))


def _message(error: dict, python: bool = False) -> str:
    """One pydantic error's message in a config's words; a section given as a scalar or a list
    says so (not pydantic's "instance of FoldsConfig"); `python`: said to a Python caller."""
    if error["type"] in ("model_type", "dict_type"):
        return f"expected a mapping of keys, got {_kind_said(error.get('input'), python)}"
    return error_message(error)


def key_lines(text: str) -> dict[str, int]:
    """Dotted key -> the line (1-based) where the YAML text writes it, for errors."""
    lines: dict[str, int] = {}

    def walk(node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    dotted = f"{prefix}{key_node.value}"
                    lines.setdefault(dotted, key_node.start_mark.line + 1)
                    walk(value_node, f"{dotted}.")

    try:
        walk(yaml.compose(text, Loader=yaml.SafeLoader), "")
    except yaml.YAMLError:
        pass  # the loader says what is wrong with it
    return lines


def _at(source: str, named: str, lines: dict[str, int] | None) -> str:
    """The file, and the line of the key `named` (or of its nearest written parent)."""
    parts = named.split(".")
    for depth in range(len(parts), 0, -1):
        line = (lines or {}).get(".".join(parts[:depth]))
        if line is not None:
            return f"{source}: line {line}"
    return source


def _named_in(message: str) -> str:
    """The dotted key a self-keyed message begins with ("model.params.nope: unknown key")."""
    return message.split(":", 1)[0].split(" ", 1)[0]


def _dotted_hint(error: dict, how: str) -> str:
    """`model.family: fast` written in YAML is one key named "model.family", not model's
    family: "unknown key" alone named a key the README documents; say how to write it where
    the user wrote it (`how`: YAML or OVERRIDES)."""
    return dotted_key_hint(error["loc"], how) if error["type"] == "extra_forbidden" else ""


def _set_by(named: str, overridden: dict[str, str]) -> str | None:
    """Who set the dotted key `named`, a section above it ({"model.params": {...}} sets
    model.params.C) or a key below it ({"foo.bar": 1} makes the unknown section foo): its
    entry in `overridden` (dotted key -> the overrides' name), else None."""
    for key, setter in overridden.items():
        if key == named or named.startswith(f"{key}.") or key.startswith(f"{named}."):
            return setter
    return None


# the problems a check names itself, each `key: problem`, one line joined by "; "
_NEXT_KEYED = re.compile(r"; (?=[\w.\[\]-]+: )")


def _covered(named: str, retyped: dict[str, str]) -> bool:
    """Whether a value YAML read as another kind (retyped: field -> its line) is what an error
    about the key `named` is about: said once, as written (config_retyped), not again as
    pydantic or a check read it ("got False")."""
    return any(named == field or named.startswith(f"{field}.") for field in retyped)


def _uncovered(message: str, retyped: dict[str, str]) -> str:
    """A self-keyed message less the problems of keys that `retyped` says (a family's params
    check names every bad param in one message)."""
    return "; ".join(part for part in _NEXT_KEYED.split(message)
                     if not _covered(_named_in(part), retyped))


def _describe(exc: ValidationError, source: str, options: dict[str, str] | None = None,
              lines: dict[str, int] | None = None, how: str = YAML,
              overridden: dict[str, str] | None = None,
              retyped: dict[str, str] | None = None) -> str:
    """`options`: dotted key -> the command-line option that set it, named instead of the file;
    `lines`: dotted key -> its line in the file (key_lines); `how` the config was written;
    `overridden`: dotted key -> the name of the overrides (a Python dict) that set it over the
    file, named instead of the file and of a line that does not write it; `retyped`: field ->
    the line saying a value of it that YAML read as another kind, said first, in place of the
    errors about that field."""
    retyped = retyped or {}
    said = list(retyped.values())
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = _message(error, how in (PYTHON, OVERRIDES)) + _dotted_hint(error, how)
        self_keyed = not error["loc"] or message.startswith((f"{key}.", f"{key}:"))
        if self_keyed and retyped:
            message = _uncovered(message, retyped)
        elif _covered(key, retyped):
            message = ""
        if not message:
            continue
        # a check of a section or the whole names its keys itself
        named = _named_in(message) if self_keyed else key
        setter = _set_by(named, overridden or {})
        if key in (options or {}):
            where = f"{options[key]} (sets {key})"
        elif setter is not None:
            where = setter if self_keyed else f"{setter}: {key}"
        elif self_keyed:
            where = _at(source, named, lines)
        else:
            where = f"{_at(source, key, lines)}: {key}"
        said.append(f"{where}: {message}")
    return "; ".join(said)  # one line: the CLI prints errors as one `error: ...` line


def parse_config(data: dict | None, source: str = "config",
                 options: dict[str, str] | None = None, saved: bool = False,
                 lines: dict[str, int] | None = None, how: str = YAML,
                 overridden: dict[str, str] | None = None,
                 retyped: dict[str, str] | None = None) -> RunConfig:
    """`saved`: a run's own config.yaml, read as it was trained (models.config.SAVED);
    `lines`: where the file writes each key (key_lines), named in errors; `how`: written as a
    YAML file or as a dict of dotted overrides (models.config.YAML, OVERRIDES), for hints;
    `overridden`: the keys overrides set over the file, named by them in errors (_describe);
    `retyped`: the file's values YAML read as another kind than their field takes
    (retyped_lines), refused even where the field takes what YAML read (`k: 010`, 8)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    context = {**(SAVED if saved else {}), "written_in": how}
    retyped = retyped or {}
    try:
        config = RunConfig.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, options, lines, how, overridden, retyped)
                          ) from None
    except ConfigError as exc:
        named = _named_in(str(exc))
        where = _set_by(named, overridden or {}) or _at(source, named, lines)
        own = [] if _covered(named, retyped) else [f"{where}: {exc}"]
        raise ConfigError("; ".join([*retyped.values(), *own])) from None
    if retyped:
        raise ConfigError("; ".join(retyped.values()))
    return config


def _param_types(family, name: str) -> set | None:
    """The types of a family's param `name` (a section's too: params are one flat mapping),
    or None where either is unknown (their own checks say so)."""
    try:
        params = config_class(family if isinstance(family, str) else DEFAULT_FAMILY)
    except ConfigError:
        return None
    sections = params.sections()
    for owner in (params, *sections.values()):
        field = owner.model_fields.get(name)
        if field is not None and name not in sections:
            return leaf_types(field.annotation)
    return None


def _place(data: dict, written: Written) -> Place:
    """The field a value of the file was written in, its types and where inside it the value
    is (config_retyped.Place); the family of `params` as the file names it."""
    model: type[BaseModel] = RunConfig
    node, names, parts = data, [], list(written.path)
    while parts:
        part = parts.pop(0)
        if written.key and not parts:  # a key of a section: a name, which is text
            return ".".join(names), {str}, "a key"
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        parent, node = node, node.get(part) if isinstance(node, dict) else None
        names.append(part)
        if part == "params" and model in (ModelConfig, Stage0Config):
            owner = data.get("model") if model is Stage0Config else parent
            if not parts:  # params itself, given one value (`params: no`): a mapping
                return ".".join(names), {dict}, ""
            if not isinstance(parts[0], str):
                return None
            if written.key and len(parts) == 1:  # a param's name
                return ".".join(names), {str}, "a key"
            names.append(parts.pop(0))
            leaves = _param_types(owner.get("family") if isinstance(owner, dict) else None,
                                  names[-1])
            break
        leaves = leaf_types(field.annotation)
        sections = [leaf for leaf in leaves if isinstance(leaf, type)
                    and issubclass(leaf, BaseModel)]
        if not sections:
            break
        model = sections[0]
    else:  # a section itself, given one value (`data: no`): a mapping is what it takes
        return ".".join(names), {dict if leaf in sections else leaf for leaf in leaves}, ""
    if leaves is None:
        return None
    containers = {get_origin(leaf): get_args(leaf) for leaf in leaves}
    if not parts:
        return ".".join(names), leaves, ""
    if len(parts) == 1 and isinstance(parts[0], int) and (containers.keys() & {list, tuple}):
        return ".".join(names), {str}, f"item {parts[0] + 1} of the list"
    if len(parts) == 1 and dict in containers and len(containers[dict]) == 2:
        key_type, value_type = containers[dict]
        if written.key:
            return ".".join(names), {key_type}, "a key"
        return ".".join([*names, str(parts[0])]), {value_type}, ""
    return None


def retyped_lines(text: str, data, source: str) -> dict[str, str]:
    """`FILE: line N: field: problem` for each value of the config text that YAML read as
    another kind than its field takes (config_retyped), a field's problems joined, by the
    dotted name pydantic's errors give the value (a key read as true is `folds.1` there)."""
    if not isinstance(data, dict):
        return {}
    said: dict[str, str] = {}
    for written, (field, line, problem) in retyped_problems(
            text, lambda written: _place(data, written)):
        named = field
        if written.key:  # pydantic names a key by its value, true as 1
            value = int(written.value) if isinstance(written.value, bool) else written.value
            named = f"{field}.{value}" if field else str(value)
        where = f"{source}: line {line}: {field}: " if field else f"{source}: line {line}: "
        said[named] = f"{said[named]}; {problem}" if named in said else where + problem
    return said


def _is_config_key(named: str) -> bool:
    """Whether a dotted name is a key of the run config (free below a mapping such as params)."""
    model: type[BaseModel] | None = RunConfig
    for part in named.split("."):
        if model is None:
            return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part))
        field = model.model_fields.get(part)
        if field is None:
            return False
        sections = [leaf for leaf in leaf_types(field.annotation)
                    if isinstance(leaf, type) and issubclass(leaf, BaseModel)]
        model = sections[0] if sections else None
    return True


def located(error: ConfigError, path: str | Path | None) -> ConfigError:
    """An error found once training runs (a backbone that will not load, a flagged-ids file
    that is not there) that names a key of the config file `path`, with the file and the key's
    line in front, as a config error reads; any other error as it was."""
    text = str(error)
    named = _named_in(text)
    if path is None or not _is_config_key(named):
        return error  # e.g. "data.csv: not found" names a file, not the key data.csv
    path = Path(path).expanduser()  # named as load_config names it
    try:
        lines = key_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return error
    if named.split(".")[0] not in lines:
        return error  # a key the file does not write: the defaults' or an option's
    return ConfigError(f"{_at(str(path), named, lines)}: {text}")


def load_config(path: str | Path | None = None, overrides: dict | None = None,
                options: dict[str, str] | None = None, saved: bool = False,
                overrides_name: str = "overrides") -> RunConfig:
    """Read a YAML config (or the defaults), then apply dotted overrides like {'folds.k': 3};
    `options` names the command-line option behind an override ({'folds.k': '--folds'}), for
    errors; `saved`: the file is a run's config.yaml (see parse_config); `overrides_name`: what
    errors call the overrides without a file, the argument its caller gave them as."""
    data: dict = {}
    lines: dict[str, int] | None = None
    retyped: dict[str, str] = {}
    source = overrides_name if overrides else "defaults"  # the defaults themselves are valid
    if path is not None:
        path = Path(path).expanduser()  # a quoted `~/c.yaml`, or one from Python
        source = str(path)
        reason = not_a_file(path)
        if reason:
            raise ConfigError(f"{path}: " + ("config file not found" if reason ==
                                              "file not found" else f"config {reason}"))
        try:
            text = path.read_text(encoding="utf-8")
            data = read_config_yaml(text)
            lines = key_lines(text)
            # a run's config.yaml quotes every text (write_config_yaml): read as it was written
            retyped = {} if saved else retyped_lines(text, data, source)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
        except UnicodeDecodeError as exc:
            if (said := utf16_said(exc.object)) is not None:  # an editor's 'Unicode'
                raise ConfigError(f"{path}: {said}") from None
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            raise ConfigError(f"{path}: line {line}: invalid UTF-8 "
                              f"({exc.object[exc.start:exc.start + 4]!r}); save it as UTF-8"
                              ) from None
        if data is None:  # an empty file (a redirect that truncated it, an unsaved editor)
            # trained the default model, for hours on a large file, as if no file were given;
            # a run's emptied config.yaml read as the default model's
            said = (" (a run's config.yaml records every setting: the run is damaged)" if saved
                    else "; write {} for the defaults, or leave the config file out")
            raise ConfigError(f"{path}: holds no settings (empty, comments only or null)"
                              + said)
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        if overrides:  # the file as written: an option set over a wrong value hides it
            # (`folds:` left empty is no value: an option may fill it)
            parse_config(copy.deepcopy({k: v for k, v in data.items() if v is not None}),
                         source, lines=lines, retyped=retyped)
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for depth, part in enumerate(parents, start=1):
            if node.get(part) is None:  # absent, or `folds:` left empty in the file
                node[part] = {}
            node = node[part]
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {'.'.join(parents[:depth])}: expected a mapping, "
                                  f"found {type(node).__name__}")
        node[leaf] = value
    # an option names itself only for the keys it set: a file's own mistake names the file
    options = {key: flag for key, flag in (options or {}).items() if key in (overrides or {})}
    # a file with overrides was checked alone above: what is wrong now, the overrides brought;
    # a key they set is theirs, not the file's (which said "c.yaml: line 3: model.params.CC:
    # unknown key", the line of `model:`, for a key only the overrides wrote)
    overridden = ({key: overrides_name for key in overrides if key not in options}
                  if path is not None and overrides else None)
    how = OVERRIDES if overrides else YAML
    return parse_config(data, source, options, saved, lines, how, overridden, retyped)
