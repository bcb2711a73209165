"""The names of a run folder's files, and how a message names a path in one."""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST = "run.json"
CONFIG = "config.yaml"
FOLDS = "folds.parquet"
OOF = "oof.parquet"
OOF_COLUMNS = ("id", "fold", "probability", "label", "language")  # every run's, since the first
METRICS = "metrics.json"
REPORT = "report.html"
MODELS = "models"
FULL_MODEL = "full"
STUDENT = "student"  # a run's carried student: a finished run folder of its own


def fold_model_name(fold: int) -> str:
    return f"fold_{fold}"


def shown(path: Path) -> Path:
    """A path as a message names it: a member as stored, joined to its ensemble's folder
    (`runs/ens/../a`), as `runs/a`; still relative when the folder was given so."""
    return Path(os.path.normpath(path))
