"""`shoprel demo`: the whole flow on the built-in demo set, or on a folder of competition files."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from shoprel.data.compression import compression_of
from shoprel.data.formats import FORMATS, format_suffix, spreadsheet_said
from shoprel.data.readers import read_pairs
from shoprel.data.records import iter_records
from shoprel.data.submission import check_submission
from shoprel.data.tasks import Task
from shoprel.data.writers import write_table
from shoprel.errors import (
    InputError,
    Interrupted,
    OutputError,
    OutputExistsError,
    RunDirError,
)
from shoprel.evaluate.console import constant_scores_line
from shoprel.evaluate.files import evaluate_files
from shoprel.folds.grouped import assign_folds
from shoprel.predict.predictor import PredictResult, predict_file
from shoprel.run.folder import Run
from shoprel.training.config_reading import load_config
from shoprel.training.runner import train
from shoprel.utils.atomic import atomic_file
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.output_stamp import is_written_for
from shoprel.utils.outputs import (
    at_or_below,
    check_folder_target,
    check_not_a_link,
    check_outside_outputs,
    check_parent,
)
from shoprel.utils.shoprel_folders import is_shoprel_output, occupied

DEMO_FILES = {"QC": "qc_demo.jsonl", "QI": "qi_demo.jsonl"}
RECORD = ".shoprel-demo.json"  # in the demo's folder: the files it wrote, which a rerun replaces
PREDICTIONS = "pred_{}.jsonl"  # a data file's predictions, by its name (predictions_path)


class DemoInterrupted(Interrupted):
    """A demo stopped (Ctrl-C, SIGTERM) once a run or predictions file of its own was
    complete: its note names what is kept, and `summary` holds their lines, which the CLI
    prints as it would have at the end."""

    def __init__(self, note: str, summary: list[str]):
        super().__init__(note)
        self.summary = summary


def demo_file(task: str) -> Path:
    return Path(str(resources.files("shoprel.data") / "demo" / DEMO_FILES[task]))


def split_paths(out_dir: Path, task: str) -> tuple[Path, Path]:
    """The train and holdout files split_holdout writes for `task` into `out_dir`: the names
    the demo checks before any work and then writes."""
    return out_dir / f"train_{task}.jsonl", out_dir / f"holdout_{task}.jsonl"


def predictions_path(out_dir: Path, source: Path) -> Path:
    """Where the demo writes the predictions of a data file (pred_dev_QC.jsonl for
    dev_QC.txt.gz): the name checked before any work, written after training, and found
    again in a folder an older demo filled."""
    return out_dir / PREDICTIONS.format(_data_name(source))


def split_holdout(source: Path, out_dir: Path, holdout_fold: int = 0, k: int = 5,
                  check: Callable[[Path], None] = lambda path: None,
                  written: Callable[[Path], object] = lambda path: None) -> tuple[Path, Path]:
    """Write train and holdout files whose groups (category prefix / query) do not overlap;
    `check(path)` first, for each (the demo refuses to replace a file it did not write), and
    `written(path)` as soon as each is in place (a demo stopped between the two has recorded
    the first, so its rerun replaces it)."""
    frame = read_pairs(source, require_label=True)
    folds = assign_folds(frame, k=k, seed=7)
    table = frame.to_competition().assign(task=frame.task.value)
    columns = ["id", "task", "language", "origin_query", frame.task.target_column, "label"]
    train_path, gold_path = split_paths(out_dir, frame.task.value)
    for path in (train_path, gold_path):
        check(path)
    write_table(table.loc[folds != holdout_fold, columns], train_path)
    written(train_path)
    write_table(table.loc[folds == holdout_fold, columns], gold_path)
    written(gold_path)
    return train_path, gold_path


def competition_files(data_dir: Path, stem: str) -> list[Path]:
    """The competition file of that name in any format (train_QC.txt, train_QC.parquet...),
    compressed too (train_QC.txt.gz): none or one. Files derived from it (train_QC.en.jsonl,
    as `translate` writes) are not it; two formats of one name are refused, since either could
    be meant (and both would predict into one output). A spreadsheet beside a file of the name
    it can read (train_QC.xlsx saved as train_QC.csv, as the readers ask) is no rival: it is
    left alone, and named in the note of files not used."""
    found = sorted(p for p in data_dir.glob(f"{stem}.*")
                   if not p.is_dir() and _data_name(p) == stem)
    readable = [path for path in found if spreadsheet_said(path) is None]
    found = readable or found  # a spreadsheet alone is read, and refused in the readers' words
    if len(found) > 1:
        raise InputError(f"holds {' and '.join(p.name for p in found)}: which {stem} is meant? "
                         "Keep one of them in the folder", path=data_dir)
    for path in found:  # refused as a file it cannot read is, not skipped without a word
        if why := _not_a_file(path):
            raise InputError(f"{why}; the demo reads regular files", path=path)
    return found


def _not_a_file(path: Path) -> str | None:
    """Why an entry of --data (not a folder) is no file the demo can read, or None: it reads
    each file several times, which a named pipe gives once (and waits for a writer first)."""
    if path.is_file():
        return None
    if path.is_symlink() and not path.exists():
        return "is a link to nothing"
    return "is a named pipe" if path.is_fifo() else "is not a regular file"


def _data_name(path: Path) -> str:
    """A data file's name without its format's suffix and any compression's (dev_QC of
    dev_QC.txt.gz), as its predictions are named."""
    return Path(path.stem).stem if compression_of(path) else path.stem


def _fingerprint(path: Path) -> str | None:
    """What the demo wrote, recognisable on a rerun: a file's SHA-256; a run's creation time
    (work added to the run later, an index, keeps it); None when nothing of the kind is there."""
    if path.is_dir():
        try:
            created = Run.read(path).manifest.get("created")
        except RunDirError:
            return None
        return f"run created {created}" if created else None
    if not path.is_file():
        return None
    return sha256_of_file(path)


class DemoFiles:
    """The files and runs the demo writes into its folder: a rerun replaces its own, never a
    file or run of the user's that has one of their names. Every name is checked before the
    first is written (`check`, `check_run`); each is recorded once written, with what it
    holds (`record`), so a file or run put there later under the same name — after a demo that
    was stopped, say — is the user's. Writes are atomic: a stopped demo leaves the name as it
    was."""

    LEGACY = "listed"  # a record of an older shoprel: names without contents, taken on trust

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = out_dir / RECORD
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            ours = record.get("written_by") == "shoprel demo"
            self.written = self._entries(record["files"]) if ours else {}
            # records before runs were listed: a run counts as the demo's by its train file
            self.runs = self._entries(record["runs"]) if ours and "runs" in record else None
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.written = dict.fromkeys(self._older_demo(out_dir), self.LEGACY)
            self.runs = None

    @classmethod
    def _entries(cls, listed) -> dict[str, str]:
        if isinstance(listed, dict):
            return {str(k): str(v) for k, v in listed.items()}
        return dict.fromkeys((str(name) for name in listed), cls.LEGACY)

    @staticmethod
    def _older_demo(out_dir: Path) -> set[str]:
        """A folder an older shoprel's demo filled (its runs, no record): the files it names
        as the demo names them are taken as the demo's, so a rerun after an upgrade works —
        those holding rows of the built-in set only. A user's own data/train_QC.jsonl beside a
        run_QC they trained on it has the same names, and is theirs."""
        if not any((out_dir / f"run_{task}" / "run.json").is_file() for task in ("QC", "QI")):
            return set()
        patterns = [*split_paths(Path("data"), "Q[CI]"), Path(PREDICTIONS.format("*_Q[CI]"))]
        names = [path for pattern in patterns for path in out_dir.glob(pattern.as_posix())]
        return {path.relative_to(out_dir).as_posix() for path in names
                if _of_demo_set(_file_rows(path), path.stem[-2:])}

    def _name(self, path: Path) -> str:
        return path.relative_to(self.out_dir).as_posix()

    @classmethod
    def _holds_ours(cls, entries: dict[str, str], name: str, path: Path) -> bool:
        recorded = entries.get(name)
        return recorded is not None and (recorded == cls.LEGACY or recorded == _fingerprint(path))

    def check(self, path: Path) -> None:
        """Refuse `path` when something the demo did not write is there."""
        if occupied(path) and not self._holds_ours(
                self.written, self._name(path), path):
            raise OutputError(f"{path}: exists and the demo did not write it (or it changed "
                              "since); the demo would replace it, choose another --out")

    def check_run(self, run_dir: Path, train_file: Path) -> None:
        """Refuse a run folder the demo did not train (a user's run copied there). One whose
        stamp says it was trained for this folder is the demo's, recorded or not (a demo
        stopped between training it and recording it)."""
        if not occupied(run_dir):
            return
        if is_written_for(run_dir, self.out_dir):
            return
        recorded = (self.runs or {}).get(self._name(run_dir))
        if recorded is not None and recorded != self.LEGACY:
            ours = recorded == _fingerprint(run_dir)
        elif self.runs is not None and recorded is None:
            ours = False
        else:  # an older record: listed before it was trained, so judged by its train file
            try:
                trained_on = Run.read(run_dir).train_file()
            except RunDirError:
                trained_on = None
            ours = (trained_on is not None and Path(trained_on).resolve() == train_file.resolve()
                    and _of_demo_set(_run_rows(run_dir), run_dir.name[-2:]))
        if not ours:
            raise OutputError(f"{run_dir}: a run the demo did not train (or not the one it "
                              "trained); the demo would replace it, choose another --out")

    def record(self, path: Path) -> Path:
        """Note a file the demo has just written."""
        self.written[self._name(path)] = _fingerprint(path) or self.LEGACY
        self._save()
        return path

    def record_run(self, run_dir: Path) -> None:
        self.runs = {**(self.runs or {}), self._name(run_dir): _fingerprint(run_dir) or self.LEGACY}
        self._save()

    def _save(self) -> None:
        record = {"written_by": "shoprel demo", "files": dict(sorted(self.written.items())),
                  "runs": dict(sorted((self.runs or {}).items()))}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # stopped while written: the last record stays
            with atomic_file(self.path, durable=True) as tmp:
                Path(tmp).write_text(json.dumps(record, indent=1), encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write ({exc.strerror or exc})") from None


def _demo_rows(task: str) -> set[tuple[str, str, str]]:
    """(id, query, target) of every row of the built-in set: all an older demo's split, runs
    and predictions hold."""
    target = Task(task).target_column
    records = (json.loads(line) for line in demo_file(task).read_text(encoding="utf-8").split("\n")
               if line.strip())
    return {(str(r["id"]), str(r["origin_query"]), str(r[target])) for r in records}


def _file_rows(path: Path) -> list[dict]:
    """A JSON-lines file's rows (an older demo's data or predictions); [] when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.split("\n") if line.strip()]
    except (OSError, ValueError):
        return []


def _run_rows(run_dir: Path) -> list[dict]:
    """A run's out-of-fold rows as the demo's files name their fields; [] when unreadable."""
    try:
        table = Run.read(run_dir).oof()
        target = Task(run_dir.name[-2:]).target_column
        return [{"id": i, "origin_query": q, target: t}
                for i, q, t in zip(table["id"], table["query"], table["target"], strict=True)]
    except (RunDirError, ValueError, KeyError):  # no such task, or an oof without texts
        return []


def _of_demo_set(rows: list[dict], task: str) -> bool:
    """Whether these rows (of a file or run with an older demo's name) are all of the built-in
    set of `task`, as an older demo wrote them; none, or any other row: the user's."""
    if task not in ("QC", "QI") or not rows:
        return False
    known, target = _demo_rows(task), Task(task).target_column
    try:
        return all(isinstance(r, dict) and (str(r["id"]), str(r["origin_query"]), str(r[target]))
                   in known for r in rows)
    except KeyError:
        return False


def _demo_folder(out_dir: Path) -> None:
    """Refuse a --out the demo may not fill, before anything is written."""
    check_folder_target(out_dir)
    if out_dir.is_symlink() and not out_dir.exists():
        raise OutputError(f"{out_dir}: is a link to nothing; --out needs a folder")
    check_not_a_link(out_dir)  # the demo would write into wherever it leads
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: is a file; --out needs a folder for the demo's outputs")
    target = out_dir.resolve()
    if at_or_below(Path.cwd().resolve(), target):
        raise OutputError(f"{out_dir}: is the current folder or holds it; --out must be a "
                          "folder of its own")
    if out_dir.is_dir() and is_shoprel_output(target):
        raise OutputError(f"{out_dir}: is a folder shoprel wrote (a run, an index or a "
                          "backbone); the demo would write into it, choose another --out")
    check_outside_outputs(out_dir, then="choose a folder outside it")
    check_parent(out_dir)


def _refuse_earlier_outputs(paths: list[Path]) -> None:
    """Refuse, in train's words, the first of a --data demo's outputs an earlier demo left
    (a file, or a folder holding anything: an empty one holds nothing to lose)."""
    for path in paths:
        if path.is_file() or (path.is_dir() and any(path.iterdir())):
            raise OutputExistsError.at(path)


def _labelled(source: Path, task: str) -> bool:
    """Check a dev/test file as `predict` reads it (labels unread), and say whether it holds
    labels to evaluate against, which are then checked too. A label column empty on every row
    (null, an empty CSV cell: a competition's test file may carry it so) holds none: predict
    scores such a file, which the demo refused before (`label must be 0 or 1, got null`)."""
    read_pairs(source, task=task, read_labels=False)
    if all(fields.get("label") in (None, "") for _, fields in iter_records(source)):
        return False
    return read_pairs(source, task=task).has_labels


def _partly_labelled(source: Path) -> str | None:
    """Why a dev/test file with labels on later rows only is not evaluated (evaluate reads
    labels where the first row has one, as predict does, and refuses the file otherwise); None
    for a file without a label on any row, which has nothing to say."""
    first = None
    for line, fields in iter_records(source):
        first = line if first is None else first
        if fields.get("label") not in (None, ""):
            return (f"its first row (line {first}) has no label, line {line} has one; "
                    "evaluate needs a label on every row")
    return None


def _data_folder(data_dir: Path) -> None:
    if not data_dir.exists():
        raise InputError("folder not found (--data)", path=data_dir)
    if not data_dir.is_dir():
        raise InputError("is a file; --data needs a folder of train_QC.* / train_QI.* files",
                         path=data_dir)


def run_demo(out_dir: str | Path = "runs/demo", data_dir: str | Path | None = None,
             folds: int | None = None, progress: bool = True,
             echo: Callable[[str], None] = print,
             warn: Callable[[str], None] | None = None, overwrite: bool = False,
             on_predicted: Callable[[Path, Path, PredictResult], None] | None = None
             ) -> list[str]:
    """Train each task, predict the held-out (or dev/test) files, evaluate where labels exist.
    `echo` takes the progress (each task's training header) and the notes (files of --data
    left alone) as they come: the CLI's stderr, none under --quiet; `warn` (default stderr)
    the warnings (fold models that learnt nothing), printed even under --quiet; the result is
    the summary returned; `on_predicted(run_dir, source, result)` takes each file's
    predictions as made, for what predict says of them (the CLI's notes and warnings: rows in
    languages the run never saw, rows with an empty text). With `data_dir`, a run or
    predictions file an earlier demo wrote is replaced only with `overwrite`, as `train --out`
    replaces a run: those are the user's data's, hours of training on the competition's files;
    the built-in set's are made again in minutes, and its demo replaces its own on every rerun
    (the README's first command)."""
    out_dir = Path(out_dir)
    warn = warn or (lambda line: print(line, file=sys.stderr))
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
            train_file, holdout = split_paths(out_dir / "data", task)
            plan.append((task, train_file, None, run_dir))
            outputs = [train_file, holdout, predictions_path(out_dir, holdout)]
        else:
            found = competition_files(Path(data_dir), f"train_{task}")
            if not found:
                continue
            to_predict = [*competition_files(Path(data_dir), f"dev_{task}"),
                          *competition_files(Path(data_dir), f"test_{task}")]
            plan.append((task, found[0], to_predict, run_dir))
            outputs = [predictions_path(out_dir, source) for source in to_predict]
        for folder in (run_dir, *sorted({path.parent for path in outputs} - {out_dir})):
            check_not_a_link(folder)  # its run and data folder, as the --out itself
        for path in outputs:  # every name before the first write (training takes minutes)
            files.check(path)
        files.check_run(run_dir, plan[-1][1])
        if data_dir is not None and not overwrite:
            _refuse_earlier_outputs([run_dir, *outputs])
    if not plan:
        raise InputError(f"no train_QC.* or train_QI.* file{_what_is_there(Path(data_dir))}",
                         path=data_dir)
    labelled: dict[Path, bool] = {}  # each file to predict: whether it can be scored
    unscored: dict[Path, str] = {}  # why one with some labels is not
    if data_dir is not None:
        for note in _unused_files(Path(data_dir), plan):
            echo(note)
        for task, train_file, to_predict, _ in plan:  # a bad file fails now, not after hours
            read_pairs(train_file, task=task, require_label=True,
                       empty_text=configs[task].data.empty_text)
            for source in to_predict:
                labelled[source] = _labelled(source, task)
                if not labelled[source] and (why := _partly_labelled(source)):
                    unscored[source] = why
    summary: list[str] = []
    kept: list[tuple[str, str]] = []  # (task, "run DIR" / "predictions FILE") completed
    try:
        for task, train_file, to_predict, run_dir in plan:
            if to_predict is None:
                train_file, holdout = split_holdout(demo_file(task), out_dir / "data",
                                                    check=files.check, written=files.record)
                to_predict, labelled[holdout] = [holdout], True
            echo(f"== {task}: training on {train_file}")
            files.check_run(run_dir, train_file)
            try:
                result = train(train_file, run_dir, configs[task], overwrite=True,
                               progress=progress, written_for=out_dir)
            except OutputError as error:  # the guard speaks of train's option, not the demo's
                error.args = (str(error).replace("--overwrite would delete it",
                                                 "the demo would delete it"), *error.args[1:])
                raise
            files.record_run(run_dir)
            m = result.metrics["overall"]
            summary.append(f"{task} cross-validation: F1 {m['f1']:.4f} (all-positive "
                           f"{m['baseline_all_positive_f1']:.4f}), ROC-AUC {m['roc_auc']:.4f} "
                           f"— report {run_dir / 'report.html'}")
            kept.append((task, f"run {run_dir}"))
            if constant := constant_scores_line(result.metrics, named=f"{task}: "):
                warn(constant)
            for source in to_predict:
                out_file = predictions_path(out_dir, source)
                files.check(out_file)
                predicted = predict_file(run_dir, source, out_file, progress=progress,
                                         overwrite=True)
                files.record(out_file)
                kept.append((task, f"predictions {out_file}"))
                if on_predicted is not None:
                    on_predicted(run_dir, source, predicted)
                check = check_submission(out_file, source, task)
                if not check.ok:
                    raise InputError("submission check failed: " + "; ".join(check.problems))
                line = f"{task} predictions for {source.name} → {out_file} (checked)"
                if labelled[source]:
                    scored = evaluate_files(out_file, source, task)["overall"]
                    line += (f"; held-out F1 {scored['f1']:.4f} (all-positive "
                             f"{scored['baseline_all_positive_f1']:.4f}), ROC-AUC "
                             f"{_num(scored['roc_auc'])}")
                elif source in unscored:
                    line += f"; not evaluated: {unscored[source]}"
                summary.append(line)
    except KeyboardInterrupt as stop:
        if not kept:  # nothing of its own complete: the CLI's general line says it all
            raise
        raise DemoInterrupted(_stopped_note(kept, data_dir is not None), summary) from stop
    return summary


def _stopped_note(kept: list[tuple[str, str]], with_data: bool) -> str:
    """What a demo stopped after completing part of its work says: the runs and predictions
    kept, that the rest was not written, and what a rerun does: it trains every task again,
    and a --data demo's refuses the runs kept unless given --overwrite."""
    done = "; ".join(f"{task}: " + ", ".join(what for t, what in kept if t == task)
                     for task in dict.fromkeys(task for task, _ in kept))
    again = ("the same `shoprel demo --data` refuses them, and with --overwrite trains every "
             "task again" if with_data else "`shoprel demo` run again trains every task again")
    return (f"interrupted: complete and kept (their summary printed): {done}; what the demo "
            "had begun after them was removed, outputs that were already there are as they "
            f"were; {again}")


COMPETITION_NAME = re.compile(r"(train|dev|test)_(QC|QI)")


def _what_is_there(data_dir: Path) -> str:
    """The hint of a --data folder without a training file: the names it wants, the ones it
    has."""
    formats = ", ".join(sorted(FORMATS))
    names = sorted(p.name for p in data_dir.iterdir() if not p.name.startswith("."))
    held = (f"; it holds {', '.join(names[:6])}{' ...' if len(names) > 6 else ''}" if names
            else "; it is empty")
    return f" (names are case-sensitive; formats {formats}){held}"


def _unused_files(data_dir: Path, plan: list) -> list[str]:
    """A line for the files of the --data folder the demo leaves alone, and why."""
    used = {path.resolve() for _, train_file, to_predict, _ in plan
            for path in (train_file, *to_predict)}
    tasks = {task for task, *_ in plan}
    unused = []
    for path in sorted(p for p in data_dir.iterdir() if not p.is_dir()
                       and not p.name.startswith(".")):
        if path.resolve() in used:
            continue
        name = COMPETITION_NAME.fullmatch(path.name.split(".")[0])
        if why := _not_a_file(path):  # a pipe or a broken link: named, with what it is
            unused.append(f"{path.name} ({why.removeprefix('is ')})")
        elif name and name.group(2) not in tasks:
            unused.append(f"{path.name} (no train_{name.group(2)}.* to train on)")
        elif name and (spreadsheet := spreadsheet_said(path)):  # as the readers say it
            unused.append(f"{path.name} ({spreadsheet})")
        elif name and format_suffix(path) not in FORMATS:
            unused.append(f"{path.name} (not a format it reads)")
        else:
            unused.append(path.name)
    if not unused:
        return []
    shown = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8 else "")
    return [f"note: not used from {data_dir}: {shown} (the demo reads train_QC|QI.*, dev_QC|QI.*, "
            "test_QC|QI.*)"]


def _num(value) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.4f}"
