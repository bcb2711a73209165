"""Run configs: YAML validated into typed objects, errors naming the bad key."""

from __future__ import annotations

import functools
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shoprel.errors import ConfigError
from shoprel.models.base import config_class, validate_params
from shoprel.models.config import (
    OVERRIDES,
    PYTHON,
    Seed,
    StrictConfig,
    error_message,
    kind_said,
    written_in,
)
from shoprel.models.registry import families, model_class
from shoprel.training.config_yaml import write_config_yaml
from shoprel.training.defaults import (
    CARRIED_HARD_WEIGHT,
    FOLDS_MAX,
    FOLDS_MIN,
    STUDENT_BACKBONE,
)
from shoprel.utils.keyed_message import under
from shoprel.utils.path_limits import expanded_usable

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


def _home(path: str | None, key: str) -> str | None:
    """YAML does not expand `~` as a shell would: `cache: ~/.cache/x` made a folder named `~`.
    A path no file can be at (a `~name` of no user known here, a name too long) is refused at
    its key (`key`), as a command's path argument is: it was a traceback where it was read."""
    return None if path is None else expanded_usable(path, key, ConfigError)


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
        self.cache = _home(self.cache, "data.translator.cache")
        self.table = _home(self.table, "data.translator.table")
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
    lone_key: ClassVar[str] = "k"  # `folds: 3` meant three folds
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


def _params_mapping(value, info: ValidationInfo, param: str = "n_jobs", number: int = 2):
    if not isinstance(value, dict):
        python = _python_written(info)
        example = f"{{{param!r}: {number}}}" if python else f"{{{param}: {number}}}"
        raise ValueError(f"expected a mapping of param: value such as {example}, "
                         f"got {kind_said(value, python)}")
    return value


class ModelConfig(StrictConfig):
    lone_key: ClassVar[str] = "family"  # `model: fast` meant the family
    family: str = DEFAULT_FAMILY
    params: dict = Field(default_factory=dict)

    @field_validator("family", mode="before")
    @classmethod
    def _family_name(cls, value, info: ValidationInfo):
        if not isinstance(value, str):  # `family: [embed]` read "Input should be a valid string"
            raise ValueError(f"expected one family name ({', '.join(families())}), "
                             f"got {kind_said(value, _python_written(info))}")
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
        self.cache = _home(self.cache, "augment.cache")
        self.table = _home(self.table, "augment.table")
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
        self.flagged = _home(self.flagged, "noise.flagged")
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
            self.data = [_home(file, "stage0.data") for file in self.data]
        else:
            self.data = _home(self.data, "stage0.data")
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
                from shoprel.training.config_reading import load_config

                return load_config(value, {"student": None}).model.model_dump()
            except ConfigError as exc:
                raise ConfigError(f"student.model: {exc}") from None
        if isinstance(value, dict):  # its family and params named as the student's
            try:
                return ModelConfig.model_validate(value, context=info.context).model_dump()
            except ConfigError as exc:
                raise ConfigError(under("student", str(exc))) from None
            except ValidationError as exc:  # a check's message names "model..." itself
                python = _python_written(info)
                raise ValueError("; ".join(
                    under("student", error_message(e, ModelConfig, python)) if not e["loc"]
                    else f"student.model.{'.'.join(map(str, e['loc']))}: "
                    f"{error_message(e, ModelConfig, python)}"
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
            # named from the registry: a hand-kept list left the bi-encoder out
            able = [name for name in families() if model_class(name).supports_start_from()]
            raise ConfigError(f"stage0.data: family {family} cannot start from a stage-0 model; "
                              f"stage 0 needs a family that fine-tunes weights "
                              f"({', '.join(able)})")
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
