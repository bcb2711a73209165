"""Small trained runs shared by the ensemble tests (trained once per session: they are slow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shoprel.demo
from shoprel.training.config import load_config
from shoprel.training.runner import train

SMALL = {"folds.k": 3, "model.family": "fast",
         "model.params.n_features": 65536, "model.params.n_estimators": 60,
         "model.params.n_jobs": 1}


def _train(data: Path, out: Path, **overrides) -> Path:
    train(data, out, load_config(None, {**SMALL, **overrides}), progress=False)
    return out


@pytest.fixture(scope="session")
def qc_runs(tmp_path_factory) -> tuple[Path, Path]:
    """Two QC demo runs on the same rows and folds, with different model params."""
    root = tmp_path_factory.mktemp("qc_runs")
    data = shoprel.demo.demo_file("QC")
    return (_train(data, root / "a"),
            _train(data, root / "b", **{"model.params.stack": False}))


def fake_run(source: Path, out: Path, probabilities=None, **manifest_changes) -> Path:
    """A copy of a run whose OOF probabilities (and manifest fields) are replaced."""
    import json

    shutil.copytree(source, out)
    if probabilities is not None:
        oof = pd.read_parquet(out / "oof.parquet")
        oof["probability"] = np.asarray(probabilities, dtype=np.float64)
        oof.to_parquet(out / "oof.parquet", index=False)
    if manifest_changes:
        manifest = json.loads((out / "run.json").read_text())
        manifest.update(manifest_changes)
        (out / "run.json").write_text(json.dumps(manifest))
    return out


@pytest.fixture
def make_fake_run():
    return fake_run
