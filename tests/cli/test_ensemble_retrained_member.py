"""A member retrained in place (`train --overwrite`) after an ensemble was built over it: every
command that uses the ensemble refuses in one line, instead of blending the new member's scores
with weights and a cut tuned on the old one's. Real QC rows, the fast config, through `main`."""

import json
import shutil
import time
from datetime import UTC, datetime

import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import REAL_QC, REPO, reports_deferred
from tests.serve.process import free_port

from shoprel.cli import main
from shoprel.utils.digest import sha256_of_file

ROWS = 300
# the shipped fast config, smaller (each train takes about a second on these rows)
SMALL = "model: {family: fast, params: {n_features: 16384, n_estimators: 20, n_jobs: 1%s}}\n"


def _shoprel(*args) -> str:
    done = CliRunner().invoke(main, [str(arg) for arg in args])
    assert done.exit_code == 0, done.output
    return done.output


@pytest.fixture(scope="module")
def stale(tmp_path_factory):
    """(root, ensemble, member, old stamp, new stamp): ens combines a and b by stacking, then
    a is trained again in place with another seed."""
    if not REAL_QC.is_file():
        pytest.skip(f"real QC sample not found at {REAL_QC} (it lives in ../shared, not in git)")
    assert "family: fast" in (REPO / "configs" / "fast.yaml").read_text()
    root = tmp_path_factory.mktemp("retrained")
    data = root / "qc.txt"
    data.write_text("".join(REAL_QC.open(encoding="utf-8").readlines()[:ROWS]), encoding="utf-8")
    (root / "fast.yaml").write_text(SMALL % "")
    (root / "seed7.yaml").write_text(SMALL % ", seed: 7, linear_weight: 0.3")
    train = ["train", data, "--folds", "2", "--quiet"]
    with reports_deferred():  # no test here reads the runs' reports
        _shoprel(*train, "--config", root / "fast.yaml", "--out", root / "a")
        _shoprel(*train, "--config", root / "seed7.yaml", "--out", root / "b")
        _shoprel("ensemble", root / "a", root / "b", "--method", "stack", "--out", root / "ens")
        _shoprel("predict", root / "ens", data, "--out", root / "before.csv", "--quiet")
        old = json.loads((root / "a" / "run.json").read_text())["created"]
        oof = pd.read_parquet(root / "a" / "oof.parquet")["probability"]
        # `created` holds whole seconds, and on a quiet machine all the above fits in one: the
        # retrain waits for the next second, so that its stamp differs (a retrain keeping the
        # stamp is the test of its own below)
        while datetime.now(UTC).isoformat(timespec="seconds") <= old:
            time.sleep(0.05)
        _shoprel(*train, "--config", root / "seed7.yaml", "--out", root / "a", "--overwrite")
    new = json.loads((root / "a" / "run.json").read_text())["created"]
    # another model: its OOF scores are not those the stack was fitted on
    assert not oof.equals(pd.read_parquet(root / "a" / "oof.parquet")["probability"])
    assert new != old
    return root, root / "ens", root / "a", old, new


CONSUMERS = {
    "predict": lambda root, ens: ["predict", ens, root / "qc.txt", "--out", root / "p.csv"],
    "serve": lambda root, ens: ["serve", ens, "--port", free_port()],
    "report": lambda root, ens: ["report", ens],
    "noise": lambda root, ens: ["noise", ens],
    "index": lambda root, ens: ["index", ens, root / "qc.txt", "--out", root / "index"],
    "distill": lambda root, ens: ["distill", ens, "--student", root / "fast.yaml",
                                  "--out", root / "student", "--quiet"],
    "far-pairs": lambda root, ens: ["far-pairs", ens],
    "compare": lambda root, ens: ["compare", ens, root / "b", "--out", root / "c.html"],
    "ensemble": lambda root, ens: ["ensemble", ens, root / "b", "--out", root / "ens2"],
}


@pytest.mark.parametrize("command", list(CONSUMERS))
def test_every_command_refuses_an_ensemble_whose_member_was_retrained(stale, command,
                                                                      monkeypatch):
    root, ens, member, old, new = stale
    # a serve that got past its checks returns at once instead of listening
    monkeypatch.setattr("shoprel.serve.server.uvicorn.run", lambda app, **options: None)
    before = sorted(path.name for path in root.iterdir())
    done = CliRunner().invoke(main, [str(arg) for arg in CONSUMERS[command](root, ens)])
    assert done.exit_code == 2, done.output
    assert done.output.splitlines()[-1] == (
        f"error: {ens / 'run.json'}: field 'members': {member} was replaced after this "
        f"ensemble combined it (created {new}, the ensemble holds the one created {old}); "
        "build the ensemble again (shoprel ensemble ... --overwrite)")
    assert sorted(path.name for path in root.iterdir()) == before  # nothing written


def test_the_ensemble_built_again_predicts_once_more(stale, tmp_path):
    """What the refusal tells the user to do is enough."""
    root, *_ = stale
    rebuilt = tmp_path / "ens"
    _shoprel("ensemble", root / "a", root / "b", "--method", "stack", "--out", rebuilt)
    _shoprel("predict", rebuilt, root / "qc.txt", "--out", tmp_path / "p.csv", "--quiet")
    assert len(pd.read_csv(tmp_path / "p.csv")) == ROWS


def test_a_retrain_that_kept_the_created_stamp_is_refused_by_its_scores(stale, tmp_path):
    """A retrain within the same second keeps the member's created stamp (simulated by writing
    the old one back): the SHA-256 of its oof.parquet, which the ensemble records too, differs."""
    root, _, _, old, _ = stale
    for name in ("a", "b", "ens"):
        shutil.copytree(root / name, tmp_path / name)
    manifest = tmp_path / "a" / "run.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "created": old}))
    recorded = json.loads((tmp_path / "ens" / "run.json").read_text())["members"][0]
    assert recorded["created"] == old and len(recorded["oof_sha256"]) == 64
    done = CliRunner().invoke(main, ["predict", str(tmp_path / "ens"), str(root / "qc.txt"),
                                     "--out", str(tmp_path / "p.csv")])
    assert done.exit_code == 2, done.output
    assert done.output.splitlines()[-1] == (
        f"error: {tmp_path / 'ens' / 'run.json'}: field 'members': {tmp_path / 'a'} was"
        f" replaced after this ensemble combined it (its out-of-fold scores changed: its "
        f"oof.parquet now has SHA-256 {sha256_of_file(tmp_path / 'a' / 'oof.parquet')[:12]}, "
        f"the ensemble holds the one of SHA-256 {recorded['oof_sha256'][:12]}); build the "
        "ensemble again (shoprel ensemble ... --overwrite)")
    assert not (tmp_path / "p.csv").exists()
