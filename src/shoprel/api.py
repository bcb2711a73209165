"""The Python API: what the CLI commands do, as functions, and a run that scores pairs held in
memory. The CLI parses and prints; these do the work, so a notebook or a pipeline gets the same
runs, outputs and one-line errors (`shoprel.errors.ShoprelError`) as the command line.
(`predict_file` and `evaluate_file`, not `predict` and `evaluate`: those name subpackages.)

    import shoprel

    result = shoprel.train("train_QC.txt", "runs/qc")        # as `shoprel train`
    print(result.metrics["overall"]["roc_auc"])
    run = shoprel.Scorer("runs/qc")                          # models loaded once
    table = run.score([{"origin_query": "yoga mat", "language": "en",
                        "category_path": "sports & entertainment,fitness,yoga mats"}])
    shoprel.predict_file("runs/qc", "test_QC.txt", "submission_QC.txt")
    shoprel.evaluate_file("submission_QC.txt", "gold_QC.txt")["overall"]["f1"]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.memory import pair_frames
from shoprel.data.readers import read_pairs
from shoprel.evaluate.files import evaluate_files
from shoprel.predict.cascade import DEFAULT_SHARE
from shoprel.predict.predictor import PredictResult, open_predictor
from shoprel.predict.predictor import predict_file as _predict_file
from shoprel.training.config import RunConfig, load_config
from shoprel.training.runner import TrainResult
from shoprel.training.runner import train as _train_run

__all__ = ["Scorer", "evaluate_file", "load_config", "predict_file", "read_pairs", "train"]


def train(train_file: str | Path, out_dir: str | Path,
          config: RunConfig | str | Path | dict | None = None, overwrite: bool = False,
          progress: bool = True) -> TrainResult:
    """`shoprel train`: cross-validate, tune the threshold, fit the final model, write the run.
    `config`: a RunConfig, a YAML file, or a dict of dotted overrides such as
    `{"model.family": "fast", "folds.k": 3}` on the defaults."""
    if isinstance(config, dict):
        config = load_config(None, config)
    elif isinstance(config, str | Path):
        config = load_config(config)
    return _train_run(train_file, out_dir, config, overwrite=overwrite, progress=progress)


def predict_file(run_dir: str | Path, input_file: str | Path, out_file: str | Path,
                 scorer: str = "full", indexes: list[str | Path] | None = None,
                 overwrite: bool = False, progress: bool = True) -> PredictResult:
    """`shoprel predict`: score a file into a submission file (same format rules and guards)."""
    return _predict_file(run_dir, input_file, out_file, progress=progress, indexes=indexes,
                         scorer=scorer, overwrite=overwrite)


def evaluate_file(predictions: str | Path, gold: str | Path, task: str | None = None) -> dict:
    """`shoprel evaluate`: F1, precision, recall, ROC-AUC and all-positive F1, overall and per
    language, of a predictions file against labelled rows."""
    return evaluate_files(predictions, gold, task)


class Scorer:
    """A run (or ensemble) loaded once, scoring pairs held in memory: a list of dicts or a
    DataFrame with the file's fields (`origin_query`, `category_path` or `item_title`, optional
    `language` and `id`). `scorer`: "full", "student" (the student the run carries) or
    "cascade", as `predict --scorer`; `indexes`: target indexes besides the run's own."""

    def __init__(self, run_dir: str | Path, scorer: str = "full",
                 indexes: list[str | Path] | None = None, recent_texts: int = 0,
                 cascade_share: float = DEFAULT_SHARE):
        self.predictor = open_predictor(run_dir, indexes, recent_texts, scorer, cascade_share)
        self.task = self.predictor.task
        self.threshold = self.predictor.threshold

    def score(self, pairs) -> pd.DataFrame:
        """One row per pair, in order: id, language, query, target, prediction, probability
        (the columns `predict` writes; probabilities rounded to 6 places as there)."""
        tables = [self.predictor.submission(frame) for frame in pair_frames(pairs, self.task)]
        return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]

    def probabilities(self, pairs) -> np.ndarray:
        """Each pair's probability of being relevant, unrounded."""
        return np.concatenate([self.predictor.probabilities(frame)
                               for frame in pair_frames(pairs, self.task)])
