"""The API's calls stop on SIGTERM as their commands do (the CLI turns it into Ctrl-C's
interrupt for every command): at SIGTERM's default a Python call ended at once, skipping every
`finally`, so it left the temporaries and lock of what it was writing (a run's `.NAME.PID@HOST.
RANDOM.partial` folder and `.NAME.lock`, a student's inside a finished run), its spooled input in
TMPDIR, and said nothing of what it kept (a translation cache, a run whose student was stopped)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

import pandas as pd
import pytest

import shoprel
from shoprel.demo import demo_file
from shoprel.models.backbones.cache import CACHE_ENV
from shoprel.utils import signals

# every call that writes, or reads a file through a spooled copy (a pipe, a compressed
# Parquet file); load_config and list_cache write nothing, and a Scorer is the program's
CALLS_OVER_FILES = ("add_far_pairs", "check_submission", "compare_runs", "distill_student",
                    "ensemble_runs", "evaluate_file", "export_onnx", "index_targets",
                    "langid_file", "noisy_rows", "predict_file", "pretrain", "prune_cache",
                    "read_pairs", "train", "translate_file", "write_report")

# One process calls each case in turn; a hook mid-call prints "waiting CASE" and sleeps there
# for the test to send SIGTERM, then the case prints what the interrupt said and what is left.
CHILD = r"""
import json, os, signal, sys, time
from pathlib import Path
import shoprel
from shoprel.models.registry import model_class
import shoprel.augment.langid as langid
import shoprel.data.spool as spool
from shoprel.augment.table import TableTranslator

root, teacher, qc, table, gold = map(Path, sys.argv[1:6])
FAST = {"model.family": "fast", "model.params.n_features": 2**16,
        "model.params.n_estimators": 30, "model.params.n_jobs": 1, "folds.k": 3}
STUDENT = {"model": {"family": "fast", "params": {"n_features": 2**16, "n_estimators": 20,
                                                   "n_jobs": 1, "stack": False}}}
fast = model_class("fast")

def waiting_at(case, owner, name, nth, when=lambda *args, **kwargs: True):
    original, calls = getattr(owner, name), []
    def hooked(*args, **kwargs):
        if when(*args, **kwargs):
            calls.append(1)
            if len(calls) == nth:
                print("waiting", case, flush=True)
                time.sleep(120)
        return original(*args, **kwargs)
    setattr(owner, name, hooked)
    return lambda: setattr(owner, name, original)

def at_rename(case, folder):  # the output's rename into place: the tail of a short write
    into = lambda source, target, *args, **kwargs: str(folder) in str(target)
    undo = [waiting_at(case, os, "replace", 1, into), waiting_at(case, os, "rename", 1, into)]
    return lambda: [each() for each in undo]

def case_call(case, folder):
    if case == "train":
        return (waiting_at(case, fast, "fit", 2),
                lambda: shoprel.train(qc, folder / "run", FAST, progress=False))
    if case == "train_student":  # the run's 3 folds and full fit, then the student's 2nd fit
        return (waiting_at(case, fast, "fit", 6),
                lambda: shoprel.train(qc, folder / "run", {**FAST, "student": STUDENT},
                                      progress=False))
    if case == "distill_student":
        return (waiting_at(case, fast, "fit", 2),
                lambda: shoprel.distill_student(teacher, STUDENT, folder / "run",
                                                progress=False))
    if case == "predict_file":
        return (waiting_at(case, fast, "predict_proba", 2),
                lambda: shoprel.predict_file(teacher, qc, folder / "p.jsonl", chunk_rows=100,
                                             progress=False))
    if case == "translate_file":
        return (waiting_at(case, TableTranslator, "translate", 2),
                lambda: shoprel.translate_file(qc, folder / "t.jsonl", backend="table",
                                               table=table, cache=folder / "t.sqlite",
                                               progress=False))
    if case == "langid_file":
        return (waiting_at(case, langid, "has_letters", 100),
                lambda: shoprel.langid_file(qc, folder / "l.jsonl", progress=False))
    if case == "noisy_rows":
        return (at_rename(case, folder),
                lambda: shoprel.noisy_rows(teacher, out_file=folder / "flagged.txt"))
    if case == "evaluate_file":  # a compressed Parquet file is read from a copy in TMPDIR
        return (waiting_at(case, spool.shutil, "copyfileobj", 1),
                lambda: shoprel.evaluate_file(gold, gold))
    raise SystemExit(case)

for case in sys.argv[6:]:
    folder = root / case
    folder.mkdir()
    undo, call = case_call(case, folder)
    try:
        call()
        said = {"finished": True}
    except KeyboardInterrupt as stop:
        said = {"stop": type(stop).__name__, "message": str(stop)}
    finally:
        undo()
    said["default_back"] = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    said["left"] = sorted(str(path.relative_to(root)) for path in root.rglob(".*")
                          if path.name.endswith((".partial", ".lock", ".old")))
    print(json.dumps({case: said}), flush=True)
"""

CASES = ("train", "train_student", "distill_student", "predict_file", "translate_file",
         "langid_file", "noisy_rows", "evaluate_file")


@pytest.fixture(scope="module")
def stopped(tmp_path_factory, trained_runs) -> dict[str, dict]:
    """What each case said and left after SIGTERM mid-call, by case (a case missing: the
    process ended on the signal)."""
    root = tmp_path_factory.mktemp("sigterm")
    (root / "calls").mkdir()
    (root / "tmp").mkdir()
    qc = pd.read_json(demo_file("QC"), lines=True, dtype=False)
    table = root / "table.jsonl"
    table.write_text("".join(json.dumps({"text": q, "source": language, "target": "en",
                                         "translation": f"en {q}"}) + "\n"
                             for q, language in zip(qc["origin_query"], qc["language"],
                                                    strict=True) if language != "en"),
                     encoding="utf-8")
    gold = root / "gold.parquet.gz"
    qc.assign(prediction=qc["label"]).to_parquet(gold, compression=None)
    import gzip

    gold.write_bytes(gzip.compress(gold.read_bytes()))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root / "calls"), str(trained_runs["QC"]),
         str(demo_file("QC")), str(table), str(gold), *CASES],
        env={**os.environ, CACHE_ENV: str(root / "cache"), "TMPDIR": str(root / "tmp"),
             "OMP_NUM_THREADS": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = {}
    try:
        for line in child.stdout:
            if line.startswith("waiting "):
                child.send_signal(signal.SIGTERM)
            else:
                said.update(json.loads(line))
        child.wait(timeout=120)
    finally:
        child.kill()
    said["returncode"] = child.returncode
    said["tmp"] = sorted(path.name for path in (root / "tmp").iterdir())
    return said


@pytest.mark.parametrize("case", ["train", "distill_student", "predict_file", "langid_file",
                                  "noisy_rows"])
def test_a_call_stopped_by_sigterm_leaves_nothing_it_was_writing(stopped, case):
    """Its temporary output and lock were left beside the output; now removed, as by the
    command, and the interrupt is Ctrl-C's (SIGTERM's); the default is back after."""
    assert stopped.get(case) == {"stop": "SignalStop", "message": "stopped by signal 15",
                                 "default_back": True, "left": []}, stopped


def test_train_stopped_in_its_student_keeps_the_run_and_says_so_in_pythons_words(
        stopped, tmp_path_factory):
    """The run was in place, a `.student.PID@HOST.RANDOM.partial` folder and `.student.lock`
    left inside it, its metrics silent on why it has no student; now as `shoprel train`."""
    said = stopped.get("train_student")
    assert said is not None, stopped
    run = next(tmp_path_factory.getbasetemp().glob("sigterm*/calls/train_student/run"))
    assert said["stop"] == "StudentInterrupted" and said["left"] == []
    assert said["message"].startswith(
        f"interrupted while the student was distilled: the run {run} is complete and kept")
    assert f"`shoprel.distill_student('{run}', None, '{run / 'student'}', hard_weight=" \
        in said["message"]
    assert json.loads((run / "metrics.json").read_text())["student"]["error"] == \
        "interrupted (Ctrl-C or SIGTERM) while the student was distilled"


def test_translate_stopped_keeps_its_cache_and_says_so(stopped, tmp_path_factory):
    said = stopped.get("translate_file")
    assert said is not None, stopped
    folder = next(tmp_path_factory.getbasetemp().glob("sigterm*/calls/translate_file"))
    assert said["stop"] == "Interrupted" and said["left"] == []
    assert said["message"] == (
        f"interrupted: {folder / 't.jsonl'} was not written; the 256 translations made so far "
        f"are kept in the cache {folder / 't.sqlite'}, where the same call run again finds them")


def test_a_spooled_input_is_removed_from_tmpdir(stopped):
    """evaluate_file on a compressed Parquet file reads a copy in TMPDIR, left there."""
    assert stopped.get("evaluate_file", {}).get("left") == [] and stopped["tmp"] == [], stopped
    assert stopped["returncode"] == 0


@pytest.mark.parametrize("name", CALLS_OVER_FILES)
def test_every_call_over_files_stops_on_sigterm_for_its_length(name, monkeypatch):
    """Each installs the interrupt before its first check (an unknown keyword here, refused
    inside it) and puts SIGTERM's default back after."""
    entered, real = [], signals.sigterm_at_default_as_interrupt

    @contextmanager
    def recording():
        with real():
            entered.append(signal.getsignal(signal.SIGTERM))
            yield

    monkeypatch.setattr(signals, "sigterm_at_default_as_interrupt", recording)
    kept = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with pytest.raises(TypeError):
            getattr(shoprel, name)(not_a_keyword=1)
        after = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, kept)
    assert len(entered) == 1 and entered[0] not in (signal.SIG_DFL, signal.SIG_IGN)
    assert after is signal.SIG_DFL
