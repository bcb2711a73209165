"""The fault suite: bad inputs and misuse, each run through the CLI as a user would.

Every case must exit with code 2 and print exactly one line, `error: ...`, naming the place
(file, line, field or option), and leave the sandbox it ran in byte for byte as it was: inputs
untouched, no output, no temporary leftovers. The sandbox holds a training file, a gold file, a
finished run, an ensemble of it and a fast config; each case may add what it needs first.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import UNRENDERED_SHOPREL

from shoprel.cli import main
from shoprel.demo import demo_file

FAST = "model:\n  family: fast\n  params: {n_features: 65536, n_estimators: 40}\nfolds: {k: 3}\n"


def snapshot(root: Path) -> dict[str, str]:
    """Every path under root with its content hash (or link target): what a case may not change."""
    state = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            state[key] = "link:" + os.readlink(path)
        elif path.is_dir():
            state[key] = "dir"
        elif not path.is_file():  # a pipe or device: reading it would block or never end
            state[key] = f"special:{path.stat().st_mode:o}"
        else:
            state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def rows(n: int = 30, **changes) -> list[dict]:
    """The first n rows of the QC demo set, with changes to row 2 (line 2 of the file)."""
    lines = demo_file("QC").read_text(encoding="utf-8").splitlines()[:n]
    out = [json.loads(line) for line in lines]
    out[1].update(changes)
    return out


def write_rows(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def edit_manifest(run: Path, **changes) -> Path:
    manifest = json.loads((run / "run.json").read_text())
    manifest.update(changes)
    (run / "run.json").write_text(json.dumps(manifest))
    return run


@dataclass
class Case:
    name: str
    prepare: object  # (sandbox) -> list of CLI arguments, relative to the sandbox
    place: str  # what the error line must name
    embed: bool = False  # the sandbox also holds `erun`, a small run of the embed family


def _bad_train(**changes):
    return lambda sb: ["train", write_rows(sb / "bad.jsonl", rows(**changes)), "--out",
                       "newrun", "--config", "fast.yaml"]


def _bad_predict(**changes):
    return lambda sb: ["predict", "run", write_rows(sb / "bad.jsonl", rows(**changes)),
                       "--out", "pred.jsonl"]


def _raw_train(content: bytes, name: str = "bad.jsonl"):
    def prepare(sb):
        (sb / name).write_bytes(content)
        return ["train", name, "--out", "newrun", "--config", "fast.yaml"]
    return prepare


def _config(text: str):
    def prepare(sb):
        (sb / "bad.yaml").write_text(text)
        return ["train", "train.jsonl", "--out", "newrun", "--config", "bad.yaml"]
    return prepare


def _broken_run(**changes):
    def prepare(sb):
        shutil.copytree(sb / "run", sb / "broken")
        edit_manifest(sb / "broken", **changes)
        return ["predict", "broken", "gold.jsonl", "--out", "pred.jsonl"]
    return prepare


def _drop_manifest_key(key):
    def prepare(sb):
        shutil.copytree(sb / "run", sb / "broken")
        manifest = json.loads((sb / "broken" / "run.json").read_text())
        del manifest[key]
        (sb / "broken" / "run.json").write_text(json.dumps(manifest))
        return ["predict", "broken", "gold.jsonl", "--out", "pred.jsonl"]
    return prepare


def _broken_model(damage):
    def prepare(sb):
        shutil.copytree(sb / "run", sb / "broken")
        full = sb / "broken" / "models" / "full"
        for path in full.iterdir():
            if path.name == "model.json":
                config = json.loads(path.read_text())
                if damage == "params":
                    config["params"]["no_such_param"] = 1
                elif damage == "family":
                    config["family"] = "no_such_family"
                path.write_text(json.dumps(config))
            elif damage == "weights":
                path.write_bytes(path.read_bytes()[:100])
        return ["predict", "broken", "gold.jsonl", "--out", "pred.jsonl"]
    return prepare


def _reshaped(run: str, edit, verb: str = "predict"):
    """A copy of `run` whose full model `edit(folder)` changed so that its stored arrays no
    longer fit its params; predict (or serve) must refuse it at load."""
    def prepare(sb):
        shutil.copytree(sb / run, sb / "broken")
        edit(sb / "broken" / "models" / "full")
        if verb == "serve":
            return ["serve", "broken", "--port", "0"]
        return ["predict", "broken", "gold.jsonl", "--out", "pred.jsonl"]
    return prepare


def _edit_json(name: str, change):
    def edit(folder):
        data = json.loads((folder / name).read_text())
        change(data)
        (folder / name).write_text(json.dumps(data))
    return edit


def _n_features(both: bool):
    def change(config):
        config["params"]["n_features"] = 2**17
        if both:  # the saved lexical params agree, the weights do not
            config["state"]["lexical"]["params"]["n_features"] = 2**17
    return _edit_json("model.json", change)


def _save_arrays(name: str, **arrays):
    def edit(folder):
        from safetensors.numpy import save_file

        save_file(arrays, str(folder / name))
    return edit


def _other_booster(name: str = "lightgbm.txt"):
    """A booster fitted on 5 feature columns, where the model builds many more, in a model
    saved before the boosters' digests were recorded (with them, the digest tells it first)."""
    def edit(folder):
        import lightgbm as lgb

        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
        booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
                            lgb.Dataset(X, y), num_boost_round=3)
        booster.save_model(str(folder / name))
        _edit_json("model.json", lambda c: c["state"].pop("booster_sha256"))(folder)
    return edit


def _changed_digit(folder):
    """The first leaf value of the booster's second tree one digit off: same length, same
    layout, read by LightGBM without a word."""
    path = folder / "lightgbm.txt"
    data = path.read_bytes()
    at = data.index(b"\nleaf_value=", data.index(b"\nTree=1\n")) + len(b"\nleaf_value=")
    while data[at] not in b"12345678":
        at += 1
    path.write_bytes(data[:at] + bytes([data[at] + 1]) + data[at + 1:])


def _neighbours_rows(folder):
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(folder / "neighbours.safetensors"))
    arrays["neighbour_t_place"] = arrays["neighbour_t_place"][:-5]
    save_file(arrays, str(folder / "neighbours.safetensors"))


def _ensemble(members, name="ens2"):
    def prepare(sb):
        (sb / name).mkdir()
        (sb / name / "run.json").write_text(json.dumps({
            "kind": "ensemble", "task": "QC", "threshold": 0.5,
            "members": [{"name": m, "path": m} for m in members],
            "combination": {"method": "mean", "weights": [1 / len(members)] * len(members)}}))
        return ["predict", name, "gold.jsonl", "--out", "pred.jsonl"]
    return prepare


def _with(setup, args):
    def prepare(sb):
        setup(sb)
        return args
    return prepare


def _links(sb):
    os.link(sb / "gold.jsonl", sb / "hard.jsonl")
    (sb / "soft.jsonl").symlink_to(sb / "gold.jsonl")


def _foreign_dir(sb):
    (sb / "notes").mkdir()
    (sb / "notes" / "mine.txt").write_text("not shoprel's")


def _run_with_submission(sb):
    (sb / "run" / "submission.txt").write_text("a user's file inside the run")


def _run_with_dot_file(sb):
    """A user's file named like a temporary one (shoprel's are .NAME.PID@HOST.X.partial)."""
    (sb / "run" / ".notes.old").write_text("a user's file inside the run")


def _pipe(sb):
    os.mkfifo(sb / "pipe.jsonl")


def _own_demo_names(sb):
    """A user's folder laid out as an older demo's (no record): their data/train_QC.jsonl,
    not rows of the built-in set, and a run_QC."""
    (sb / "proj" / "data").mkdir(parents=True)
    write_rows(sb / "proj" / "data" / "train_QC.jsonl",
               [dict(r, origin_query="my " + r["origin_query"]) for r in rows()])
    shutil.copytree(sb / "run", sb / "proj" / "run_QC")


def _report_folder(sb):
    """A folder where the run's report.html was."""
    (sb / "run" / "report.html").unlink()
    (sb / "run" / "report.html").mkdir()


def _submission(sb):
    """A submission (predict's columns: the input's, then prediction and probability) and a
    link to it."""
    write_rows(sb / "sub.jsonl", [dict(r, prediction=1, probability=0.5) for r in rows()])
    (sb / "subsoft.jsonl").symlink_to(sb / "sub.jsonl")


def _data_dir(sb):
    (sb / "data").mkdir()
    shutil.copy(sb / "train.jsonl", sb / "data" / "d.jsonl")
    (sb / "data" / "other.csv").write_text("id\n1\n")


def _a_file(sb):
    (sb / "afile").write_text("x")


def _table(sb):
    (sb / "table.tsv").write_text("text\tsource\ttarget\ttranslation\nfunda\tes\ten\tcase\n")


def _parquet_with_list(sb):
    import pandas as pd

    table = pd.DataFrame(rows(4))
    table["origin_query"] = [[q] for q in table["origin_query"]]  # one type per column
    table.to_parquet(sb / "bad.parquet", index=False)
    return ["train", "bad.parquet", "--out", "newrun", "--config", "fast.yaml"]


def _two_cycle(sb):
    _ensemble(["../run", "../ens3"], "ens2")(sb)
    _ensemble(["../run", "../ens2"], "ens3")(sb)
    return ["predict", "ens2", "gold.jsonl", "--out", "pred.jsonl"]


def _unreadable_manifest(sb):
    shutil.copytree(sb / "run", sb / "broken")
    (sb / "broken" / "run.json").write_text("{")
    return ["predict", "broken", "gold.jsonl", "--out", "pred.jsonl"]


def _damaged(name: str, content: bytes, args: list[str]):
    """A copy of the run with one of its files replaced by `content`."""
    def prepare(sb):
        shutil.copytree(sb / "run", sb / "broken")
        (sb / "broken" / name).write_bytes(content)
        return args
    return prepare


def _serve(breakage):
    """`serve` on a run that `breakage` (a predict case) broke: it must refuse to start."""
    def prepare(sb):
        breakage(sb)
        return ["serve", "broken", "--port", "0"]
    return prepare


CASES = [
    # --- outputs that would destroy an input, a run or a folder shoprel did not write ---
    Case("predict onto its input", lambda sb: ["predict", "run", "gold.jsonl", "--out",
                                               "gold.jsonl"], "gold.jsonl"),
    Case("predict onto a hard link of its input",
         _with(_links, ["predict", "run", "gold.jsonl", "--out", "hard.jsonl"]), "hard.jsonl"),
    Case("predict onto a symlink to its input",
         _with(_links, ["predict", "run", "gold.jsonl", "--out", "soft.jsonl"]), "soft.jsonl"),
    Case("predict into the run's run.json", lambda sb: ["predict", "run", "gold.jsonl", "--out",
                                                        "run/run.json"], "run/run.json"),
    Case("predict into the run's models", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "run/models/full/model.json"], "run/models"),
    Case("predict into a member of an ensemble", lambda sb: [
        "predict", "ens", "gold.jsonl", "--out", "run/metrics.json"], "run/metrics.json"),
    Case("predict onto a folder", lambda sb: ["predict", "run", "gold.jsonl", "--out", "run"],
         "run: is a folder"),
    Case("predict --overwrite onto a named pipe",
         _with(_pipe, ["predict", "run", "gold.jsonl", "--out", "pipe.jsonl", "--overwrite"]),
         "pipe.jsonl: is not a regular file"),
    Case("predict below a file", _with(_a_file, ["predict", "run", "gold.jsonl", "--out",
                                                 "afile/pred.jsonl"]), "afile"),
    Case("predict onto its input spelled another way", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "run/../gold.jsonl"],
         "run/../gold.jsonl: is the input file gold.jsonl"),
    Case("predict from a link onto the file it leads to",
         _with(_links, ["predict", "run", "soft.jsonl", "--out", "./gold.jsonl"]),
         "gold.jsonl: is the input file soft.jsonl"),
    Case("train onto its input", lambda sb: ["train", "train.jsonl", "--out", "train.jsonl",
                                             "--overwrite", "--config", "fast.yaml"],
         "train.jsonl"),
    Case("train over the folder holding its input",
         _with(_data_dir, ["train", "data/d.jsonl", "--out", "data", "--overwrite",
                           "--config", "fast.yaml"]), "data"),
    Case("train over the current folder", lambda sb: [
        "train", "train.jsonl", "--out", ".", "--overwrite", "--config", "fast.yaml"],
        "current folder"),
    Case("train over the parent folder", lambda sb: [
        "train", "train.jsonl", "--out", "..", "--overwrite", "--config", "fast.yaml"],
        "current folder"),
    Case("train onto an existing run without --overwrite", lambda sb: [
        "train", "train.jsonl", "--out", "run", "--config", "fast.yaml"], "run already exists"),
    Case("train --overwrite over a folder shoprel did not write",
         _with(_foreign_dir, ["train", "train.jsonl", "--out", "notes", "--overwrite",
                              "--config", "fast.yaml"]), "notes: not a folder shoprel wrote"),
    Case("train --overwrite over a run holding a user's file",
         _with(_run_with_submission, ["train", "train.jsonl", "--out", "run", "--overwrite",
                                      "--config", "fast.yaml"]), "submission.txt"),
    Case("train --overwrite over a run holding a user's dot file",
         _with(_run_with_dot_file, ["train", "train.jsonl", "--out", "run", "--overwrite",
                                    "--config", "fast.yaml"]), ".notes.old"),
    Case("train --overwrite over a file", lambda sb: [
        "train", "train.jsonl", "--out", "gold.jsonl", "--overwrite", "--config", "fast.yaml"],
        "gold.jsonl: is a file"),
    Case("ensemble over one of its members", lambda sb: [
        "ensemble", "run", "ens", "--out", "run", "--overwrite"], "run: overlaps"),
    Case("ensemble inside one of its members", lambda sb: [
        "ensemble", "run", "run", "--out", "run/ens"], "overlaps"),
    Case("distill over its teacher", lambda sb: [
        "distill", "run", "--student", "fast.yaml", "--out", "run", "--overwrite"],
        "run: overlaps"),
    Case("report into run.json", lambda sb: ["report", "run", "--out", "run/run.json"],
         "run/run.json"),
    Case("report onto a folder", lambda sb: ["report", "run", "--out", "ens"], "ens: is a folder"),
    Case("compare page into a run's run.json", lambda sb: [
        "compare", "run", "run", "--out", "run/run.json"], "run/run.json"),
    Case("noise flags into the run", lambda sb: ["noise", "run", "--out", "run/flags.txt"],
         "run/flags.txt"),
    Case("langid onto its input", lambda sb: ["langid", "gold.jsonl", "--out", "gold.jsonl"],
         "gold.jsonl"),
    Case("translate onto its input",
         _with(_table, ["translate", "gold.jsonl", "--backend", "table", "--table", "table.tsv",
                        "--out", "gold.jsonl"]), "gold.jsonl"),
    Case("pretrain onto a file", lambda sb: [
        "pretrain", "train.jsonl", "--out", "gold.jsonl", "--overwrite"], "gold.jsonl: is a file"),
    Case("far-pairs on a run whose report.html is a folder",
         _with(_report_folder, ["far-pairs", "run", "--pairs", "60", "--quiet"]),
         "run/report.html: is a folder"),
    # an existing file the command did not read is still the user's: kept without --overwrite
    Case("demo into a user's folder laid out as an older demo's",
         _with(_own_demo_names, ["demo", "--out", "proj"]),
         "proj/data/train_QC.jsonl: exists and the demo did not write it"),
    Case("predict onto an existing file", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "train.jsonl"], "train.jsonl already exists"),
    Case("report onto an existing file", lambda sb: ["report", "run", "--out", "train.jsonl"],
         "train.jsonl already exists"),
    Case("compare page onto an existing file", lambda sb: [
        "compare", "run", "run", "--out", "train.jsonl"], "train.jsonl already exists"),
    # with --overwrite, a page still never replaces a data file with HTML
    Case("report over a data file", lambda sb: [
        "report", "run", "--out", "train.jsonl", "--overwrite"],
        "train.jsonl: an HTML page is written there; give a name ending in .html"),
    Case("compare page over a data file", lambda sb: [
        "compare", "run", "run", "--out", "train.jsonl", "--overwrite"],
        "train.jsonl: an HTML page is written there"),
    Case("noise flags onto an existing file", lambda sb: [
        "noise", "run", "--out", "train.jsonl"], "train.jsonl already exists"),
    Case("langid onto an existing file", lambda sb: [
        "langid", "gold.jsonl", "--out", "train.jsonl"], "train.jsonl already exists"),
    Case("translate onto an existing file",
         _with(_table, ["translate", "gold.jsonl", "--backend", "table", "--table", "table.tsv",
                        "--out", "train.jsonl"]), "train.jsonl already exists"),
    Case("translate with a data file as its cache",
         _with(_table, ["translate", "gold.jsonl", "--backend", "table", "--table", "table.tsv",
                        "--out", "t.jsonl", "--cache", "train.jsonl"]),
         "train.jsonl: not a translation cache"),
    Case("distill with an unlabelled file that is not there", lambda sb: [
        "distill", "run", "--student", "fast.yaml", "--out", "stu", "--unlabeled", "nope.jsonl"],
        "nope.jsonl: file not found (--unlabeled)"),
    Case("index of a run whose models embed nothing", lambda sb: [
        "index", "run", "gold.jsonl"], "(family fast)"),
    # --- input files ---
    Case("id beyond 64 bits", _bad_train(id=2**64), "line 2, field 'id'"),
    Case("id beyond 64 bits as a string", _bad_train(id="1" * 30), "line 2, field 'id'"),
    Case("lone surrogate in a query", _bad_train(origin_query="a\ud800b"),
         "line 2, field 'origin_query'"),
    Case("NUL in a category path", _bad_train(category_path="a\x00b"),
         "line 2, field 'category_path'"),
    Case("language as an object", _bad_train(language={"code": "en"}), "line 2, field 'language'"),
    Case("language as a number", _bad_train(language=3), "line 2, field 'language'"),
    Case("query as a list", _bad_train(origin_query=["a"]), "line 2, field 'origin_query'"),
    Case("label 2", _bad_train(label=2), "line 2, field 'label'"),
    Case("label as an object", _bad_train(label={"v": 1}), "line 2, field 'label'"),
    Case("id missing", _bad_train(id=None), "line 2, field 'id'"),
    Case("duplicate id", lambda sb: ["train", write_rows(
        sb / "bad.jsonl", rows()[:1] + rows()[:1]), "--out", "newrun", "--config", "fast.yaml"],
        "line 2, field 'id'"),
    Case("task of the other kind", _bad_train(task="QI"), "line 2, field 'task'"),
    Case("malformed JSON", _raw_train(b'{"id": 1,\n'), "bad.jsonl, line 1"),
    Case("invalid UTF-8", _raw_train(b'{"id": "\xff"}\n'), "bad.jsonl, line 1"),
    Case("not a JSON object", _raw_train(b'[1, 2]\n'), "bad.jsonl, line 1"),
    Case("empty file", _raw_train(b""), "bad.jsonl"),
    Case("unknown file type", _raw_train(b"x", name="bad.abc"), "bad.abc: unknown file type"),
    Case("a spreadsheet", _raw_train(b"PK\x03\x04", name="bad.xlsx"),
         "bad.xlsx: is a spreadsheet (.xlsx), which shoprel does not read; save (or export) the "
         "sheet as CSV in UTF-8"),
    Case("training file missing", lambda sb: ["train", "nothere.jsonl", "--out", "newrun",
                                              "--config", "fast.yaml"], "nothere.jsonl"),
    Case("predict with a folder as its input file", lambda sb: [
        "predict", "run", "run", "--out", "pred.jsonl"],
        "run: is a run folder, not the pairs file to score; give the pairs file to score as "
        "the input, after the run"),
    Case("check-submission of a folder", lambda sb: [
        "check-submission", "run", "--input", "gold.jsonl"],
        "run: is a run folder, not a submission; write one with the run first (shoprel predict "
        "run gold.jsonl --out submission.jsonl) and check that file"),
    Case("check-submission against a folder", _with(_submission, [
        "check-submission", "sub.jsonl", "--input", "run"]),
        "run: is a run folder, not the file the submission answers; give the pairs file "
        "predict scored as the input"),
    Case("check-submission against itself", _with(_submission, [
        "check-submission", "sub.jsonl", "--input", "./sub.jsonl"]),
         "sub.jsonl: is also the input file it is checked against (sub.jsonl)"),
    Case("check-submission against a link to itself", _with(_submission, [
        "check-submission", "sub.jsonl", "--input", "subsoft.jsonl"]),
         "sub.jsonl: is also the input file it is checked against (subsoft.jsonl)"),
    Case("check-submission with the input as the submission", _with(_submission, [
        "check-submission", "gold.jsonl", "--input", "sub.jsonl"]),
         "gold.jsonl, line 1, field 'prediction': missing required column"),
    Case("one label only", lambda sb: ["train", write_rows(
        sb / "bad.jsonl", [dict(r, label=1) for r in rows()]), "--out", "newrun", "--config",
        "fast.yaml"], "field 'label'"),
    Case("CSV row with a missing field", _raw_train(
        b"id,language,origin_query,category_path,label\n1,en,a,b,1\n2,en,a\n", name="bad.csv"),
        "bad.csv, line 3"),
    # spreadsheet and shell exports
    Case("CSV parted by ';' with commas in its paths", _raw_train(
        b"id;language;origin_query;category_path;label\n1;en;a;tools,drills;1\n", name="bad.csv"),
        "bad.csv, line 1: the header is one column"),
    Case("UTF-16 CSV", _raw_train("id,origin_query\r\n1,a\r\n".encode("utf-16"), name="bad.csv"),
         "bad.csv: is UTF-16 text"),
    Case("gzip-compressed JSON lines cut short", _raw_train(
        gzip.compress(demo_file("QC").read_bytes())[:4000], name="bad.jsonl.gz"),
        "bad.jsonl.gz: cannot be decompressed as .gz (EOFError: "),
    Case("JSON lines with a comma after each object", _raw_train(b'{"id": 1},\n{"id": 2},\n'),
         "bad.jsonl, line 1: malformed JSON: Extra data at column 10: a comma after the object"),
    Case("Parquet cell holding a list", _parquet_with_list, "bad.parquet, row 1, field "
                                                            "'origin_query'"),
    Case("predict to an unknown file type", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "pred.abc"], "pred.abc: unknown file type"),
    Case("predict to a spreadsheet", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "pred.xlsx"],
         "pred.xlsx: is named as a spreadsheet (.xlsx), which shoprel does not write; name it "
         "pred.csv"),
    Case("evaluate against a missing gold file", lambda sb: [
        "evaluate", "gold.jsonl", "nothere.jsonl"], "nothere.jsonl"),
    Case("ensemble with a negative shrinkage", lambda sb: [
        "ensemble", "run", "run", "--out", "ens", "--shrinkage", "-5",
        "--per-language-thresholds"],
        "invalid value for '--shrinkage': -5 is out of range; it must be at least 0 "
        "(shoprel ensemble --help)"),
    Case("a Ray option with the local engine", lambda sb: [
        "predict", "run", "gold.jsonl", "--out", "pred.jsonl", "--num-actors", "3"],
        "--num-actors: only with --engine ray"),
    Case("evaluate predictions with an id twice", lambda sb: [
        "evaluate", write_rows(sb / "p.jsonl", [
            {"id": r["id"], "prediction": 1, "probability": 0.7} for r in rows(2)[:1] * 2]),
        "gold.jsonl"], f"p.jsonl, line 2, field 'id': duplicate id {rows()[0]['id']!r} "
                       "(first seen on line 1)"),
    Case("evaluate a probability above 1", lambda sb: [
        "evaluate", write_rows(sb / "p.jsonl", [
            {"id": r["id"], "prediction": 1, "probability": 1.5} for r in rows(2)]),
        "gold.jsonl"], ("p.jsonl, line 1, field 'probability': 1.5 is out of range; it must "
                        "be at most 1")),
    Case("predict input with a lone surrogate", _bad_predict(origin_query="\udfff"),
         "line 2, field 'origin_query'"),
    Case("predict input of the other task", lambda sb: [
        "predict", "run", str(demo_file("QI")), "--out", "pred.jsonl"], "category_path"),
    # --- options and configs ---
    Case("--chunk-rows 0", lambda sb: ["predict", "run", "gold.jsonl", "--out", "pred.jsonl",
                                       "--chunk-rows", "0"], "--chunk-rows"),
    Case("--num-actors 0", lambda sb: ["predict", "run", "gold.jsonl", "--out", "pred.jsonl",
                                       "--engine", "ray", "--num-actors", "0"], "--num-actors"),
    Case("--folds 1", lambda sb: ["train", "train.jsonl", "--out", "newrun", "--folds", "1",
                                  "--config", "fast.yaml"], "'--folds': 1 is out of range"),
    Case("more folds than groups", lambda sb: ["train", write_rows(sb / "few.jsonl", rows(12)),
                                               "--out", "newrun", "--folds", "40",
                                               "--config", "fast.yaml"], "few.jsonl"),
    Case("n_jobs -1000", _config("model: {family: fast, params: {n_jobs: -1000}}\n"),
         "model.params.n_jobs"),
    Case("unknown model param", _config("model: {family: fast, params: {depth: 3}}\n"),
         "model.params.depth"),
    Case("unknown config key", _config("foldz: {k: 3}\n"), "foldz"),
    Case("two config errors", _config("folds: {k: 1, seed: x}\n"), "folds.k"),
    Case("invalid YAML", _config("model: [\n  family: fast\n"), "bad.yaml: not valid YAML"),
    Case("config not a mapping", _config("- 1\n"), "bad.yaml"),
    Case("config file missing", lambda sb: ["train", "train.jsonl", "--out", "newrun",
                                            "--config", "none.yaml"], "none.yaml"),
    # --- run folders ---
    Case("run without threshold", _drop_manifest_key("threshold"), "field 'threshold'"),
    Case("run with an unknown task", _broken_run(task="QX"), "field 'task'"),
    Case("run with no models to predict with", _broken_run(predict_models=[]),
         "field 'predict_models'"),
    Case("run whose model path leaves the run", _broken_run(predict_models=["../../x"]),
         "field 'predict_models'"),
    Case("run with a threshold out of range", _broken_run(threshold=3), "field 'threshold'"),
    Case("run from a newer shoprel", _broken_run(schema_version=99), "schema_version"),
    Case("run.json not JSON", _unreadable_manifest, "broken/run.json"),
    Case("not a run folder", _with(_foreign_dir, ["predict", "notes", "gold.jsonl", "--out",
                                                  "pred.jsonl"]), "notes: no run.json"),
    Case("truncated model weights", _broken_model("weights"), "broken/models/full"),
    Case("unknown model param in a run", _broken_model("params"), "broken/models/full"),
    Case("unknown model family in a run", _broken_model("family"), "broken/models/full"),
    Case("ensemble listing itself", _ensemble(["."]), "a cycle"),
    Case("ensembles listing each other", _two_cycle, "a cycle"),
    Case("ensemble with a missing member", _ensemble(["../nothere", "../run"]), "nothere"),
    Case("report on a run whose metrics.json is broken",
         _damaged("metrics.json", b"{", ["report", "broken"]), "broken/metrics.json"),
    Case("ensemble of a run whose oof.parquet is broken",
         _damaged("oof.parquet", b"PAR1 not parquet", ["ensemble", "broken", "run", "--out",
                                                        "newens"]), "broken/oof.parquet"),
    Case("noise on a run whose oof.parquet is broken",
         _damaged("oof.parquet", b"garbage", ["noise", "broken"]), "broken/oof.parquet"),
    # --- saved models whose arrays do not fit their params: refused at load, not scored ---
    Case("fast model whose params and weights say another n_features",
         _reshaped("run", _n_features(both=True)), "linear.safetensors: field 'coef_size'"),
    Case("fast model whose params disagree with its lexical state",
         _reshaped("run", _n_features(both=False)), "field 'params.n_features'"),
    Case("fast model with linear weights of another size",
         _reshaped("run", _save_arrays("linear.safetensors",
                                       coef=np.zeros(1000, "float32"))),
         "linear.safetensors: field 'coef'"),
    Case("fast model with linear weights under another name",
         _reshaped("run", _save_arrays("linear.safetensors",
                                       w=np.zeros(2**16, "float32"))),
         "linear.safetensors: field 'coef' missing"),
    Case("fast model with label rates of another task",
         _reshaped("run", _edit_json("priors.json", lambda p: p.update(tables=p["tables"][:1]))),
         "priors.json: field 'tables'"),
    Case("fast model whose booster reads another number of features",
         _reshaped("run", _other_booster()), "lightgbm.txt: field 'max_feature_idx'"),
    Case("serve a fast model whose booster reads another number of features",
         _reshaped("run", _other_booster(), verb="serve"),
         "lightgbm.txt: field 'max_feature_idx'"),
    Case("fast model whose booster had a digit changed inside a tree",
         _reshaped("run", _changed_digit),
         "lightgbm.txt: the booster file is damaged (its SHA-256 is not the one recorded"),
    Case("embed model with neighbour rows of different counts",
         _reshaped("erun", _neighbours_rows), "neighbours.safetensors: field 'neighbour_t_place'",
         embed=True),
    Case("embed model whose booster reads another number of features",
         _reshaped("erun", _other_booster()), "lightgbm.txt: field 'max_feature_idx'",
         embed=True),
    Case("embed model whose saved block widths do not fit its arrays",
         _reshaped("erun", _edit_json("model.json",
                                      lambda c: c["state"]["blocks"].update(raw0=7))),
         "field 'state.blocks.raw0'", embed=True),
    Case("embed model whose params drop a block it was fitted with",
         _reshaped("erun", _edit_json("model.json",
                                      lambda c: c["params"].update(level_similarity=False))),
         "field 'state.blocks'", embed=True),
    Case("embed model whose lexical state says another n_features",
         _reshaped("erun", _edit_json("model.json", lambda c: c["state"]["lexical"]["params"]
                                      .update(n_features=2**17))),
         "lexical/linear.safetensors: field 'coef_size'", embed=True),
    Case("embed model whose params say another n_features than its lexical state",
         _reshaped("erun", _edit_json("model.json", lambda c: c["params"]
                                      .update(n_features=2**17))),
         "field 'params.n_features'", embed=True),
    Case("serve an embed model with neighbour rows of different counts",
         _reshaped("erun", _neighbours_rows, verb="serve"),
         "neighbours.safetensors: field 'neighbour_t_place'", embed=True),
    Case("serve a run without a threshold", _serve(_drop_manifest_key("threshold")),
         "field 'threshold'"),
    Case("serve a run with broken weights", _serve(_broken_model("weights")),
         "broken/models/full"),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory, trained_runs):
    """The sandbox every case starts from: files, a finished run and an ensemble of it."""
    root = tmp_path_factory.mktemp("fault_template")
    shutil.copy(demo_file("QC"), root / "train.jsonl")
    shutil.copy(demo_file("QC"), root / "gold.jsonl")
    (root / "fast.yaml").write_text(FAST)
    shutil.copytree(trained_runs["QC"], root / "run")
    _ensemble(["../run", "../run"], "ens")(root)
    return root


@pytest.fixture
def sandbox(template, tmp_path, monkeypatch):
    box = tmp_path / "sb"
    shutil.copytree(template, box, symlinks=True)
    monkeypatch.chdir(box)
    return box


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case, sandbox, request):
    if case.embed:  # built on first use only: it needs torch and a tiny random backbone
        shutil.copytree(request.getfixturevalue("embed_run"), sandbox / "erun")
    args = [str(a) for a in case.prepare(sandbox)]
    before = snapshot(sandbox.parent)
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"traceback: {result.exception!r}"
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert case.place in lines[0], lines[0]
    assert snapshot(sandbox.parent) == before  # inputs untouched, no output, no leftovers


def test_the_readme_counts_the_cases():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"{len(CASES)} cases of bad input and misuse" in readme


SHOPREL = [sys.executable, "-m", "shoprel.cli"]


def _train(box: Path, out: str, *extra: str) -> subprocess.Popen:
    """`shoprel train` of the small config, its report unrendered: no test reads either run's
    model or report, only which of two trainings won the folder."""
    (box / "small.yaml").write_text(SMALL)
    return subprocess.Popen([*UNRENDERED_SHOPREL, "train", "train.jsonl", "--out", out,
                             "--config", "small.yaml", "--quiet", *extra], cwd=box, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _leftovers(box: Path) -> list[str]:
    """Temporary files and folders anywhere under box. os.walk skips a folder that vanishes
    while it is listed (a writer renaming or removing its temporary folder meanwhile)."""
    return sorted(name for _, dirs, files in os.walk(box) for name in [*dirs, *files]
                  if name.startswith(".") and name.endswith((".partial", ".old", ".lock")))


def test_two_trainings_to_one_folder_one_fails_and_nothing_is_replaced(sandbox):
    first, second = _train(sandbox, "same"), _train(sandbox, "same")
    outcomes = sorted([(p.wait(timeout=600), p.communicate()[1]) for p in (first, second)])
    assert [code for code, _ in outcomes] == [0, 2], outcomes
    error = outcomes[1][1].strip()
    assert error.startswith("error: ") and "same" in error and \
        ("another shoprel process" in error or "already exists" in error)
    manifest = json.loads((sandbox / "same" / "run.json").read_text())
    assert manifest["task"] == "QC"
    assert _leftovers(sandbox) == []


# --- crash safety: SIGKILL (no cleanup at all) at seeded random points, then the same command --

SMALL = ("model:\n  family: fast\n  params: {n_features: 1024, n_estimators: 10, inner_folds: 2, "
         "n_jobs: 1}\nfolds: {k: 2}\n")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kill_points(duration: float, writing: tuple[float, float] | None, seed: int
                 ) -> list[tuple[str, float]]:
    """Three kills: one at a random point before the command starts writing (startup, reading,
    fitting), two at random points of its write window, counted from the moment its own
    temporary files appear (a start's timing varies: counting from the start alone sometimes
    missed the window)."""
    rng = random.Random(seed)
    if writing is None:  # the writes were too quick to see: thirds of the whole duration
        return [("start", duration * rng.uniform(lo, hi))
                for lo, hi in ((0.05, 0.35), (0.35, 0.65), (0.65, 0.95))]
    first, last = writing
    span = last - first
    return [("start", first * rng.uniform(0.1, 0.9)),
            *sorted(("writing", span * rng.uniform(0.1, 0.9)) for _ in range(2))]


# a write-window kill that came after the start had finished is tried again this many times,
# each time waiting half as long after the start's temporary files appear
SOONER_TRIES = 4


def _crash_then_rerun(box: Path, args: list[str], out: str, same_as_reference, seed: int,
                      reads: str):
    """Run `args` once uninterrupted, writing `reference` (with `out`'s suffix) instead of
    `out`; then SIGKILL the same command at three seeded points of its measured duration, one
    after the other, each start also cleaning what the previous kill left. After each kill the
    input (`reads`) and the run are unchanged and `out` is absent or complete; a last start
    must succeed with the reference's output and leave no temporary files. `args` must allow
    replacing `out` (a start the kill came too late for finishes it). Returns how many kills
    left temporary files of their own (landed during a write)."""
    inputs = {name: _sha(box / name) for name in (reads, "gold.jsonl")}
    run_files = snapshot(box / "run")

    def start(target: str) -> subprocess.Popen:
        return subprocess.Popen([*SHOPREL, *[target if a == out else a for a in args]],
                                cwd=box, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    ref = box / ("reference" + Path(out).suffix)
    began = time.monotonic()
    reference, seen = start(ref.name), []
    while reference.poll() is None and time.monotonic() - began < 300:
        if _leftovers(box):
            seen.append(time.monotonic() - began)
        time.sleep(0.01)
    assert reference.wait(timeout=1) == 0, reference.communicate()[1]
    duration = time.monotonic() - began

    def unharmed() -> None:
        assert {name: _sha(box / name) for name in inputs} == inputs
        assert snapshot(box / "run") == run_files
        assert not (box / out).exists() or same_as_reference(box / out, ref)

    def killed(counted_from: str, at: float) -> bool:
        """One start SIGKILLed `at` seconds after it began (or after its own temporary files
        appeared): whether the kill left temporary files of its own (landed during a write)."""
        before = set(_leftovers(box))
        victim = start(out)
        if counted_from == "writing":  # wait for this start's own temporary files
            while victim.poll() is None and not set(_leftovers(box)) - before:
                time.sleep(0.005)
        deadline = time.monotonic() + at
        while victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        victim.kill()  # SIGKILL: no finally, no atexit, no signal handler runs
        victim.wait()
        landed = bool(set(_leftovers(box)) - before)
        unharmed()
        return landed

    hits = 0
    for counted_from, at in _kill_points(duration, (seen[0], seen[-1]) if len(seen) > 1
                                         else None, seed):
        landed = killed(counted_from, at)
        # the window was timed on the reference: a start that writes faster (the machine's
        # load dropped) may finish before the kill; such a point is tried again, sooner
        for _ in range(SOONER_TRIES):
            if landed or counted_from != "writing":
                break
            at /= 2
            landed = killed(counted_from, at)
        hits += landed
    last = start(out)
    assert last.wait(timeout=300) == 0, last.communicate()[1]
    unharmed()
    assert same_as_reference(box / out, ref)
    assert _leftovers(box) == []
    return hits


def _same_oof(run: Path, reference: Path) -> bool:
    import pandas as pd

    def probabilities(folder):
        return pd.read_parquet(folder / "oof.parquet").sort_values("id")[
            ["id", "fold", "probability"]].reset_index(drop=True)

    return (run / "run.json").is_file() and probabilities(run).equals(probabilities(reference))


def test_training_killed_at_random_points_loses_nothing_and_leaves_nothing(sandbox):
    """SIGKILL skips every cleanup: the next run of the same output removes the leftovers."""
    (sandbox / "small.yaml").write_text(SMALL)
    args = ["train", "train.jsonl", "--out", "killed", "--config", "small.yaml", "--quiet",
            "--overwrite"]  # a kill after the final rename leaves a finished run to replace
    hits = _crash_then_rerun(sandbox, args, "killed", _same_oof, seed=15, reads="train.jsonl")
    assert hits >= 1, "no kill landed while the run folder was being written"


def test_predict_killed_at_random_points_loses_nothing_and_leaves_nothing(sandbox):
    records = [dict(r, id=i) for i, r in enumerate(rows(360) * 10)]  # 3,600 rows
    write_rows(sandbox / "big.jsonl", records)
    args = ["predict", "run", "big.jsonl", "--out", "pred.jsonl", "--chunk-rows", "100",
            "--quiet", "--overwrite"]  # a kill after the final rename leaves a file to replace
    hits = _crash_then_rerun(sandbox, args, "pred.jsonl",
                             lambda out, ref: out.read_bytes() == ref.read_bytes(), seed=16,
                             reads="big.jsonl")
    assert hits >= 1, "no kill landed while the predictions were being written"
    assert len((sandbox / "pred.jsonl").read_text().splitlines()) == len(records)
