"""A finished run folder opened for reading (`Run`): what predict, report, ensemble, serve read."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.errors import (
    BackboneChangedError,
    ConfigError,
    RunDirError,
    ShoprelError,
    one_line_reason,
)
from shoprel.models.base import RelevanceModel, read_model_config
from shoprel.models.registry import model_class
from shoprel.run.data import recorded_field
from shoprel.run.layout import CONFIG, FOLDS, MANIFEST, MODELS, OOF, OOF_COLUMNS, STUDENT, shown
from shoprel.run.manifest import Manifest, validate_manifest
from shoprel.run.members import replaced_since
from shoprel.run.metrics_file import lists_student, read_metrics
from shoprel.run.models import load_model
from shoprel.run.retrain_command import distill_again, train_command
from shoprel.utils.bounds import not_a_probability

if TYPE_CHECKING:
    from shoprel.training.config import RunConfig


def _oof_problem(table: pd.DataFrame) -> str | None:
    """Why an OOF table's scores or labels cannot be those of a run (every row is scored by
    its fold's model, and labelled 0 or 1), naming the field and the first row's id; None
    when they can. A NaN there was dropped without a word by the report's curves and told
    nameless by compare and ensemble. A score past [0, 1] is said in the one sentence of every
    bound (utils/bounds.py)."""
    for name, ok in (("probability", lambda v: (v >= 0) & (v <= 1)),
                     ("label", lambda v: (v == 0) | (v == 1))):
        values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~ok(values))  # NaN, and text that is no number, fail either
        if len(bad):
            row = slice(bad[0], bad[0] + 1)
            row_id, value = table["id"].iloc[row].tolist() + table[name].iloc[row].tolist()
            if name == "label":
                return (f"field 'label': {len(bad):,} row(s) hold no 0/1 label, "
                        f"e.g. id {row_id!r}: {value!r}")
            number, shown = values[bad[0]], repr(value)
            problem = not_a_probability(number, shown)
            return (f"field 'probability': {len(bad):,} row(s) hold no probability, "
                    f"e.g. id {row_id!r}: {problem}")
    missing = np.flatnonzero(table["language"].isna().to_numpy())
    if len(missing):  # every writer tags a row ("unk" when unknown); the report sorts them
        row_id = table["id"].iloc[missing[0]:missing[0] + 1].tolist()[0]
        return f"field 'language': {len(missing):,} row(s) hold none, e.g. id {row_id!r}"
    return None


def runs_inside(folder: Path) -> str:
    """The hint for a folder given where a run is wanted: where it holds runs (`runs` for
    `runs/qc`), name them, so the fix is plain; a killed train leaves no folder at --out
    (it writes a hidden .partial one), so an interrupted training is no likely cause."""
    try:
        runs = sorted(child.name for child in folder.iterdir()
                      if not child.name.startswith(".") and (child / MANIFEST).is_file())
    except OSError:
        return ""
    if not runs:
        return ""
    named = ", ".join(str(shown(folder / name)) for name in runs[:5])
    more = f" and {len(runs) - 5} more" if len(runs) > 5 else ""
    return f"; it holds runs ({named}{more}): give one of them"


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
    info: Manifest | None = field(default=None, repr=False)  # the same, typed

    @classmethod
    def open(cls, path: str | Path) -> Run:
        run = cls.read(path)
        if run.kind == "ensemble":
            check_members(run)
        return run

    @classmethod
    def read(cls, path: str | Path) -> Run:
        """Open one folder without following an ensemble's members."""
        path = Path(path).expanduser()  # `~/runs/x` from Python, as the CLI reads it
        # named as shown() names it: runs/a/run.json for a member read at runs/ens/../a
        if not path.is_dir():
            raise RunDirError(f"{shown(path)}: " + ("is a file, not a run directory"
                                                    if path.exists()
                                                    else "run directory not found"))
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise RunDirError(f"{shown(path)}: no {MANIFEST}; not a shoprel run directory"
                              + runs_inside(path))
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RunDirError(f"{shown(manifest_path)}: not valid JSON ({exc})") from None
        return cls(path, manifest, validate_manifest(manifest, shown(manifest_path)))

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def version(self) -> str:
        """A short digest of run.json: changes whenever the run's manifest does."""
        return hashlib.sha256(self.manifest_path.read_bytes()).hexdigest()[:12]

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
        # named as check_members names them: runs/a, not runs/ens/../a as run.json stores it
        where = f"{shown(self.manifest_path)}: field 'members'"
        missing = [str(shown(m)) for m in members if not m.exists()]
        if missing:
            raise RunDirError(f"{where}: member run(s) missing: {', '.join(missing)}")
        not_runs = [str(shown(m)) for m in members if not (m / MANIFEST).is_file()]
        if not_runs:
            raise RunDirError(f"{where}: member(s) {', '.join(not_runs)}: no {MANIFEST}; not a "
                              "shoprel run (was it replaced or emptied?)")
        return members

    def folders_read(self) -> list[Path]:
        """This run's folder and, for an ensemble, its members' (recursively): what predicting
        with it reads, so that no output may land there."""
        folders = [self.path]
        if self.kind == "ensemble":
            for member in self.member_dirs():
                folders += Run.open(member).folders_read()
        return folders

    @contextlib.contextmanager
    def config_named(self) -> Iterator[None]:
        """A key of the run's config found wrong only once its models work (a backbone folder
        gone since training, or its weights changed) is said with the line of the run's
        config.yaml writing it, as train says it of its config file."""
        from shoprel.training.config_reading import located

        try:
            yield
        except BackboneChangedError as exc:  # "...train it again on these": with what
            raise located(ConfigError(f"{exc}: {self.retrain_command()}"),
                          self.path / CONFIG) from None
        except ConfigError as exc:
            raise located(exc, self.path / CONFIG) from None

    def retrain_command(self) -> str:
        """The command that makes this run again as it was made (retrain_command.py): trained
        into a new folder, or a distilled student distilled again from its teacher (the one a
        run carries, into its own folder, where --scorer student reads it)."""
        try:
            block = self.metrics().get("distillation")
            teacher = (block.get("teacher") or {}).get("path") if isinstance(block, dict) \
                else None
            train_file = None if teacher else self.train_file()
        except ShoprelError:  # a metrics.json that cannot be read: the file is the user's to give
            teacher = train_file = None
        if not teacher:
            return train_command(train_file or "TRAIN_FILE", self.path / CONFIG)
        carrier = self.carrier()
        return distill_again(Path(teacher) if carrier is None else carrier.path,
                             self.path / CONFIG, block, None if carrier is None else self.path)

    def carrier(self) -> Run | None:
        """The run that carries this one as its student (RUN/student, listed in RUN's
        metrics.json), as the folder names it; None for a run of its own."""
        if self.path.name != STUDENT or not (self.path.parent / MANIFEST).is_file():
            return None
        try:
            parent = Run.open(self.path.parent)
            return parent if parent.student_dir() is not None else None
        except ShoprelError:
            return None

    def saved_config(self) -> RunConfig:
        """The run's config.yaml (load_config, saved=True), a damaged one named as shown()
        names it: runs/a/config.yaml for a member reached at runs/ens/../a, as every other
        member message says. Only the text changes: the path read stays the one stored."""
        from shoprel.training.config_reading import load_config

        path = self.path / CONFIG
        try:
            return load_config(path, saved=True)
        except ConfigError as exc:
            stored, named, text = str(path.expanduser()), str(shown(path)), str(exc)
            if named == stored or not text.startswith(f"{stored}:"):
                raise
            raise type(exc)(named + text[len(stored):]) from None

    def student_dir(self) -> Path | None:
        """RUN/student when the run carries a finished student (training/student.py): one its
        metrics.json lists. A student a stop left in place before the run listed it (its
        metrics.json records the distillation as failed, or not at all) is not used."""
        folder = self.path / STUDENT
        if not (folder / MANIFEST).is_file():
            return None
        return folder if lists_student(self.metrics()) else None

    def metrics(self) -> dict:
        return read_metrics(self.path)

    def train_file(self) -> str | None:
        """The file the run was trained on, as its metrics.json records it (data.train_file);
        an ensemble whose members name different files (of the same rows, align.py): its
        first member's."""
        named = [str(file) for _, file in recorded_field(self.metrics(), "train_file") if file]
        return named[0] if named else None

    def _parquet(self, name: str, data: bytes | None = None) -> pd.DataFrame:
        """The folder's table `name`, parsed from `data` when its bytes were read already."""
        path = self.path / name
        if data is None and not path.is_file():
            raise RunDirError(f"{shown(path)}: missing")
        try:
            return pd.read_parquet(path if data is None else io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 (pyarrow raises several types for a bad file)
            raise RunDirError(f"{shown(path)}: not a readable Parquet file "
                              f"({one_line_reason(exc)})") from None

    def oof(self) -> pd.DataFrame:
        """The out-of-fold table, with the columns every reader needs and, where the manifest
        counts them, all of its rows: a damaged table is one RunDirError, not a KeyError in
        whichever command reads it first or a report of the rows that are left."""
        return self._checked_oof(self._parquet(OOF))

    def oof_with_sha256(self) -> tuple[pd.DataFrame, str]:
        """The out-of-fold table (as oof() checks it) and the SHA-256 of the very bytes it was
        parsed from: what an ensemble records of a member it combines, with no moment between
        reading the scores and hashing the file for a retrain to land in."""
        path = self.path / OOF
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise RunDirError(f"{shown(path)}: missing") from None
        return self._checked_oof(self._parquet(OOF, data)), hashlib.sha256(data).hexdigest()

    def _checked_oof(self, table: pd.DataFrame) -> pd.DataFrame:
        where = shown(self.path / OOF)  # runs/a for a member at runs/ens/../a
        missing = [c for c in OOF_COLUMNS if c not in table.columns]
        if missing:
            raise RunDirError(f"{where}: column {missing[0]!r} missing")
        expected = self.manifest.get("n_rows")
        if isinstance(expected, int) and len(table) != expected:
            raise RunDirError(f"{where}: holds {len(table):,} rows, but the run "
                              f"has {expected:,} ({MANIFEST}: n_rows)")
        problem = _oof_problem(table)
        if problem:
            raise RunDirError(f"{where}: {problem}")
        return table

    def folds(self) -> pd.DataFrame:
        """id, fold (+ group): folds.parquet, or the OOF table for a folder without one."""
        return self._parquet(FOLDS if (self.path / FOLDS).is_file() else OOF)

    def model_folders(self) -> list[Path]:
        """The models predict combines: the full-data model, or else every fold's model."""
        # named as check_members names a member: runs/a, not runs/ens/../a where an ensemble
        # opened it
        if "predict_models" not in self.manifest:
            raise RunDirError(f"{shown(self.path)}: a {self.kind} directory has no models of "
                              "its own")
        folders = [self.path / MODELS / name for name in self.manifest["predict_models"]]
        missing = [str(shown(f)) for f in folders if not f.is_dir()]
        if missing:
            raise RunDirError(f"{shown(self.path)}: model folder(s) missing: "
                              f"{', '.join(missing)}")
        with named_as_shown(self.path):
            for folder in folders:  # said before a scorer (or a Ray actor) starts loading them
                read_model_config(folder)
        self.check_models_inside(folders)
        return folders

    def check_models_inside(self, folders: list[Path]) -> None:
        """Refuse a model folder (or a models folder) that is a link to one elsewhere: a run
        carries its own models, which predict reads and export writes into."""
        inside = self.path.resolve() / MODELS
        for folder in folders:
            if folder.resolve().parent != inside:
                raise RunDirError(f"{shown(folder)}: leads outside the run's {MODELS} folder "
                                  f"(to {folder.resolve()}); a run carries its own models")

    def load_models(self) -> list[RelevanceModel]:
        folders = self.model_folders()
        with named_as_shown(self.path):
            return [load_model(folder) for folder in folders]

    def check_backbones(self, scoring: bool = False) -> None:
        """Refuse the run's models whose backbone weights are not those they were trained on:
        what a refit of the run's config (distill --nested) asks first, as it would fit on
        these other weights. The families that score through their backbone say so loaded
        (check_backbones: embed, bi-encoder); a fine-tuned one (cross, llm) is told from its
        model.json, unloaded (check_saved_backbone): its refits, which start from the
        backbone, once went on silently. `scoring`: only what scoring the run needs, as
        Predictor loads it: a cross-encoder scores from its own saved weights, whatever its
        backbone holds now. Said as the family says it; the caller names the run's config
        line (config_named)."""
        for folder in self.model_folders():
            family = model_class(read_model_config(folder).get("family"))
            if hasattr(family, "check_backbones"):
                load_model(folder).check_backbones()
            elif hasattr(family, "check_saved_backbone") and (
                    not scoring or family.scores_through_backbone):
                family.check_saved_backbone(folder)

    def check_scores_now(self) -> None:
        """Refuse, before a command's work, what Predictor refuses as it loads this run (an
        ensemble: each member): a model scoring through a backbone whose weights changed, or
        went, since training, said at the config.yaml line of its run with the command that
        trains it again. Nothing heavy is loaded (an LLM is checked from its model.json)."""
        if self.kind == "ensemble":
            for member in self.member_dirs():
                Run.open(member).check_scores_now()
            return
        with self.config_named():
            self.check_backbones(scoring=True)

    def check_models_load(self) -> None:
        """Load each of the run's models (an ensemble: its members'), as Predictor will, and
        let them go: a broken folder (a booster cut short, weights that will not parse) is
        load_model's one RunDirError before a command's work, not once it is done (plain
        distill timed a fast teacher cut short after writing its student: exit 2). A
        family whose loading reads its backbone's weights (an LLM) is left to load where it is
        used, its own files checked without it (check_saved_files: an LLM's adapter missing
        or cut short failed distill only once its student was written); the others load in
        a fraction of a second (the default embed model: 0.05-0.2 s, its encoder loaded at its
        first text)."""
        if self.kind == "ensemble":
            for member in self.member_dirs():
                Run.open(member).check_models_load()
            return
        for folder in self.model_folders():
            family = model_class(read_model_config(folder).get("family"))
            with named_as_shown(self.path):
                if family.loads_backbone:
                    family.check_saved_files(folder)
                else:
                    load_model(folder)

    def reads_translation(self) -> bool:
        """Whether a model that scores for this run (an ensemble's: its members') reads
        "{query} - {english}", told from the saved configs without loading the models."""
        if self.kind == "ensemble":
            return any(Run.open(member).reads_translation() for member in self.member_dirs())
        return any(RelevanceModel.saved_reads_translation(folder)
                   for folder in self.model_folders())


@contextlib.contextmanager
def named_as_shown(run_dir: Path) -> Iterator[None]:
    """A RunDirError raised below a run's folder (a model's file, or a library's words about
    one) names the folder as shown() does: runs/a/models/full, not runs/ens/../a/models/full
    where an ensemble reached its member. Only the text changes; the files read are the same."""
    stored, named = str(run_dir), str(shown(run_dir))
    try:
        yield
    except RunDirError as exc:
        if stored == named or stored not in str(exc):
            raise
        # the folder itself or a path below it, not runs/ens/../ab beside it
        said = re.sub(re.escape(stored) + r"(?![^\s/:,;)'\"])", lambda _: named, str(exc))
        raise RunDirError(said) from None


def check_members(run: Run, chain: tuple[Path, ...] = ()) -> None:
    """Every member of an ensemble, and of ensembles among them, is a finished run that does
    not lead back to an ensemble on the way (which would recurse forever), and is still the
    run the ensemble combined (replaced_since)."""
    here = run.path.resolve()
    chain = (*chain, here)
    manifest = shown(run.path / MANIFEST)
    for entry, member in zip(run.manifest["members"], run.member_dirs(), strict=True):
        if member.resolve() in chain:
            raise RunDirError(f"{manifest}: field 'members': {shown(member)} leads back to "
                              f"{member.resolve()}, an ensemble that contains it (a cycle)")
        opened = Run.read(member)
        why = replaced_since(entry, opened)
        if why:
            raise RunDirError(
                f"{manifest}: field 'members': {shown(member)} was replaced after this "
                f"ensemble combined it ({why}); build the ensemble again "
                "(shoprel ensemble ... --overwrite)")
        if opened.kind == "ensemble":
            check_members(opened, chain)
