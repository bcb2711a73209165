"""Run directories: what a training run leaves behind, and reading it back.

Everything later commands need (predict, report, ensemble, serve) is read from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel

MANIFEST = "run.json"
CONFIG = "config.yaml"
FOLDS = "folds.parquet"
OOF = "oof.parquet"
METRICS = "metrics.json"
REPORT = "report.html"
MODELS = "models"
FULL_MODEL = "full"


def fold_model_name(fold: int) -> str:
    return f"fold_{fold}"


@dataclass
class Run:
    """A finished run directory, opened for reading."""

    path: Path
    manifest: dict

    @classmethod
    def open(cls, path: str | Path) -> Run:
        path = Path(path)
        if not path.is_dir():
            raise RunDirError(f"{path}: run directory not found")
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise RunDirError(f"{path}: no {MANIFEST}; not a shoprel run directory "
                              "(was training interrupted?)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RunDirError(f"{manifest_path}: not valid JSON ({exc})") from None
        return cls(path, manifest)

    @property
    def task(self) -> Task:
        return Task(self.manifest["task"])

    @property
    def threshold(self) -> float:
        return float(self.manifest["threshold"])

    @property
    def name(self) -> str:
        return self.manifest.get("name", self.path.name)

    @property
    def kind(self) -> str:
        """"run" (trained models) or "ensemble" (a combination of other runs)."""
        return self.manifest.get("kind", "run")

    def member_dirs(self) -> list[Path]:
        """An ensemble's member run directories (stored relative to it, or absolute)."""
        members = [self.path / m["path"] for m in self.manifest.get("members", [])]
        missing = [str(m) for m in members if not (m / MANIFEST).is_file()]
        if missing:
            raise RunDirError(f"{self.path}: ensemble member run(s) missing: {', '.join(missing)}")
        return members

    def folders_read(self) -> list[Path]:
        """This run's folder and, for an ensemble, its members' (recursively): what predicting
        with it reads, so that no output may land there."""
        folders = [self.path]
        if self.kind == "ensemble":
            for member in self.member_dirs():
                folders += Run.open(member).folders_read()
        return folders

    def metrics(self) -> dict:
        return json.loads((self.path / METRICS).read_text(encoding="utf-8"))

    def oof(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / OOF)

    def model_folders(self) -> list[Path]:
        """The models predict combines: the full-data model, or else every fold's model."""
        if "predict_models" not in self.manifest:
            raise RunDirError(f"{self.path}: a {self.kind} directory has no models of its own")
        folders = [self.path / MODELS / name for name in self.manifest["predict_models"]]
        missing = [str(f) for f in folders if not f.is_dir()]
        if missing:
            raise RunDirError(f"{self.path}: model folder(s) missing: {', '.join(missing)}")
        return folders

    def load_models(self) -> list[RelevanceModel]:
        return [RelevanceModel.load(folder) for folder in self.model_folders()]


def mean_positive_probability(models: list[RelevanceModel], frame) -> np.ndarray:
    """Average of the models' positive-class probabilities (fold models vote softly)."""
    total = np.zeros(len(frame))
    for model in models:
        total += model.predict_proba(frame)[:, 1]
    return total / len(models)
