"""`shoprel demo`: the whole flow on the built-in demo set, or on a folder of competition files."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from shoprel import runs
from shoprel.data.readers import read_pairs
from shoprel.data.submission import check_submission
from shoprel.data.writers import write_table
from shoprel.errors import InputError, OutputError, RunDirError
from shoprel.evaluate.files import evaluate_files
from shoprel.folds.grouped import assign_folds
from shoprel.predict.predictor import predict_file
from shoprel.training.config import load_config
from shoprel.training.runner import train
from shoprel.utils.outputs import check_outside_outputs, check_parent, is_shoprel_output

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


def competition_files(data_dir: Path, stem: str) -> list[Path]:
    """The competition file of that name in any format (train_QC.txt, train_QC.parquet...):
    none or one. Files derived from it (train_QC.en.jsonl, as `translate` writes) are not it;
    two formats of one name are refused, since either could be meant (and both would predict
    into one output)."""
    found = sorted(p for p in data_dir.glob(f"{stem}.*") if p.is_file() and p.stem == stem)
    if len(found) > 1:
        raise InputError(f"holds {' and '.join(p.name for p in found)}: which {stem} is meant? "
                         "Keep one of them in the folder", path=data_dir)
    return found


class DemoFiles:
    """The files and runs the demo writes into its folder: a rerun replaces its own, never a
    file or run of the user's that has one of their names. Every name is checked before the
    first is written (`check`), then recorded as it is written (`claim`)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / RECORD
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            ours = record.get("written_by") == "shoprel demo"
            self.written = set(record["files"]) if ours else set()
            # records before runs were listed: a run counts as the demo's by its train file
            self.runs = set(record["runs"]) if ours and "runs" in record else None
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.written, self.runs = self._older_demo(out_dir), None

    @staticmethod
    def _older_demo(out_dir: Path) -> set[str]:
        """A folder an older shoprel's demo filled (its runs, no record): the files it names
        as the demo names them are taken as the demo's, so a rerun after an upgrade works."""
        if not any((out_dir / f"run_{task}" / "run.json").is_file() for task in ("QC", "QI")):
            return set()
        names = [*out_dir.glob("data/train_Q[CI].jsonl"), *out_dir.glob("data/holdout_Q[CI].jsonl"),
                 *out_dir.glob("pred_*.jsonl")]
        return {path.relative_to(out_dir).as_posix() for path in names}

    def _name(self, path: Path) -> str:
        return path.relative_to(self.out_dir).as_posix()

    def check(self, path: Path) -> None:
        """Refuse `path` when something the demo did not write is there."""
        if (path.exists() or path.is_symlink()) and self._name(path) not in self.written:
            raise OutputError(f"{path}: exists and the demo did not write it; the demo would "
                              "replace it, choose another --out")

    def check_run(self, run_dir: Path, train_file: Path) -> None:
        """Refuse a run folder the demo did not train (a user's run copied there)."""
        if not (run_dir.exists() or run_dir.is_symlink()):
            return
        if self.runs is not None:
            ours = self._name(run_dir) in self.runs
        else:
            try:
                trained_on = runs.Run.read(run_dir).train_file()
            except RunDirError:
                trained_on = None
            ours = trained_on is not None and Path(trained_on).resolve() == train_file.resolve()
        if not ours:
            raise OutputError(f"{run_dir}: a run the demo did not train; the demo would "
                              "replace it, choose another --out")

    def claim(self, path: Path) -> Path:
        self.check(path)
        self.written.add(self._name(path))
        self._save()
        return path

    def claim_run(self, run_dir: Path) -> None:
        self.runs = {*(self.runs or ()), self._name(run_dir)}
        self._save()

    def _save(self) -> None:
        record = {"written_by": "shoprel demo", "files": sorted(self.written),
                  "runs": sorted(self.runs or ())}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(record), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc.strerror or exc})") from None


def _demo_folder(out_dir: Path) -> None:
    """Refuse a --out the demo may not fill, before anything is written."""
    if out_dir.is_symlink() and not out_dir.exists():
        raise OutputError(f"{out_dir}: is a link to nothing; --out needs a folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file; --out needs a folder for the demo's outputs")
    target, here = out_dir.resolve(), Path.cwd().resolve()
    if target == here or target in here.parents:
        raise OutputError(f"{out_dir}: is the current folder or holds it; --out must be a "
                          "folder of its own")
    if out_dir.is_dir() and is_shoprel_output(target):
        raise OutputError(f"{out_dir}: is a folder shoprel wrote (a run, an index or a "
                          "backbone); the demo would write into it, choose another --out")
    check_outside_outputs(out_dir, then="choose a folder outside it")
    check_parent(out_dir)


def _data_folder(data_dir: Path) -> None:
    if not data_dir.exists():
        raise InputError("folder not found (--data)", path=data_dir)
    if not data_dir.is_dir():
        raise InputError("is a file; --data needs a folder of train_QC.* / train_QI.* files",
                         path=data_dir)


def run_demo(out_dir: str | Path = "runs/demo", data_dir: str | Path | None = None,
             folds: int | None = None, progress: bool = True,
             echo: Callable[[str], None] = print) -> list[str]:
    """Train each task, predict the held-out (or dev/test) files, evaluate where labels exist."""
    out_dir = Path(out_dir)
    # no carried student: it would double the demo's training time (`shoprel train` makes one)
    overrides = {"student": None, **({"folds.k": folds} if folds is not None else {})}
    configs = {task: load_config(None, {**overrides, "data.task": task},
                                 options={"folds.k": "--folds"}) for task in ("QC", "QI")}
    _demo_folder(out_dir)
    if data_dir is not None:
        _data_folder(Path(data_dir))
    files = DemoFiles(out_dir)
    plan = []  # (task, train file, files to predict or None for the built-in split, run)
    for task in ("QC", "QI"):
        run_dir = out_dir / f"run_{task}"
        if data_dir is None:
            train_file = out_dir / "data" / f"train_{task}.jsonl"
            plan.append((task, train_file, None, run_dir))
            outputs = [train_file, out_dir / "data" / f"holdout_{task}.jsonl",
                       out_dir / f"pred_holdout_{task}.jsonl"]
        else:
            found = competition_files(Path(data_dir), f"train_{task}")
            if not found:
                continue
            to_predict = [*competition_files(Path(data_dir), f"dev_{task}"),
                          *competition_files(Path(data_dir), f"test_{task}")]
            plan.append((task, found[0], to_predict, run_dir))
            outputs = [out_dir / f"pred_{source.stem}.jsonl" for source in to_predict]
        for path in outputs:  # every name before the first write (training takes minutes)
            files.check(path)
        files.check_run(run_dir, plan[-1][1])
    if not plan:
        raise InputError(f"no train_QC.* or train_QI.* file in {data_dir}", path=data_dir)
    summary = []
    for task, train_file, to_predict, run_dir in plan:
        if to_predict is None:
            train_file, holdout = split_holdout(demo_file(task), out_dir / "data",
                                                claim=files.claim)
            to_predict = [holdout]
        echo(f"== {task}: training on {train_file}")
        files.claim_run(run_dir)
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
    return summary


def _num(value) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.4f}"
