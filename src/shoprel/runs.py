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
from shoprel.errors import RunDirError, ShoprelError
from shoprel.manifest import validate_manifest
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
    """A finished run directory, opened for reading.

    `run.json` is checked against its schema (manifest.py) on opening, and an ensemble's members
    are followed down to finished runs, so that a broken or cyclic folder is one clear error
    before any model loads. `manifest` stays the file's dict (fields this version does not
    know are kept when a command rewrites it).
    """

    path: Path
    manifest: dict

    @classmethod
    def open(cls, path: str | Path) -> Run:
        run = cls.read(path)
        if run.kind == "ensemble":
            check_members(run)
        return run

    @classmethod
    def read(cls, path: str | Path) -> Run:
        """Open one folder without following an ensemble's members."""
        path = Path(path)
        if not path.is_dir():
            raise RunDirError(f"{path}: run directory not found")
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise RunDirError(f"{path}: no {MANIFEST}; not a shoprel run directory "
                              "(was training interrupted?)")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{manifest_path}: not valid JSON ({exc})") from None
        validate_manifest(manifest, manifest_path)
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
        path = self.path / METRICS
        try:
            metrics = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError(f"{path}: missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(metrics, dict):
            raise RunDirError(f"{path}: expected a JSON object")
        return metrics

    def oof(self) -> pd.DataFrame:
        path = self.path / OOF
        if not path.is_file():
            raise RunDirError(f"{path}: missing")
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 (pyarrow raises several types for a bad file)
            raise RunDirError(f"{path}: not a readable Parquet file "
                              f"({' '.join(str(exc).split())[:200]})") from None

    def model_folders(self) -> list[Path]:
        """The models predict combines: the full-data model, or else every fold's model."""
        if "predict_models" not in self.manifest:
            raise RunDirError(f"{self.path}: a {self.kind} directory has no models of its own")
        folders = [self.path / MODELS / name for name in self.manifest["predict_models"]]
        missing = [str(f) for f in folders if not f.is_dir()]
        if missing:
            raise RunDirError(f"{self.path}: model folder(s) missing: {', '.join(missing)}")
        inside = (self.path / MODELS).resolve()
        for folder in folders:
            if folder.resolve().parent != inside:  # a link to a model elsewhere
                raise RunDirError(f"{folder}: leads outside the run's {MODELS} folder "
                                  f"(to {folder.resolve()}); a run carries its own models")
        return folders

    def load_models(self) -> list[RelevanceModel]:
        return [load_model(folder) for folder in self.model_folders()]


def check_members(run: Run, chain: tuple[Path, ...] = ()) -> None:
    """Every member of an ensemble, and of ensembles among them, is a finished run that does
    not lead back to an ensemble on the way (which would recurse forever)."""
    here = run.path.resolve()
    chain = (*chain, here)
    for member in run.member_dirs():
        if member.resolve() in chain:
            raise RunDirError(f"{run.path / MANIFEST}: field 'members': {member} leads back to "
                              f"{member.resolve()}, an ensemble that contains it (a cycle)")
        opened = Run.read(member)
        if opened.kind == "ensemble":
            check_members(opened, chain)


def load_model(folder: Path) -> RelevanceModel:
    """A saved model, or one RunDirError line naming the folder when its files are broken
    (truncated weights, a LightGBM or safetensors file that will not parse, unknown params)."""
    try:
        return RelevanceModel.load(folder)
    except ShoprelError as exc:
        if str(folder) in str(exc):
            raise
        raise RunDirError(f"{folder}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 (each library fails its own way on a broken file)
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise RunDirError(f"{folder}: cannot load the saved model ({type(exc).__name__}: "
                          f"{reason})") from None


def mean_positive_probability(models: list[RelevanceModel], frame) -> np.ndarray:
    """Average of the models' positive-class probabilities (fold models vote softly)."""
    total = np.zeros(len(frame))
    for model in models:
        total += model.predict_proba(frame)[:, 1]
    return total / len(models)
