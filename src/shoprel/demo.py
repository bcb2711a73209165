"""`shoprel demo`: the whole flow on the built-in demo set, or on a folder of competition files."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from shoprel.data.readers import read_pairs
from shoprel.data.submission import check_submission
from shoprel.data.writers import write_table
from shoprel.errors import InputError, OutputError
from shoprel.evaluate.files import evaluate_files
from shoprel.folds.grouped import assign_folds
from shoprel.predict.predictor import predict_file
from shoprel.training.config import load_config
from shoprel.training.runner import train

DEMO_FILES = {"QC": "qc_demo.jsonl", "QI": "qi_demo.jsonl"}
RECORD = ".shoprel-demo.json"  # in the demo's folder: the files it wrote, which a rerun replaces


def demo_file(task: str) -> Path:
    return Path(str(resources.files("shoprel.data") / "demo" / DEMO_FILES[task]))


def split_holdout(source: Path, out_dir: Path, holdout_fold: int = 0, k: int = 5,
                  claim: Callable[[Path], Path] = lambda path: path):
    """Write train and holdout files whose groups (category prefix / query) do not overlap;
    `claim(path)` first, for each (the demo refuses to replace a file it did not write)."""
    frame = read_pairs(source, require_label=True)
    folds = assign_folds(frame, k=k, seed=7)
    table = frame.to_competition().assign(task=frame.task.value)
    columns = ["id", "task", "language", "origin_query", frame.task.target_column, "label"]
    train_path = claim(out_dir / f"train_{frame.task.value}.jsonl")
    gold_path = claim(out_dir / f"holdout_{frame.task.value}.jsonl")
    write_table(table.loc[folds != holdout_fold, columns], train_path)
    write_table(table.loc[folds == holdout_fold, columns], gold_path)
    return train_path, gold_path


def _find(data_dir: Path, stem: str) -> list[Path]:
    return sorted(p for p in data_dir.glob(f"{stem}.*") if p.is_file())


class DemoFiles:
    """The files the demo writes into its folder (not the runs, which `train` guards): a rerun
    replaces its own, never a file of the user's that has one of their names."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / RECORD
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            self.written = set(record["files"]) if record.get("written_by") == "shoprel demo" \
                else set()
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.written = self._older_demo(out_dir)
        self.out_dir = out_dir

    @staticmethod
    def _older_demo(out_dir: Path) -> set[str]:
        """A folder an older shoprel's demo filled (its runs, no record): the files it names
        as the demo names them are taken as the demo's, so a rerun after an upgrade works."""
        if not any((out_dir / f"run_{task}" / "run.json").is_file() for task in ("QC", "QI")):
            return set()
        names = [*out_dir.glob("data/train_Q[CI].jsonl"), *out_dir.glob("data/holdout_Q[CI].jsonl"),
                 *out_dir.glob("pred_*.jsonl")]
        return {path.relative_to(out_dir).as_posix() for path in names}

    def claim(self, path: Path) -> Path:
        """Refuse `path` when something the demo did not write is there; else record it."""
        name = path.relative_to(self.out_dir).as_posix()
        if (path.exists() or path.is_symlink()) and name not in self.written:
            raise OutputError(f"{path}: exists and the demo did not write it; the demo would "
                              "replace it, choose another --out")
        self.written.add(name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"written_by": "shoprel demo",
                                         "files": sorted(self.written)}), encoding="utf-8")
        return path


def run_demo(out_dir: str | Path = "runs/demo", data_dir: str | Path | None = None,
             folds: int | None = None, progress: bool = True,
             echo: Callable[[str], None] = print) -> list[str]:
    """Train each task, predict the held-out (or dev/test) files, evaluate where labels exist."""
    out_dir = Path(out_dir)
    # no carried student: it would double the demo's training time (`shoprel train` makes one)
    overrides = {"student": None, **({"folds.k": folds} if folds else {})}
    configs = {task: load_config(None, {**overrides, "data.task": task},
                                 options={"folds.k": "--folds"}) for task in ("QC", "QI")}
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file; --out needs a folder for the demo's outputs")
    files = DemoFiles(out_dir)
    summary = []
    for task in ("QC", "QI"):
        if data_dir is None:
            train_file, to_predict = split_holdout(demo_file(task), out_dir / "data",
                                                   claim=files.claim)
            to_predict = [to_predict]
        else:
            found = _find(Path(data_dir), f"train_{task}")
            if not found:
                continue
            train_file = found[0]
            to_predict = [*_find(Path(data_dir), f"dev_{task}"),
                          *_find(Path(data_dir), f"test_{task}")]
        echo(f"== {task}: training on {train_file}")
        run_dir = out_dir / f"run_{task}"
        result = train(train_file, run_dir, configs[task], overwrite=True, progress=progress)
        m = result.metrics["overall"]
        summary.append(f"{task} cross-validation: F1 {m['f1']:.4f} (all-positive "
                       f"{m['baseline_all_positive_f1']:.4f}), ROC-AUC {m['roc_auc']:.4f} "
                       f"— report {run_dir / 'report.html'}")
        for source in to_predict:
            out_file = files.claim(out_dir / f"pred_{source.stem}.jsonl")
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
