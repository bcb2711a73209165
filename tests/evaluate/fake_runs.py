"""Run folders written the way training writes them, from synthetic OOF scores: fast inputs
for compare and the browser test, with metrics computed by the real run_metrics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.evaluate.run_metrics import run_metrics


def rows(seed: int = 0, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "fold": np.arange(n) % 5,
                         "label": (rng.random(n) < 0.65).astype(int),
                         "language": rng.choice(["en", "es", "xx"], n, p=[0.6, 0.38, 0.02])})


def make_run(folder, base: pd.DataFrame, signal: float, seed: int, name: str,
             cv_seconds: float = 10.0, far_pairs: dict | None = None):
    """A finished run folder written the way training writes one (metrics from run_metrics)."""
    rng = np.random.default_rng(seed)
    logit = signal * (2 * base["label"] - 1) + rng.normal(0, 1.0, len(base))
    oof = base.assign(probability=1 / (1 + np.exp(-logit)))
    threshold = best_f1_threshold(oof["label"], oof["probability"])[0]
    metrics = run_metrics(oof, threshold, Task.QI)
    metrics.update({"run_name": name, "timing": {"cv_seconds": cv_seconds,
                                                 "final_fit_seconds": 1.0}})
    if far_pairs is not None:
        metrics["far_pairs"] = far_pairs
    folder.mkdir(parents=True)
    oof.to_parquet(folder / "oof.parquet", index=False)
    oof[["id", "fold"]].to_parquet(folder / "folds.parquet", index=False)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "run.json").write_text(json.dumps({"kind": "run", "task": "QI", "name": name,
                                                 "threshold": threshold}))
    return folder


