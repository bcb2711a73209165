"""The API over finished runs: `evaluate_file`, `ensemble_runs`, `compare_runs`,
`write_report`, `noisy_rows` and `add_far_pairs`."""

from __future__ import annotations

from pathlib import Path

from shoprel.api.checks import path_list, real_number, task_argument, whole_number
from shoprel.api.wording import in_python_words
from shoprel.data.records import python_kind
from shoprel.ensemble.combine import check_weights
from shoprel.ensemble.combiners import COMBINERS
from shoprel.ensemble.noise import NoiseResult, flag_noisy_rows
from shoprel.ensemble.runner import EnsembleResult, build_ensemble
from shoprel.errors import ConfigError, RunDirError
from shoprel.evaluate.compare import Comparison
from shoprel.evaluate.files import evaluate_files
from shoprel.evaluate.report.compare_page import write_comparison
from shoprel.evaluate.report.document import write_report_file
from shoprel.training.far_pairs_existing import DEFAULT_PAIRS, FarPairsResult
from shoprel.training.far_pairs_existing import add_far_pairs as _add_far_pairs
from shoprel.utils.arguments import WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.signals import stops_on_sigterm

__all__ = ["add_far_pairs", "compare_runs", "ensemble_runs", "evaluate_file", "noisy_rows",
           "write_report"]


@in_python_words
@stops_on_sigterm
def evaluate_file(predictions: str | Path, gold: str | Path, task: str | None = None) -> dict:
    """`shoprel evaluate`: F1, precision, recall, ROC-AUC and all-positive F1, overall and per
    language, of a predictions file against labelled rows; either may be compressed or a
    pipe, as predict_file's input."""
    return evaluate_files(path_argument(predictions, "predictions", WRITE_IT_FIRST),
                          path_argument(gold, "gold", WRITE_IT_FIRST), task_argument(task))


@in_python_words
@stops_on_sigterm
def ensemble_runs(run_dirs: list[str | Path], out_dir: str | Path, method: str = "mean",
                  weights: list[float] | None = None, per_language_thresholds: bool = False,
                  shrinkage: float | None = None, overwrite: bool = False) -> EnsembleResult:
    """`shoprel ensemble`: combine cross-validated runs trained on the same rows and folds into
    an ensemble folder that `predict_file` and `Scorer` take as a run. `weights`: one number a
    run (searched when absent for "weighted"); `shrinkage` only with per-language cuts.
    `result.metrics` holds the members' and the ensemble's OOF figures."""
    return build_ensemble(
        _two_or_more(run_dirs, "an ensemble"), path_argument(out_dir, "out_dir"),
        _method(method),
        _weights(weights), flag_argument(per_language_thresholds, "per_language_thresholds"),
        None if shrinkage is None else real_number(shrinkage, "shrinkage", "rows' worth of pull"),
        flag_argument(overwrite, "overwrite"))


def _two_or_more(run_dirs, what: str) -> list[Path]:
    """Run folders, two or more, refused naming the argument: one run (or a path given alone)
    said "an ensemble needs at least two run directories", an argument of no name."""
    paths = path_list(run_dirs, "run_dirs", "run folders")
    if len(paths) < 2:
        raise RunDirError(f"run_dirs: {what} needs at least two run folders, got "
                          f"{len(paths)}")
    return paths


def _method(method) -> str:
    """A combination method as `--method` takes it, refused naming the argument as `scorer` is:
    it said "unknown ensemble method 'x': use one of ...", which named no argument."""
    if not isinstance(method, str) or method not in COMBINERS:
        raise ConfigError(f"method: {method!r}; use one of {', '.join(COMBINERS)}")
    return method


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


@in_python_words
@stops_on_sigterm
def compare_runs(run_dirs: list[str | Path], out_file: str | Path,
                 overwrite: bool = False) -> Comparison:
    """`shoprel compare`: paired per-fold differences of runs on the same rows and folds, the
    first the reference; the HTML page is written to `out_file`, the comparison returned
    (`shoprel.evaluate.compare.summary_text(c)` is what the command prints; `c.caveats`, its
    notes: what makes a run's figures here not comparable, an optimistic student's)."""
    return write_comparison(_two_or_more(run_dirs, "a comparison"),
                            path_argument(out_file, "out_file"),
                            overwrite=flag_argument(overwrite, "overwrite"))[1]


@in_python_words
@stops_on_sigterm
def write_report(run_dir: str | Path, out_file: str | Path | None = None,
                 overwrite: bool = False) -> Path:
    """`shoprel report`: (re)write the run's self-contained HTML report, by default
    RUN_DIR/report.html; returns where it was written."""
    return write_report_file(path_argument(run_dir, "run_dir"),
                             None if out_file is None else path_argument(out_file, "out_file"),
                             flag_argument(overwrite, "overwrite"))


@in_python_words
@stops_on_sigterm
def noisy_rows(run_dir: str | Path, out_file: str | Path | None = None,
               filtered_train: str | Path | None = None, overwrite: bool = False,
               train: str | Path | None = None) -> NoiseResult:
    """`shoprel noise`: the rows whose label the run's out-of-fold scores doubt (cleanlab),
    most suspicious first, in `result.flagged`; their ids written to `out_file` (and where
    they came from to `out_file`.source.json, which a run trained with them reads) and the
    training file without them to `filtered_train` where given. `train`: the training file's
    new place where it has moved (the same data, checked; `result.note` says what could not
    be checked of an older run's). `result.optimistic`: why the flags rest on optimistic
    out-of-fold scores (a leaky distilled student, a run trained with flags chosen from its
    own rows, or an ensemble holding one), else None."""
    return flag_noisy_rows(
        path_argument(run_dir, "run_dir"),
        None if out_file is None else path_argument(out_file, "out_file"),
        None if filtered_train is None else path_argument(filtered_train, "filtered_train"),
        flag_argument(overwrite, "overwrite"),
        None if train is None else path_argument(train, "train"))


@in_python_words
@stops_on_sigterm
def add_far_pairs(run_dir: str | Path, pairs: int = DEFAULT_PAIRS,
                  progress: bool = True, train: str | Path | None = None) -> FarPairsResult:
    """`shoprel far-pairs`: the far-pairs check added to a run trained without it (its fold
    models score pairs of a query with an unrelated target); the run's metrics.json and report
    gain `result.far_pairs`, and `result.replaced` is the check recorded there before (None
    when none). Fewer pairs than asked where the run has fewer rows. `train`: the training
    file's new place where it has moved, as noisy_rows takes it."""
    # at least 1, as --pairs: `pairs=-1` said "it must be at least 0", and 0 is refused too
    return _add_far_pairs(path_argument(run_dir, "run_dir"), whole_number(pairs, "pairs", ge=1),
                          progress=flag_argument(progress, "progress"),
                          train=None if train is None else path_argument(train, "train"))
