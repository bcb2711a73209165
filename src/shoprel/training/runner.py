"""One training run: folds → per-fold fit → out-of-fold scores → threshold → final model(s)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import shoprel
from shoprel import runs
from shoprel.data.category import top_level
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.evaluate.run_metrics import run_metrics
from shoprel.folds.grouped import assign_folds, fold_groups
from shoprel.models.base import model_class
from shoprel.training.config import RunConfig
from shoprel.utils.atomic import atomic_dir


@dataclass
class TrainResult:
    run_dir: Path
    metrics: dict


def training_side(config: RunConfig, progress: bool = True):
    """What a fold's training rows become before fitting: themselves, or with translations."""
    augment = config.augment
    if not augment.translate:
        return lambda frame: frame
    from shoprel.augment.augment import augment_translations
    from shoprel.augment.backends import make_translator

    translator = make_translator(augment.backend, cache=augment.cache, table=augment.table,
                                 model=augment.model, progress=progress)
    return lambda frame: augment_translations(frame, augment.translate, translator)


def cross_validate(frame: PairFrame, config: RunConfig, folds: np.ndarray,
                   models_dir: Path | None = None, progress: bool = True,
                   prepare=None) -> np.ndarray:
    """Out-of-fold positive probabilities; each fold's model is saved when models_dir is given.

    `prepare` turns a fold's training rows into what the model fits on (augmentation); the
    validation rows are always the original ones.
    """
    family = model_class(config.model.family)
    prepare = prepare or training_side(config, progress)
    oof = np.full(len(frame), np.nan)
    k = int(folds.max()) + 1
    for fold in tqdm(range(k), desc=f"{frame.task.value} folds", disable=not progress):
        train, valid = np.where(folds != fold)[0], np.where(folds == fold)[0]
        model = family(**config.model.params).fit(prepare(frame.take(train)))
        oof[valid] = model.predict_proba(frame.take(valid))[:, 1]
        if models_dir is not None and config.final.keep_fold_models:
            model.save(models_dir / runs.fold_model_name(fold))
    return oof


def choose_threshold(labels: np.ndarray, oof: np.ndarray, config: RunConfig) -> float:
    if config.threshold.mode == "fixed":
        return config.threshold.value
    return best_f1_threshold(labels, oof)[0]


def oof_table(frame: PairFrame, folds: np.ndarray, oof: np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame({"id": frame.df["id"], "fold": folds, "probability": oof,
                          "label": frame.df["label"], "language": frame.df["language"]})
    if frame.task is Task.QC:
        table["top_category"] = frame.df["target"].map(top_level)
    return table


def train(train_file: str | Path, out_dir: str | Path, config: RunConfig | None = None,
          overwrite: bool = False, progress: bool = True, name: str | None = None) -> TrainResult:
    """Train with cross-validation and write a complete run directory (or nothing)."""
    from shoprel.evaluate.report import write_report

    config = config or RunConfig()
    frame = read_pairs(train_file, task=config.data.task, require_label=True,
                       empty_text=config.data.empty_text)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        models_dir = tmp / runs.MODELS
        started = time.perf_counter()
        folds = assign_folds(frame, config.folds.k, config.folds.seed, config.folds.qc_group_levels)
        prepare = training_side(config, progress)
        oof = cross_validate(frame, config, folds, models_dir, progress, prepare)
        cv_seconds = time.perf_counter() - started
        threshold = choose_threshold(frame.labels, oof, config)

        started = time.perf_counter()
        final_rows = prepare(frame)
        if config.final.refit_full:
            model = model_class(config.model.family)(**config.model.params).fit(final_rows)
            model.save(models_dir / runs.FULL_MODEL)
        final_seconds = time.perf_counter() - started
        predict_models = ([runs.FULL_MODEL] if config.final.refit_full
                          else [runs.fold_model_name(f) for f in range(config.folds.k)])

        table = oof_table(frame, folds, oof)
        table.to_parquet(tmp / runs.OOF, index=False)
        pd.DataFrame({"id": frame.df["id"], "fold": folds,
                      "group": fold_groups(frame, config.folds.qc_group_levels)}
                     ).to_parquet(tmp / runs.FOLDS, index=False)
        (tmp / runs.CONFIG).write_text(config.to_yaml(), encoding="utf-8")

        metrics = run_metrics(table, threshold, frame.task)
        metrics.update({
            "run_name": name or out_dir.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"family": config.model.family, "params": config.model.params},
            "timing": {"cv_seconds": round(cv_seconds, 2), "final_fit_seconds":
                       round(final_seconds, 2), "rows_per_second_cv":
                       round(len(frame) * config.folds.k / max(cv_seconds, 1e-9), 1)},
            "data": {"train_file": str(Path(train_file).resolve()), **frame.stats,
                     "augmented_rows": int(final_rows.stats.get("augmented", 0))},
        })
        (tmp / runs.METRICS).write_text(json.dumps(metrics, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
        write_report(tmp, metrics, table)
        manifest = {
            "kind": "run",
            "shoprel_version": shoprel.__version__,
            "name": metrics["run_name"],
            "task": frame.task.value,
            "created": metrics["created"],
            "threshold": threshold,
            "model_family": config.model.family,
            "predict_models": predict_models,
            "n_rows": len(frame),
        }
        # the manifest goes last: a folder without it is not a finished run
        (tmp / runs.MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return TrainResult(out_dir, metrics)
