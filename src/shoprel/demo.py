"""`shoprel demo`: the whole flow on the built-in demo set, or on a folder of competition files."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from shoprel.data.readers import read_pairs
from shoprel.data.submission import check_submission
from shoprel.data.writers import write_table
from shoprel.errors import InputError
from shoprel.evaluate.files import evaluate_files
from shoprel.folds.grouped import assign_folds
from shoprel.predict.predictor import predict_file
from shoprel.training.config import load_config
from shoprel.training.runner import train

DEMO_FILES = {"QC": "qc_demo.jsonl", "QI": "qi_demo.jsonl"}


def demo_file(task: str) -> Path:
    return Path(str(resources.files("shoprel.data") / "demo" / DEMO_FILES[task]))


def split_holdout(source: Path, out_dir: Path, holdout_fold: int = 0, k: int = 5):
    """Write train and holdout files whose groups (category prefix / query) do not overlap."""
    frame = read_pairs(source, require_label=True)
    folds = assign_folds(frame, k=k, seed=7)
    table = frame.to_competition().assign(task=frame.task.value)
    columns = ["id", "task", "language", "origin_query", frame.task.target_column, "label"]
    train_path = out_dir / f"train_{frame.task.value}.jsonl"
    gold_path = out_dir / f"holdout_{frame.task.value}.jsonl"
    write_table(table.loc[folds != holdout_fold, columns], train_path)
    write_table(table.loc[folds == holdout_fold, columns], gold_path)
    return train_path, gold_path


def _find(data_dir: Path, stem: str) -> list[Path]:
    return sorted(p for p in data_dir.glob(f"{stem}.*") if p.is_file())


def run_demo(out_dir: str | Path = "runs/demo", data_dir: str | Path | None = None,
             folds: int | None = None, progress: bool = True,
             echo: Callable[[str], None] = print) -> list[str]:
    """Train each task, predict the held-out (or dev/test) files, evaluate where labels exist."""
    out_dir = Path(out_dir)
    # no carried student: it would double the demo's training time (`shoprel train` makes one)
    overrides = {"student": None, **({"folds.k": folds} if folds else {})}
    summary = []
    for task in ("QC", "QI"):
        if data_dir is None:
            train_file, to_predict = split_holdout(demo_file(task), out_dir / "data")
            to_predict = [to_predict]
        else:
            found = _find(Path(data_dir), f"train_{task}")
            if not found:
                continue
            train_file = found[0]
            to_predict = [*_find(Path(data_dir), f"dev_{task}"),
                          *_find(Path(data_dir), f"test_{task}")]
        echo(f"== {task}: training on {train_file}")
        config = load_config(None, {**overrides, "data.task": task}, options={"folds.k": "--folds"})
        run_dir = out_dir / f"run_{task}"
        result = train(train_file, run_dir, config, overwrite=True, progress=progress)
        m = result.metrics["overall"]
        summary.append(f"{task} cross-validation: F1 {m['f1']:.4f} (all-positive "
                       f"{m['baseline_all_positive_f1']:.4f}), ROC-AUC {m['roc_auc']:.4f} "
                       f"— report {run_dir / 'report.html'}")
        for source in to_predict:
            out_file = out_dir / f"pred_{source.stem}.jsonl"
            predict_file(run_dir, source, out_file, progress=progress, overwrite=True)
            check = check_submission(out_file, source, task)
            if not check.ok:
                raise InputError("submission check failed: " + "; ".join(check.problems))
            line = f"{task} predictions for {source.name} → {out_file} (checked)"
            if read_pairs(source, task=task).has_labels:
                scored = evaluate_files(out_file, source, task)["overall"]
                line += (f"; held-out F1 {scored['f1']:.4f} (all-positive "
                         f"{scored['baseline_all_positive_f1']:.4f}), ROC-AUC "
                         f"{_num(scored['roc_auc'])}")
            summary.append(line)
    if not summary:
        raise InputError(f"no train_QC.* or train_QI.* file in {data_dir}", path=data_dir)
    return summary


def _num(value) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.4f}"
