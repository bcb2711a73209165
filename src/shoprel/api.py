"""The Python API: what the CLI commands do, as functions, and a run that scores pairs held in
memory. The CLI parses and prints; these do the work, so a notebook or a pipeline gets the same
runs, outputs and one-line errors (`shoprel.errors.ShoprelError`) as the command line.
(`predict_file`, `evaluate_file`, `ensemble_runs`..., not `predict`, `evaluate`, `ensemble`:
those name subpackages.) Every command has its function but `serve` (an HTTP server: `Scorer`
scores in memory) and `demo` (a tour of the commands).

    import shoprel

    result = shoprel.train("train_QC.txt", "runs/qc")        # as `shoprel train`
    print(result.metrics["overall"]["roc_auc"])
    run = shoprel.Scorer("runs/qc")                          # models loaded once
    table = run.score([{"origin_query": "yoga mat", "language": "en",
                        "category_path": "sports & entertainment,fitness,yoga mats"}])
    shoprel.predict_file("runs/qc", "test_QC.txt", "submission_QC.txt")
    shoprel.evaluate_file("submission_QC.txt", "gold_QC.txt")["overall"]["f1"]
    shoprel.pretrain(["train_QC.txt", "test_QC.txt"], "e5-tapt", {"max_steps": 200})
    shoprel.ensemble_runs(["runs/qc", "runs/qc-b"], "runs/qc-ens")     # as `shoprel ensemble`
    shoprel.noisy_rows("runs/qc", out_file="flagged.txt").flagged     # as `shoprel noise`
    shoprel.check_submission("submission_QC.txt", "test_QC.txt").ok   # as `check-submission`
    shoprel.add_far_pairs("runs/qc", pairs=1000).far_pairs            # as `shoprel far-pairs`
    shoprel.langid_file("test_QC.txt", "test_QC.lid.jsonl").lines()   # as `shoprel langid`
    shoprel.prune_cache(stale=True, dry_run=True).chosen              # as `shoprel cache prune`
    shoprel.translate_file("test_QC.txt", "test_QC.en.jsonl", to="en").totals  # as `translate`
    shoprel.export_onnx("runs/qc-cross", int8=True)                   # as `shoprel export`
"""

from __future__ import annotations

import functools
import numbers
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.augment.backends import BACKENDS
from shoprel.augment.langid import LangidReport
from shoprel.augment.langid import langid_file as _langid_file
from shoprel.augment.translate_file import TranslationReport, translate_with_backend
from shoprel.data.frame import PairFrame
from shoprel.data.memory import pair_frames
from shoprel.data.readers import read_pairs as _read_pairs
from shoprel.data.records import python_kind
from shoprel.data.submission import SubmissionCheck
from shoprel.data.submission import check_submission as _check_submission
from shoprel.ensemble.combine import check_weights
from shoprel.ensemble.cuts import language_cuts
from shoprel.ensemble.noise import NoiseResult, flag_noisy_rows
from shoprel.ensemble.runner import EnsembleResult, build_ensemble
from shoprel.errors import ConfigError, ShoprelError
from shoprel.evaluate.compare import Comparison
from shoprel.evaluate.files import evaluate_files
from shoprel.evaluate.report.compare_page import write_comparison
from shoprel.evaluate.report.document import write_report_file
from shoprel.export.onnx import export_run
from shoprel.models.cache_inventory import KINDS, parse_size
from shoprel.models.cache_upkeep import CacheListing, PruneResult
from shoprel.models.cache_upkeep import list_cache as _list_cache
from shoprel.models.cache_upkeep import prune_cache as _prune_cache
from shoprel.predict.cascade import DEFAULT_SHARE, SCORERS, scorer_in_any_case
from shoprel.predict.index import IndexResult, build_index
from shoprel.predict.languages import translated_only_tags, unseen_as_trained
from shoprel.predict.predictor import PredictResult, open_predictor, translated_languages
from shoprel.predict.predictor import predict_file as _predict_file
from shoprel.training.config import RunConfig, located
from shoprel.training.config import load_config as _load_config
from shoprel.training.defaults import DEFAULT_HARD_WEIGHT, SPEED_ROWS
from shoprel.training.distill import distill
from shoprel.training.far_pairs_existing import DEFAULT_PAIRS, FarPairsResult
from shoprel.training.far_pairs_existing import add_far_pairs as _add_far_pairs
from shoprel.training.pretrain import PretrainConfig, PretrainResult
from shoprel.training.pretrain import pretrain as _pretrain
from shoprel.training.runner import TrainResult
from shoprel.training.runner import train as _train_run
from shoprel.utils.arguments import OR_SCORE_IT, WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.bounds import out_of_range
from shoprel.utils.progress import honours_progress
from shoprel.utils.scalars import is_boolean, python_scalar

__all__ = ["Scorer", "add_far_pairs", "check_submission", "compare_runs", "distill_student",
           "ensemble_runs", "evaluate_file", "export_onnx", "index_targets", "langid_file",
           "list_cache", "load_config", "noisy_rows", "predict_file", "pretrain", "prune_cache",
           "read_pairs", "train", "translate_file", "write_report"]
# the command-line words in messages of the code below, and what they are called here
_PYTHON_WORDS = (("(use --overwrite to replace it)", "(overwrite=True replaces it)"),
                 ("--overwrite replaces only", "overwrite=True replaces only"),
                 ("--overwrite would delete it", "overwrite=True would delete it"),
                 ("drop --student (or the config's student: section)",
                  "drop the config's student section"),
                 ("give the task (--task QC|QI)", "give the task (task='QC' or 'QI')"),
                 ("--scorer full", "scorer='full'"), ("--scorer student", "scorer='student'"),
                 ("--scorer cascade", "scorer='cascade'"), ("--cascade-share", "cascade_share"),
                 ("--chunk-rows", "chunk_rows"), ("--index", "indexes"),
                 ("--recent-texts", "recent_texts"),
                 ("--shrinkage: applies only with --per-language-thresholds",
                  "shrinkage: applies only with per_language_thresholds=True"),
                 ("--shrinkage", "shrinkage"), ("--weights", "weights"),
                 ("--hard-weight:", "hard_weight:"), ("--nested:", "nested=True:"),
                 ("distill without --nested", "distill without nested=True"),
                 ("(--unlabeled)", "(unlabeled)"), ("give --out FOLDER", "give out=FOLDER"),
                 ("--out needs a folder for the index", "out needs a folder for the index"),
                 ("given as both --out and --filtered-train",
                  "given as both out_file and filtered_train"), ("--pairs:", "pairs:"),
                 ("--candidates: no language given; write comma-separated codes such as "
                  "en,es,fr", "candidates: no language given; give codes such as "
                              "['en', 'es', 'fr']"), ("--candidates:", "candidates:"),
                 ("say what to remove: --stale, --kind, --older-than or --keep-under "
                  "(`shoprel cache list` shows what there is)",
                  "say what to remove: stale=True, kinds, older_than or keep_under "
                  "(shoprel.list_cache() shows what there is)"),
                 *((f"(this command translates with --backend {backend})",
                    f"(this call translates with backend={backend!r})") for backend in BACKENDS),
                 *((f"only read by --backend {backend}", f"only read by backend={backend!r}")
                   for backend in BACKENDS),
                 ("--table:", "table:"), ("--model:", "model:"), ("--beams:", "beams:"),
                 ("--device:", "device:"), ("--backend:", "backend:"), ("--to:", "to:"),
                 ("(--table PATH)", "(table=PATH)"), ("(--model PATH)", "(model=PATH)"),
                 ("--device '", "device '"),
                 ("; --cache needs a file of its own", "; cache needs a file of its own"),
                 ("where the same command run again finds them",
                  "where the same call run again finds them"),
                 ("--int8-weights: applies only with --int8",
                  "int8_weights: applies only with int8=True"))


def _in_python_words(function):
    """The errors of the code below name command-line options; called from Python, they name
    the parameters instead (same error, same fields, other words)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ShoprelError as error:
            _reword(error)
            raise
    return wrapper


def _reword(error: ShoprelError) -> None:
    """Every text a caller reads off the error in the same words: its message (str, args) and
    an InputError's reason; the path, line and field it names stay as they are (a folder may
    be called `runs--index`)."""
    message = error.args[0] if error.args else None
    if not isinstance(message, str):
        return
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and message.endswith(reason):
        where = message[:len(message) - len(reason)]
        error.reason = _python_words(reason)
        error.args = (where + error.reason, *error.args[1:])
    else:
        error.args = (_python_words(message), *error.args[1:])


def _python_words(text: str) -> str:
    for cli, python in _PYTHON_WORDS:
        text = text.replace(cli, python)
    return text


def _config(config) -> RunConfig | None:
    if config is None:
        return config
    if isinstance(config, RunConfig):
        # checked again, as pretrain checks its config: a field set since it was built
        # (`config.folds.k = 1`, `config.model.params["CC"] = 3`) was trained unchecked, into
        # a ValueError's or TypeError's traceback midway
        return _rechecked(config)
    if isinstance(config, dict):
        return _load_config(None, _overrides(config, "config"))
    if isinstance(config, str | os.PathLike):
        return _load_config(config)
    raise ConfigError(f"config: {python_kind(config)} is not a YAML path, a dict of dotted "
                      "overrides or a RunConfig")


@_in_python_words
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


@_in_python_words
def train(train_file: str | Path, out_dir: str | Path,
          config: RunConfig | str | Path | dict | None = None, overwrite: bool = False,
          progress: bool = True, task: str | None = None) -> TrainResult:
    """`shoprel train`: cross-validate, tune the threshold, fit the final model, write the run.
    `config`: a RunConfig, a YAML file, or a dict of dotted overrides such as
    `{"model.family": "fast", "folds.k": 3}` on the defaults; `task` ("QC"/"QI") only for a
    file holding both target columns (`--task`)."""
    train_file = path_argument(train_file, "train_file", WRITE_IT_FIRST)
    out_dir = path_argument(out_dir, "out_dir")
    overwrite = flag_argument(overwrite, "overwrite")
    progress = flag_argument(progress, "progress")
    config_file = config if isinstance(config, str | os.PathLike) else None
    config = _config(config)
    if task is not None:
        if not isinstance(task, str) or task.upper() not in ("QC", "QI"):
            raise ConfigError(f"task: 'QC' or 'QI', got {task!r}")
        config = config or RunConfig()
        config = config.model_copy(update={"data": config.data.model_copy(
            update={"task": task.upper()})})
    try:
        return _train_run(train_file, out_dir, config, overwrite=overwrite, progress=progress)
    except ConfigError as exc:  # a key found wrong only now: said where the file writes it
        raise located(exc, config_file) from None


@_in_python_words
def predict_file(run_dir: str | Path, input_file: str | Path, out_file: str | Path,
                 scorer: str = "full", indexes: list[str | Path] | None = None,
                 overwrite: bool = False, progress: bool = True, chunk_rows: int = 20_000,
                 cascade_share: float | None = None) -> PredictResult:
    """`shoprel predict`: score a file into a submission file (same format rules and guards);
    `scorer`, `indexes`, `chunk_rows`, `cascade_share` as its options."""
    scorer = _scorer(scorer)
    return _predict_file(path_argument(run_dir, "run_dir"),
                         path_argument(input_file, "input_file", OR_SCORE_IT),
                         path_argument(out_file, "out_file"), chunk_rows=chunk_rows,
                         progress=flag_argument(progress, "progress"), indexes=_indexes(indexes),
                         scorer=scorer, overwrite=flag_argument(overwrite, "overwrite"),
                         cascade_share=_cascade_share(cascade_share, scorer))


@_in_python_words
def evaluate_file(predictions: str | Path, gold: str | Path, task: str | None = None) -> dict:
    """`shoprel evaluate`: F1, precision, recall, ROC-AUC and all-positive F1, overall and per
    language, of a predictions file against labelled rows."""
    return evaluate_files(path_argument(predictions, "predictions", WRITE_IT_FIRST),
                          path_argument(gold, "gold", WRITE_IT_FIRST), task)


@_in_python_words
def check_submission(submission: str | Path, input_file: str | Path,
                     task: str | None = None) -> SubmissionCheck:
    """`shoprel check-submission`: ids, order, count and 0/1 values of a submission against
    the file it answers. A submission a grader would refuse is no error: `result.ok` is False
    and `result.problems` lists what the command prints (the first 20, each naming the line and
    field; `result.more_problems` counts the rest); a file that cannot be read at all raises."""
    return _check_submission(path_argument(submission, "submission", WRITE_IT_FIRST),
                             path_argument(input_file, "input_file", WRITE_IT_FIRST), task)


@_in_python_words
def read_pairs(path: str | Path, task: str | None = None, require_label: bool = False,
               empty_text: str = "keep", both_labels: bool = True,
               read_labels: bool = True) -> PairFrame:
    """A whole pair file, every row checked by the file rules (as `shoprel.Scorer.score`
    takes it); a path that is no path (a DataFrame) is one line, as the API's other files."""
    return _read_pairs(path_argument(path, "path", OR_SCORE_IT), task,
                       require_label=flag_argument(require_label, "require_label"),
                       empty_text=empty_text,
                       both_labels=flag_argument(both_labels, "both_labels"),
                       read_labels=flag_argument(read_labels, "read_labels"))


@_in_python_words
def pretrain(files: str | Path | list[str | Path], out_dir: str | Path,
             config: PretrainConfig | dict | None = None, overwrite: bool = False,
             progress: bool = True) -> PretrainResult:
    """`shoprel pretrain`: masked-LM pre-training of an encoder on the files' queries and
    targets, written to `out_dir` as a backbone folder. `config`: a PretrainConfig or a dict of
    its settings, e.g. `{"backbone": "e5-small", "max_steps": 200}`."""
    return _pretrain(files, out_dir, config, overwrite=overwrite, progress=progress)


@_in_python_words
def ensemble_runs(run_dirs: list[str | Path], out_dir: str | Path, method: str = "mean",
                  weights: list[float] | None = None, per_language_thresholds: bool = False,
                  shrinkage: float | None = None, overwrite: bool = False) -> EnsembleResult:
    """`shoprel ensemble`: combine cross-validated runs trained on the same rows and folds into
    an ensemble folder that `predict_file` and `Scorer` take as a run. `weights`: one number a
    run (searched when absent for "weighted"); `shrinkage` only with per-language cuts.
    `result.metrics` holds the members' and the ensemble's OOF figures."""
    return build_ensemble(
        _paths(run_dirs, "run_dirs", "run folders"), path_argument(out_dir, "out_dir"), method,
        _weights(weights), flag_argument(per_language_thresholds, "per_language_thresholds"),
        None if shrinkage is None else _number(shrinkage, "shrinkage", "rows' worth of pull"),
        flag_argument(overwrite, "overwrite"))


@_in_python_words
def compare_runs(run_dirs: list[str | Path], out_file: str | Path,
                 overwrite: bool = False) -> Comparison:
    """`shoprel compare`: paired per-fold differences of runs on the same rows and folds, the
    first the reference; the HTML page is written to `out_file`, the comparison returned
    (`shoprel.evaluate.compare.summary_text(c)` is what the command prints)."""
    return write_comparison(_paths(run_dirs, "run_dirs", "run folders"),
                            path_argument(out_file, "out_file"),
                            overwrite=flag_argument(overwrite, "overwrite"))[1]


@_in_python_words
def write_report(run_dir: str | Path, out_file: str | Path | None = None,
                 overwrite: bool = False) -> Path:
    """`shoprel report`: (re)write the run's self-contained HTML report, by default
    RUN_DIR/report.html; returns where it was written."""
    return write_report_file(path_argument(run_dir, "run_dir"),
                             None if out_file is None else path_argument(out_file, "out_file"),
                             flag_argument(overwrite, "overwrite"))


@_in_python_words
def index_targets(run_dir: str | Path, input_file: str | Path, out: str | Path | None = None,
                  progress: bool = True) -> IndexResult:
    """`shoprel index`: embed the targets of `input_file` (a pairs file, JSON lines with the
    target field, or one target a line) so that scoring embeds only queries; into the run's
    own index, or `out` (then give it to `predict_file`/`Scorer` as `indexes`)."""
    return build_index(path_argument(run_dir, "run_dir"),
                       path_argument(input_file, "input_file", WRITE_IT_FIRST),
                       None if out is None else path_argument(out, "out"),
                       progress=flag_argument(progress, "progress"))


@_in_python_words
def distill_student(teacher_dir: str | Path, student: RunConfig | str | Path | dict,
                    out_dir: str | Path, hard_weight: float = DEFAULT_HARD_WEIGHT,
                    speed_rows: int = SPEED_ROWS, nested: bool = False,
                    unlabeled: list[str | Path] | None = None, overwrite: bool = False,
                    progress: bool = True) -> TrainResult:
    """`shoprel distill`: train a student run on the teacher's (a run's or an ensemble's)
    out-of-fold probabilities. `student`: its config as `train` takes one (a RunConfig, a YAML
    file or a dict of dotted overrides); its folds are the teacher's. `result.metrics
    ["distillation"]` holds teacher and student figures, as the command prints them."""
    config_file = student if isinstance(student, str | os.PathLike) else None
    config = _config(student)
    if config is None:
        raise ConfigError("student: None is not a YAML path, a dict of dotted overrides or a "
                          "RunConfig")
    try:
        return distill(path_argument(teacher_dir, "teacher_dir"), config,
                       path_argument(out_dir, "out_dir"),
                       _number(hard_weight, "hard_weight", "0 to 1"),
                       overwrite=flag_argument(overwrite, "overwrite"),
                       progress=flag_argument(progress, "progress"),
                       speed_rows=_whole_number(speed_rows, "speed_rows"),
                       nested=flag_argument(nested, "nested"),
                       unlabeled=[] if unlabeled is None else _paths(unlabeled, "unlabeled",
                                                                    "pair files"))
    except ConfigError as exc:  # a key of the student's config found wrong only now
        raise located(exc, config_file) from None


@_in_python_words
def noisy_rows(run_dir: str | Path, out_file: str | Path | None = None,
               filtered_train: str | Path | None = None, overwrite: bool = False
               ) -> NoiseResult:
    """`shoprel noise`: the rows whose label the run's out-of-fold scores doubt (cleanlab),
    most suspicious first, in `result.flagged`; their ids written to `out_file` and the
    training file without them to `filtered_train` where given."""
    return flag_noisy_rows(
        path_argument(run_dir, "run_dir"),
        None if out_file is None else path_argument(out_file, "out_file"),
        None if filtered_train is None else path_argument(filtered_train, "filtered_train"),
        flag_argument(overwrite, "overwrite"))


@_in_python_words
def add_far_pairs(run_dir: str | Path, pairs: int = DEFAULT_PAIRS,
                  progress: bool = True) -> FarPairsResult:
    """`shoprel far-pairs`: the far-pairs check added to a run trained without it (its fold
    models score pairs of a query with an unrelated target); the run's metrics.json and report
    gain `result.far_pairs`, and `result.replaced` is the check recorded there before (None
    when none). Fewer pairs than asked where the run has fewer rows."""
    return _add_far_pairs(path_argument(run_dir, "run_dir"), _whole_number(pairs, "pairs"),
                          progress=flag_argument(progress, "progress"))


@_in_python_words
@honours_progress
def langid_file(input_file: str | Path, out_file: str | Path,
                candidates: list[str] | None = None, overwrite: bool = False,
                progress: bool = True) -> LangidReport:
    """`shoprel langid`: the file with each query's detected_language and detected_confidence
    added (the given language stays), written to `out_file`; the report counts, per given tag,
    the rows detected as another language (`report.lines()` is the table the command prints).
    `candidates`: the languages to choose among, e.g. `["en", "es", "fr"]`."""
    return _langid_file(path_argument(input_file, "input_file", WRITE_IT_FIRST),
                        path_argument(out_file, "out_file"),
                        candidates=_language_codes(candidates, "candidates"),
                        overwrite=flag_argument(overwrite, "overwrite"),
                        # as the command draws it: a bar from a few thousand rows on
                        progress=None if flag_argument(progress, "progress") else False)


def _language_codes(codes, name: str) -> set[str] | None:
    """Language codes as a list (a text's letters were taken for codes: "en,es" said that
    'e, n, s' are languages the detector does not know)."""
    if codes is None:
        return None
    if not isinstance(codes, list | tuple | set | frozenset):
        raise ConfigError(f"{name}: {python_kind(codes)} is not a list of language codes such "
                          "as ['en', 'es']")
    for code in codes:
        if not isinstance(code, str):
            raise ConfigError(f"{name}: {python_kind(code)} is not a language code such as "
                              "'en'")
    return set(codes)


@_in_python_words
def list_cache(cache_dir: str | Path | None = None) -> CacheListing:
    """`shoprel cache list`: the cache folder (`cache_dir`, else $SHOPREL_CACHE, else
    ~/.cache/shoprel) and every entry shoprel wrote there, with its kind, size, age and why it
    is stale (None: in use, or not known); `listing.stale` is what `prune_cache(stale=True)`
    frees."""
    return _list_cache(None if cache_dir is None else path_argument(cache_dir, "cache_dir"))


@_in_python_words
def prune_cache(cache_dir: str | Path | None = None, stale: bool = False,
                kinds: list[str] | None = None, older_than: float | None = None,
                keep_under: str | int | None = None, dry_run: bool = False) -> PruneResult:
    """`shoprel cache prune`: remove the entries meeting every condition given (at least one):
    `stale=True`, `kinds` (e.g. `["embeddings", "states"]`), `older_than` (days unused),
    `keep_under` (a size such as "20G", or bytes: the least recently used go until the cache
    fits; built backbones and exports only when `kinds` names them). `result.chosen` is what
    went (or would, `dry_run=True`), `result.kept` why the cache stays over `keep_under`."""
    return _prune_cache(None if cache_dir is None else path_argument(cache_dir, "cache_dir"),
                        stale=flag_argument(stale, "stale"), kinds=_kinds(kinds),
                        older_than_days=_days(older_than, "older_than"),
                        keep_under=_size(keep_under, "keep_under"),
                        dry_run=flag_argument(dry_run, "dry_run"))


def _kinds(kinds) -> tuple[str, ...]:
    """Kinds of cache entry, as a list (or one kind)."""
    if kinds is None:
        return ()
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list | tuple | set | frozenset):
        raise ConfigError(f"kinds: {python_kind(kinds)} is not a list of kinds of entry")
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(f"kinds: {kind!r} is no kind of cache entry; use some of "
                              f"{', '.join(KINDS)}")
    return tuple(kinds)


def _days(value, name: str) -> float | None:
    """A number of days >= 0 (nan and inf choose nothing: no entry is older than for ever)."""
    if value is None:
        return None
    value = python_scalar(value)
    if is_boolean(value) or not isinstance(value, numbers.Real) or not 0 <= value < float("inf"):
        raise ConfigError(f"{name}: expected a number of days >= 0, got {value!r}")
    return float(value)


def _size(value, name: str) -> int | None:
    """Bytes, given as a whole number or a size written as the command takes it ("20G")."""
    if value is None:
        return None
    value = python_scalar(value)
    if isinstance(value, str):
        try:
            return parse_size(value)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    if is_boolean(value) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name}: expected a size such as '20G' or a number of bytes >= 0, "
                          f"got {value!r}")
    return value


@_in_python_words
def translate_file(input_file: str | Path, out_file: str | Path, to: str = "en",
                   backend: str = "apertium", cache: str | Path | None = None,
                   table: str | Path | None = None, model: str | Path | None = None,
                   beams: int | None = None, device: str | None = None,
                   overwrite: bool = False, progress: bool = True) -> TranslationReport:
    """`shoprel translate`: the file with each query's translation into `to` added as
    translated_query, written to `out_file`; the report counts per source language what was
    translated, passed through (already `to`), had no route, or was empty (`report.lines()`
    and `report.summary(out_file)` are what the command prints). `backend`: "apertium",
    "table" (`table`: a translations file) or "hf" (`model`, `beams`, `device`); `cache`: an
    SQLite file, so that a rerun translates nothing twice."""
    beams = None if beams is None else python_scalar(beams)
    if beams is not None and (is_boolean(beams) or not isinstance(beams, int) or beams < 1):
        raise ConfigError(f"beams: a whole number >= 1, got {beams!r}")
    if device is not None and not isinstance(device, str):
        raise ConfigError(f"device: {python_kind(device)} is not a torch device such as 'cpu'")
    if model is not None and not isinstance(model, str | os.PathLike):
        raise ConfigError(f"model: {python_kind(model)} is not a model folder or id")
    return translate_with_backend(
        path_argument(input_file, "input_file", WRITE_IT_FIRST),
        path_argument(out_file, "out_file"), backend, to=to,
        cache=None if cache is None else path_argument(cache, "cache"),
        table=None if table is None else path_argument(table, "table"), model=model,
        beams=beams, device=device,
        overwrite=flag_argument(overwrite, "overwrite"),
        # as the command draws it: a bar from a few thousand texts on
        progress=None if flag_argument(progress, "progress") else False)


@_in_python_words
def export_onnx(run_dir: str | Path, int8: bool = False, int8_weights: str | None = None,
                progress: bool = True) -> list[Path]:
    """`shoprel export --onnx`: each cross-encoder of the run (folds and full) exported to
    ONNX beside its weights, so that `predict_file`, `Scorer` and serve score it with
    onnxruntime; `int8=True` quantises it too (then int8 is used), `int8_weights` "uint8"
    (the default) or "int8". Returns the `onnx/` folders written."""
    if int8_weights is not None and not isinstance(int8_weights, str):
        raise ConfigError(f"int8_weights: {python_kind(int8_weights)} is not 'uint8' or 'int8'")
    return export_run(path_argument(run_dir, "run_dir"), int8=flag_argument(int8, "int8"),
                      int8_weights=int8_weights, progress=flag_argument(progress, "progress"))


def _rechecked(config: RunConfig) -> RunConfig:
    """A RunConfig checked again (see _config) whose sections set or changed stay the only
    ones set: distill says when a student's own folds go unused, and a whole dump set them
    all (`config.folds.k = 4` changes folds without marking it set on the config)."""
    changed = {name for name, field in RunConfig.model_fields.items()
               if getattr(config, name) != field.get_default(call_default_factory=True)}
    return RunConfig(**config.model_dump(include=config.model_fields_set | changed))


def _indexes(indexes) -> list[Path] | None:
    return None if indexes is None else _paths(indexes, "indexes", "index folders")


def _paths(values, name: str, what: str) -> list[Path]:
    """A list of paths, or one path as a list of one (not a string's letters)."""
    if isinstance(values, str | os.PathLike):
        values = [values]
    if not isinstance(values, list | tuple):
        raise ConfigError(f"{name}: {python_kind(values)} is not a list of {what}")
    return [path_argument(value, name) for value in values]


def _whole_number(value, name: str) -> int:
    """A count of 0 or more, a negative one refused as its option refuses it (bounds.py)."""
    value = python_scalar(value)  # np.int64(5) is 5; numpy's True is True
    if is_boolean(value) or not isinstance(value, int):
        raise ConfigError(f"{name}: a whole number >= 0, got {value!r}")
    problem = out_of_range(value, ge=0)
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return value


def _number(value, name: str, meaning: str) -> float:
    """A real number (not True, not text: float() reads both); its range is the callee's."""
    value = python_scalar(value)
    if is_boolean(value) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: expected a number ({meaning}), got {value!r}")
    return float(value)


def _weights(weights) -> list[float] | None:
    if weights is None:
        return None
    if not isinstance(weights, list | tuple):
        raise ConfigError(f"weights: {python_kind(weights)} is not a list of numbers")
    try:
        check_weights(list(weights))
    except ValueError as exc:
        raise ConfigError(f"weights: {exc}") from None
    return [float(w) for w in weights]


def _cascade_share(share, scorer) -> float:
    """A share given to another scorer is refused, as `predict --cascade-share` refuses it:
    it read nothing there, silently. A share that is no number is refused here: the range
    check after it ('0 < "0.3"') was a TypeError traceback, and True passed as 1."""
    if share is not None and scorer != "cascade":
        raise ConfigError(f"cascade_share: only with scorer='cascade' (this call scores with "
                          f"scorer={scorer!r})")
    if share is None:
        return DEFAULT_SHARE
    share = python_scalar(share)  # numpy's True is said as True, and refused as True is
    if is_boolean(share) or not isinstance(share, numbers.Real):
        raise ConfigError(f"cascade_share: expected a number above 0 and at most 1, got "
                          f"{share!r}")
    return float(share)


# what a Scorer is loaded with, and what to do instead of setting it: `run.threshold = 0.8`
# was taken, and the repr said the new cut, while every prediction still used the run's own
_LOADED_WITH = {
    "threshold": "cut the probabilities yourself: run.probabilities(pairs) >= cut",
    "scorer": "open another: shoprel.Scorer(run_dir, scorer=...)",
    "task": "it is the run's task; score the other task's pairs with a run of that task",
    "run_dir": "open another: shoprel.Scorer(run_dir)",
}


def _scorer(scorer) -> str:
    """The scorer's name in any case ("FULL" is "full"), as a task's ("qc" is QC)."""
    name = scorer_in_any_case(scorer)
    if name not in SCORERS:
        raise ConfigError(f"scorer: {scorer!r}; use one of {', '.join(SCORERS)}")
    return name


class Scorer:
    """A run (or ensemble) loaded once, scoring pairs held in memory.

    `pairs`: a list (or any iterable) of dicts, a DataFrame, or what `shoprel.read_pairs`
    returns, with a file's fields: `origin_query`, `category_path` (QC) or `item_title` (QI),
    optional `language` and `id` (every pair's or none: then ids are positions), checked by
    the file rules (an error names the pair by position and the field; empty cells — None, NaN
    — are a file's null). `scorer` (any case): "full", "student" (the student the run carries) or
    "cascade", as `predict --scorer`; `indexes`: target-index folders besides the run's own;
    `recent_texts`: how many embedded texts to keep in memory between calls (as `serve`;
    at most 1,000,000: ~3.4 GB per backbone at 768 dimensions);
    `cascade_share`: as `predict --cascade-share`. `unseen_languages` counts the pairs scored
    so far per language the run was not trained on (as predict reports); `translated_only`
    names those of them it trained on only as translated rows (augment.translate). Pairs are
    scored in chunks of 20,000, as predict scores a file, so the cascade judges a query on the
    pairs of one call and chunk. `threshold`, `scorer`, `task` and `run_dir` are fixed when
    the run is loaded: setting one is refused (another cut: `run.probabilities(pairs) >= cut`).
    """

    @_in_python_words
    def __init__(self, run_dir: str | Path, scorer: str = "full",
                 indexes: list[str | Path] | None = None, recent_texts: int = 0,
                 cascade_share: float | None = None):
        recent_texts = _whole_number(recent_texts, "recent_texts")
        self.run_dir = path_argument(run_dir, "run_dir")
        scorer = _scorer(scorer)
        self.predictor = open_predictor(self.run_dir, _indexes(indexes), recent_texts,
                                        scorer, _cascade_share(cascade_share, scorer))
        self.scorer = scorer
        self.task = self.predictor.task
        self.threshold = self.predictor.threshold
        self._known = self.predictor.training_languages()
        # pairs scored so far per language the run's training file lacked: its
        # cross-validated figures say nothing about them (predict prints the same count)
        self.unseen_languages: Counter = Counter()
        self._translated = translated_languages(self.predictor.run)

    def __setattr__(self, name, value):
        if name in _LOADED_WITH and name in self.__dict__:
            raise ConfigError(f"Scorer.{name} is fixed when the run is loaded (setting it would "
                              f"change nothing scored); {_LOADED_WITH[name]}")
        super().__setattr__(name, value)

    @property
    def translated_only(self) -> list[str]:
        """The tags of unseen_languages the run trained on only as translated rows
        (augment.translate): new to its own rows, not to the model (PredictResult's field)."""
        return translated_only_tags([tag for tag, _ in self.unseen_languages.most_common()],
                                    self._translated)

    @property
    def language_thresholds(self) -> dict[str, float]:
        """The cut per language where the run has its own per-language cuts (`ensemble
        --per-language-thresholds`); every other language is cut at `threshold`."""
        return language_cuts(self.predictor.run.manifest.get("language_thresholds"))

    def __repr__(self) -> str:
        return (f"Scorer({str(self.run_dir)!r}, scorer={self.scorer!r}: {self.task.value}, "
                f"threshold {self.threshold:.4f})")

    @_in_python_words
    def score(self, pairs) -> pd.DataFrame:
        """One row per pair, in order: id, language, origin_query, category_path or
        item_title, prediction (0/1 at the run's threshold), probability (rounded to 6 places,
        as predict writes it). A DataFrame's result keeps its index, so a column can be
        assigned back."""
        tables = [self.predictor.submission(frame, self._counted(frame))
                  for frame in pair_frames(pairs, self.task, written_ids=True,
                                           read_labels=False)]
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        if isinstance(pairs, pd.DataFrame):
            table.index = pairs.index
        return table

    @_in_python_words
    def probabilities(self, pairs) -> np.ndarray:
        """Each pair's probability of being relevant, unrounded, in order."""
        scored = (self.predictor.probabilities_and_cuts(frame, self._counted(frame))
                  for frame in pair_frames(pairs, self.task, read_labels=False))
        return np.concatenate([probabilities for probabilities, _ in scored])

    def _counted(self, frame: PairFrame) -> PairFrame:
        """The frame as the run scores it ('fr-fr' as 'fr'), its new languages counted from
        it: the tags are mapped once per chunk, for the count and the scores (as predict)."""
        trained = self.predictor.as_trained(frame)
        self.unseen_languages.update(unseen_as_trained(trained.df["language"], self._known))
        return trained
