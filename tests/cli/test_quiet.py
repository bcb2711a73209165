"""Every command takes --quiet, so a script passes it to each alike; with it, a command that
succeeds writes nothing on stderr (its progress and notes are left out, its results stay)."""

import importlib
import json
import os
import subprocess
import sys

import click
import pytest

from shoprel.cli import COMMAND_MODULE
from shoprel.models.backbones.cache import mark_cache

SHOPREL = [sys.executable, "-m", "shoprel.cli"]


def _commands():
    """(name as typed, command) of every command, a group's subcommands by their own."""
    for module in sorted(set(COMMAND_MODULE.values())):
        for command in importlib.import_module(f"shoprel.cli.{module}").COMMANDS:
            if isinstance(command, click.Group):
                yield from ((f"{command.name} {name}", sub)
                            for name, sub in sorted(command.commands.items()))
            else:
                yield command.name, command


def test_every_command_takes_quiet():
    """ensemble, evaluate, report, compare, check-submission and cache list refused it ("No
    such option: --quiet") where the other commands take it."""
    lacking = [name for name, command in _commands()
               if not any("--quiet" in p.opts for p in command.params)]
    assert lacking == []


def _shoprel(*args):
    done = subprocess.run([*SHOPREL, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=300)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    """Two fast runs on the same 300 real QC rows and folds, the first marked as trained with
    noise flags chosen from its own rows (its OOF figures optimistic: ensemble notes it)."""
    from tests.conftest import REAL_QC, reports_deferred

    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    if not REAL_QC.is_file():
        pytest.skip(f"real QC sample not found at {REAL_QC}")
    root = tmp_path_factory.mktemp("quiet")
    data = root / "train.jsonl"
    data.write_text("".join(REAL_QC.read_text(encoding="utf-8").splitlines(keepends=True)[:300]),
                    encoding="utf-8")
    small = {"folds.k": 3, "model.family": "fast", "model.params.n_features": 4096,
             "model.params.n_estimators": 20, "model.params.n_jobs": 1}
    with reports_deferred():
        runs = [train(data, root / name, load_config(None, {**small, **extra}),
                      progress=False).run_dir
                for name, extra in (("a", {}), ("b", {"model.params.stack": False}))]
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    metrics["noise"] = {"oof_optimistic": True, "caveat": "the flags knew its folds' labels"}
    (runs[0] / "metrics.json").write_text(json.dumps(metrics))
    return root, data, runs


def test_quiet_commands_write_nothing_on_stderr(real_runs):
    root, data, (a, b) = real_runs
    sub = root / "sub.jsonl"
    sub.write_text("".join(json.dumps({"id": json.loads(line)["id"], "prediction": 1}) + "\n"
                           for line in data.read_text(encoding="utf-8").splitlines()))
    cache = root / "cache"
    mark_cache(cache)
    noisy = _shoprel("ensemble", a, b, "--out", root / "ens")  # the note --quiet leaves out
    assert noisy.stderr.startswith("note: member a is a run trained with noise.flagged ids")
    for args, said in ((("ensemble", a, b, "--out", root / "ens2"), "ensemble written to"),
                       (("check-submission", sub, "--input", data), "ok: 300 rows"),
                       (("evaluate", sub, data), "overall"),
                       (("report", a, "--out", root / "r.html"), "report written to"),
                       (("compare", a, b, "--out", root / "c.html"), "comparison written to"),
                       (("cache", "list", "--cache-dir", cache), "empty"),
                       (("cache", "prune", "--stale", "--cache-dir", cache), "removed 0")):
        done = _shoprel(*args, "--quiet")
        assert (done.stderr, said in done.stdout) == ("", True), args
