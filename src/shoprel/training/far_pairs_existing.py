"""The far-pairs check added to a run trained without it (before it existed, or with
`check.far_pairs: 0`): its saved fold models score the pairs training would have built — the
same rows, folds, seed and count — and the run's metrics.json and report gain the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError, InputError, RunDirError
from shoprel.models.backbones.target_index import OWN_TARGETS_FOLDER
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, FULL_MODEL, MODELS, fold_model_name
from shoprel.run.models import load_model
from shoprel.run.train_file import check_rows, training_file_task
from shoprel.run.writer import RunWriter
from shoprel.training.config_reading import load_config
from shoprel.training.distill import aligned_to_rows, check_rows_unchanged, open_teacher
from shoprel.training.far_pairs import FarPairCheck
from shoprel.utils.bounds import out_of_range
from shoprel.utils.progress import honours_progress, progress_bar, steps_on

DEFAULT_PAIRS = 1000  # as check.far_pairs defaults


def fold_model(folder: Path, final: Path):
    """A fold model, reading its targets' vectors from the final model's index where it saved
    none of its own (an embedding model's folds leave them to the final model: runner)."""
    model = load_model(folder)
    index = final / OWN_TARGETS_FOLDER
    if hasattr(model, "use_indexes") and not (folder / OWN_TARGETS_FOLDER).is_dir() \
            and index.is_dir():
        model.use_indexes([index])
    return model


@dataclass
class FarPairsResult:
    """The far-pairs check written into the run's metrics.json (`far_pairs`, its block there),
    and the check recorded there before, by train or an earlier far-pairs, that it replaced
    (None when there was none): a different count is not to be missed."""

    run_dir: Path
    far_pairs: dict
    replaced: dict | None
    note: str | None = None  # what could not be checked of a moved training file (--train)


@honours_progress
def add_far_pairs(run_dir: str | Path, count: int = DEFAULT_PAIRS,
                  progress: bool = True, train: str | Path | None = None) -> FarPairsResult:
    """Score far pairs with each fold model of a finished run; the block is written into its
    metrics.json (its report is rewritten too). `train`: the training file's new place, where
    it has moved (checked to be the same data: run/train_file.py)."""
    problem = out_of_range(count, ge=1)
    if problem:
        raise ConfigError(f"--pairs: {problem}")
    run = Run.open(run_dir)
    if run.kind != "run":
        raise RunDirError(f"{run.path}: an {run.kind}, which has no fold models of its own; "
                          "check its member runs")
    trained = open_teacher(run.path, train)  # the training file and the run's folds, checked
    config = load_config(run.path / CONFIG, saved=True)
    frame = read_pairs(trained.train_file, task=run.task, require_label=True,
                       empty_text=config.data.empty_text, given_by=training_file_task(run))
    check_rows_unchanged(frame, trained)
    note = check_rows(run, trained.place, frame.stats)
    folds = aligned_to_rows(frame, trained.folds, "fold", trained).astype(np.int64)
    folders = [run.path / MODELS / fold_model_name(f)
               for f in range(int(folds.max()) + 1)]
    missing = [folder for folder in folders if not folder.is_dir()]
    if missing:
        kept = config.final.keep_fold_models
        why = ("keeps no fold models (final.keep_fold_models: false)" if not kept else
               f"has lost fold model(s) {', '.join(f.name for f in missing)} (its config kept "
               f"them: were they deleted?)")
        raise RunDirError(f"{run.path}: {why}; the check needs each fold's model: retrain "
                          "with them kept")
    if count < len(folders):  # each fold builds its share of the pairs, rounded
        raise ConfigError(f"--pairs: {count} is too few for {len(folders)} folds (each builds "
                          f"its share, rounded); ask for at least {len(folders)}")
    check = FarPairCheck(frame, folds, count, config.folds.seed)
    bar = progress_bar(folders, desc="far pairs", disable=not progress)
    with run.config_named():  # e.g. a backbone folder gone since training
        for fold, folder in enumerate(bar):
            # each fold's steps, as train's folds bar names them (an embed model loads its
            # encoder, then embeds the pairs' new texts)
            with steps_on(bar, f"fold {fold}: ", first="loading the model"):
                check.score(fold, fold_model(folder, run.path / MODELS / FULL_MODEL))
    block = check.summary(run.threshold, run.oof())
    if block is None:
        raise InputError("no relevant rows to build far pairs from",
                         path=trained.train_file, field="label")
    replaced = run.metrics().get("far_pairs")
    RunWriter.finished(run.path).update_metrics(lambda m: m.update(far_pairs=block),
                                                     report=True)
    return FarPairsResult(run.path, block, replaced, note)
