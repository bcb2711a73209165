"""The API's training: a run config, `train`, `pretrain` and `distill_student`."""

from __future__ import annotations

import os
from pathlib import Path

from shoprel.api.checks import path_list, real_number, task_argument, whole_number
from shoprel.api.wording import in_python_words, python_notes
from shoprel.data.records import python_kind
from shoprel.errors import ConfigError
from shoprel.folds.small import folds_key
from shoprel.training.config import RunConfig
from shoprel.training.config_reading import load_config as _load_config
from shoprel.training.config_reading import located
from shoprel.training.curve import DEFAULT_FRACTIONS, check_fractions
from shoprel.training.defaults import DEFAULT_HARD_WEIGHT, FOLDS_MAX, FOLDS_MIN, SPEED_ROWS
from shoprel.training.distill import TEACHES_NOTHING, distill
from shoprel.training.pretrain import PretrainConfig, PretrainResult
from shoprel.training.pretrain import pretrain as _pretrain
from shoprel.training.runner import TrainResult
from shoprel.training.runner import train as _train_run
from shoprel.utils.arguments import WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.bounds import not_finite, out_of_range
from shoprel.utils.scalars import python_scalar
from shoprel.utils.signals import stops_on_sigterm

__all__ = ["distill_student", "load_config", "pretrain", "train"]


def _config(config, name: str = "config") -> RunConfig | None:
    """`name`: the argument the caller gave the config as, named in its errors (a dict's bad
    key said 'overrides: ...', an argument train has not)."""
    if config is None:
        return config
    if isinstance(config, RunConfig):
        # checked again, as pretrain checks its config: a field set since it was built
        # (`config.folds.k = 1`, `config.model.params["CC"] = 3`) was trained unchecked, into
        # a ValueError's or TypeError's traceback midway
        return _rechecked(config)
    if isinstance(config, dict):
        return _load_config(None, _overrides(config, name), overrides_name=name)
    if isinstance(config, str | os.PathLike):
        return _load_config(config)
    raise ConfigError(f"{name}: {python_kind(config)} is not a YAML path, a dict of dotted "
                      "overrides or a RunConfig")


@in_python_words
def load_config(path: str | Path | dict | None = None, overrides: dict | None = None
                ) -> RunConfig:
    """A run config: a YAML file (or the defaults) with dotted overrides such as
    `{"folds.k": 3}` applied; `load_config({...})` takes the dict as the overrides."""
    if isinstance(path, dict) and overrides is None:
        path, overrides = None, path
    if path is not None:
        path = path_argument(path, "path")
    if overrides is not None and not isinstance(overrides, dict):
        raise ConfigError(f"overrides: {python_kind(overrides)} is not a dict of dotted names")
    return _load_config(path, None if overrides is None else _overrides(overrides, "overrides"))


def _overrides(overrides: dict, name: str) -> dict:
    """An overrides dict whose keys are all dotted names (a number key failed in an
    AttributeError traceback where the loader splits it at dots)."""
    if not all(isinstance(key, str) for key in overrides):
        raise ConfigError(f"{name}: the keys of an overrides dict are dotted names such as "
                          "'folds.k'")
    return overrides


@in_python_words
@stops_on_sigterm
def train(train_file: str | Path, out_dir: str | Path,
          config: RunConfig | str | Path | dict | None = None, overwrite: bool = False,
          progress: bool = True, task: str | None = None, learning_curve: bool = False,
          curve_fractions: list[float] | None = None, folds: int | None = None,
          student: bool | None = None) -> TrainResult:
    """`shoprel train`: cross-validate, tune the threshold, fit the final model, write the run.
    `config`: a RunConfig, a YAML file, or a dict of dotted overrides such as
    `{"model.family": "fast", "folds.k": 3}` on the defaults; `task` ("QC"/"QI") only for a
    file holding both target columns (`--task`); `learning_curve=True` also fits each fold on
    shares of its rows (`curve_fractions`, default 0.1, 0.25, 0.5), as `--learning-curve`:
    `result.metrics["learning_curve"]` and the report's chart; `folds` (over the config's
    folds.k) and `student` (True: carry the config's student, else the default one; False:
    none, whatever the config says) as `--folds` and `--student/--no-student`. The note the
    command prints before the student's work (a student of the run's own model) is written
    on stderr, unless progress=False."""
    train_file = path_argument(train_file, "train_file", WRITE_IT_FIRST)
    out_dir = path_argument(out_dir, "out_dir")
    overwrite = flag_argument(overwrite, "overwrite")
    progress = flag_argument(progress, "progress")
    fractions = _curve_fractions(flag_argument(learning_curve, "learning_curve"),
                                 curve_fractions)
    config_file = config if isinstance(config, str | os.PathLike) else None
    given = config
    config = _config(config)
    set_folds = _folds_set(folds, given, config)
    task = task_argument(task)
    if task is not None:
        config = config or RunConfig()
        config = config.model_copy(update={"data": config.data.model_copy(
            update={"task": task})})
    if folds is not None:
        config = config or RunConfig()
        config = config.model_copy(update={"folds": config.folds.model_copy(
            update={"k": _folds(folds)})})
    if student is not None:  # None: as the config says
        config = config or RunConfig()
        config = (config.with_student() if flag_argument(student, "student")
                  else config.model_copy(update={"student": None}))
    try:
        return _train_run(train_file, out_dir, config, overwrite=overwrite, progress=progress,
                          curve_fractions=fractions, set_folds=set_folds,
                          say=python_notes(progress))
    except ConfigError as exc:  # a key found wrong only now: said where the file writes it
        raise located(exc, config_file) from None


def _folds_set(folds, given, config: RunConfig | None):
    """How this caller sets the number of folds, for the small-folds note: the YAML file's key
    or the overrides dict's where they set it and `folds` does not (a rerun reads them again),
    else `folds=`. `given`: the config argument as given, `config` the RunConfig read from it."""
    if folds is None and isinstance(given, dict) and "folds.k" in given:
        return lambda k: f'"folds.k": {k} in config'
    if (folds is None and isinstance(given, str | os.PathLike)
            and "k" in config.folds.model_fields_set):
        return folds_key(given)
    return lambda k: f"folds={k}"


def _folds(folds) -> int:
    """A number of folds, refused as --folds refuses it (a count, FOLDS_MIN to FOLDS_MAX)."""
    k = whole_number(folds, "folds")
    problem = out_of_range(k, ge=FOLDS_MIN, le=FOLDS_MAX)
    if problem:
        raise ConfigError(f"folds: {problem}")
    return k


def _curve_fractions(curve: bool, fractions) -> list[float] | None:
    """The learning curve's shares, as `--learning-curve` / `--curve-fractions` take them:
    only with the curve asked for (they would read nothing, silently), a list of numbers
    strictly between 0 and 1, refused naming the argument (curve.check_fractions says
    'learning curve: ...')."""
    if fractions is not None and not curve:
        raise ConfigError("curve_fractions: only with learning_curve=True")
    if not curve:
        return None
    if fractions is None:
        return list(DEFAULT_FRACTIONS)
    if not isinstance(fractions, list | tuple):
        raise ConfigError(f"curve_fractions: {python_kind(fractions)} is not a list of shares "
                          "such as [0.1, 0.25, 0.5]")
    if not fractions:
        raise ConfigError("curve_fractions: no share given; give shares such as "
                          "[0.1, 0.25, 0.5]")
    fractions = [python_scalar(fraction) for fraction in fractions]
    for fraction in fractions:  # nan and inf as --curve-fractions says them, not as a range
        problem = isinstance(fraction, float) and not_finite(fraction)
        if problem:
            raise ConfigError(f"curve_fractions: {problem}")
    try:
        return check_fractions(fractions)
    except ConfigError as exc:
        raise ConfigError(f"curve_fractions: {str(exc).removeprefix('learning curve: ')}"
                          ) from None


@in_python_words
@stops_on_sigterm
def pretrain(files: str | Path | list[str | Path], out_dir: str | Path,
             config: PretrainConfig | dict | None = None, overwrite: bool = False,
             progress: bool = True) -> PretrainResult:
    """`shoprel pretrain`: masked-LM pre-training of an encoder on the files' queries and
    targets, written to `out_dir` as a backbone folder. `config`: a PretrainConfig or a dict of
    its settings, e.g. `{"backbone": "e5-small", "max_steps": 200}`."""
    return _pretrain(files, out_dir, config, overwrite=overwrite, progress=progress)


@in_python_words
@stops_on_sigterm
def distill_student(teacher_dir: str | Path, student: RunConfig | str | Path | dict | None,
                    out_dir: str | Path, hard_weight: float = DEFAULT_HARD_WEIGHT,
                    speed_rows: int = SPEED_ROWS, nested: bool = False,
                    unlabeled: list[str | Path] | None = None, overwrite: bool = False,
                    progress: bool = True, train: str | Path | None = None,
                    stage0_train: str | Path | None = None) -> TrainResult:
    """`shoprel distill`: train a student run on the teacher's (a run's or an ensemble's)
    out-of-fold probabilities. `student`: its config as `train` takes one (a RunConfig, a YAML
    file or a dict of dotted overrides); its folds are the teacher's. None: the student the
    teacher run's config names, as train(..., student=True) distils it. `result.metrics
    ["distillation"]` holds teacher and student figures, as the command prints them.
    `train`: the teacher's training file's new place where it has moved (the same data,
    checked); `stage0_train`: its stage-0 file's, which the nested refits read. The notes the
    command prints before the work (a student of the teacher's own model, a stage 0 the nested
    refits start without) are written on stderr, unless progress=False."""
    config_file = student if isinstance(student, str | os.PathLike) else None
    config = _config(student, "student")  # None: the one the teacher's config names
    teacher_dir = path_argument(teacher_dir, "teacher_dir")
    out_dir = path_argument(out_dir, "out_dir")
    hard_weight = real_number(hard_weight, "hard_weight", "0 to 1")
    overwrite = flag_argument(overwrite, "overwrite")
    progress = flag_argument(progress, "progress")
    speed_rows = whole_number(speed_rows, "speed_rows")
    nested = flag_argument(nested, "nested")
    unlabeled = [] if unlabeled is None else path_list(unlabeled, "unlabeled", "pair files")
    train = None if train is None else path_argument(train, "train")
    stage0_train = None if stage0_train is None else path_argument(stage0_train, "stage0_train")
    # the notes `shoprel distill` prints (a student of the teacher's own model, a stage 0 the
    # nested refits start without...), said as train says its own: on stderr unless
    # progress=False; 1.0 alone (the command's range), where distill refuses more
    say = python_notes(progress)
    if say is not None and hard_weight == 1.0 and not unlabeled and not nested:
        say(TEACHES_NOTHING)  # before the work, as the command says it
    try:
        return distill(teacher_dir, config, out_dir, hard_weight, overwrite=overwrite,
                       progress=progress, speed_rows=speed_rows, nested=nested,
                       unlabeled=unlabeled, say=say, train_file=train,
                       stage0_train=stage0_train)
    except ConfigError as exc:  # a key of the student's config found wrong only now
        raise located(exc, config_file) from None


def _rechecked(config: RunConfig) -> RunConfig:
    """A RunConfig checked again (see _config) whose sections set or changed stay the only
    ones set: distill says when a student's own folds go unused, and a whole dump set them
    all (`config.folds.k = 4` changes folds without marking it set on the config)."""
    changed = {name for name, field in RunConfig.model_fields.items()
               if getattr(config, name) != field.get_default(call_default_factory=True)}
    return RunConfig(**config.model_dump(include=config.model_fields_set | changed))
