"""Line up several runs' out-of-fold scores row by row, refusing runs that are not comparable.

Combining runs only makes sense when they scored the same rows, for the same task, with the
same fold assignment: otherwise a member's OOF score could come from a model that saw the row.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.data.validate import language_tag
from shoprel.errors import RunDirError
from shoprel.run.folder import Run
from shoprel.run.layout import FOLDS, OOF, shown

# the rows' own columns, taken from the first run (its language tags read as every command
# reads them); its texts too, where its OOF file has them (an ensemble's report then shows its
# errors with their query and target)
SHARED_COLUMNS = ("id", "fold", "label", "language", "top_category", "query", "target")


@dataclass
class AlignedRuns:
    """Members' OOF probabilities as columns of one matrix, rows in the first run's order."""

    runs: list[Run]
    base: pd.DataFrame  # id, fold, label, language (+ top_category for QC; query, target)
    probabilities: np.ndarray  # (n_rows, n_runs)
    # each run's oof.parquet SHA-256, of the bytes its column of probabilities came from
    oof_sha256: list[str]
    # each run's metrics.json, read as its OOF table was: a run trained again meanwhile must
    # not lend its new figures (f1, roc_auc, threshold selection) to the old run's scores
    metrics: list[dict]

    @property
    def names(self) -> list[str]:
        """Each member's name, told apart where two share one (distinct_names)."""
        return distinct_names(self.runs)

    def metrics_of(self, run: Run) -> dict:
        """A run's metrics.json as read beside its scores, where it is one of the runs (one
        behind an ensemble given is read now)."""
        return next((metrics for member, metrics in zip(self.runs, self.metrics, strict=True)
                     if member is run), None) or run.metrics()


def distinct_names(opened: list[Run]) -> list[str]:
    """Each run's name (run.json); a name two runs share (runs/a/qc and runs/b/qc, or a copy,
    which keeps its name) gets the shortest end of its folder's path that no other run with
    that name ends in, e.g. "qc (a/qc)": never more of the machine's path than tells it apart."""
    names = [run.name for run in opened]
    paths = [run.path.resolve().parts for run in opened]
    out = []
    for name, parts in zip(names, paths, strict=True):
        others = [other for n, other in zip(names, paths, strict=True)
                  if n == name and other != parts]
        if not others:
            out.append(name)
            continue
        depth = next((d for d in range(1, len(parts) + 1)
                      if all(other[-d:] != parts[-d:] for other in others)), len(parts))
        out.append(f"{name} ({Path(*parts[-depth:]).as_posix()})")
    return out


def _folds(run: Run) -> pd.DataFrame:
    return run.folds()[["id", "fold"]]


def _oof(run: Run) -> tuple[pd.DataFrame, str]:
    """The run's OOF table and the SHA-256 of the bytes it was read from (one read)."""
    if not (run.path / OOF).is_file():
        raise RunDirError(f"{shown(run.path)}: no {OOF}; only cross-validated runs "
                          "can be combined")
    oof, digest = run.oof_with_sha256()
    if oof["id"].duplicated().any():
        raise RunDirError(f"{shown(run.path / OOF)}: ids are not unique; cannot "
                          "align rows by id")
    return oof, digest


def trained_members(run: Run) -> list[Run]:
    """The trained runs behind a run or an ensemble, an ensemble's members' in turn (depth
    first, in member order)."""
    if run.kind != "ensemble":
        return [run]
    return [trained for member in run.member_dirs()
            for trained in trained_members(Run.read(member))]


def named_trained_runs(opened: list[Run]) -> list[tuple[str, Run]]:
    """(name, run) of every trained run behind the runs, an ensemble's as well, named apart
    by distinct_names over them all: a run behind one member may share its name with another
    member or with one behind it."""
    trained = [run for member in opened for run in trained_members(member)]
    return list(zip(distinct_names(trained), trained, strict=True))


def _trained_runs(run: Run) -> list[Path]:
    """The trained runs behind a run or an ensemble, resolved."""
    return [trained.path.resolve() for trained in trained_members(run)]


def _check_same_texts(first: Run, base: pd.DataFrame, run: Run, ids: pd.Series,
                      oof: pd.DataFrame) -> None:
    """Same ids and labels, other queries or targets: the runs learnt from different files
    (tables of older runs and of ensembles keep no texts: then ids and labels must do).
    `base`, `oof`: the two OOF tables indexed by id."""
    for column in ("query", "target"):
        if column not in base.columns or column not in oof.columns:
            continue
        ours = ids.map(base[column]).astype(str).to_numpy()
        theirs = ids.map(oof[column]).astype(str).to_numpy()
        differ = np.flatnonzero(ours != theirs)
        if len(differ):
            raise RunDirError(f"runs were trained on different rows: {shown(first.path)} "
                              f"and {shown(run.path)} differ in the {column} of "
                              f"{len(differ)} row(s), "
                              f"e.g. id {ids.tolist()[differ[0]]!r}")  # 7, not np.int64(7)


def _check_no_copies(opened: list[Run]) -> None:
    """A run copied to another folder is the same model: as a second member it would weigh
    double. Its run.json tells it from a run trained again (stamp, threshold, fingerprints)."""
    made: dict[str, Path] = {}
    for run in opened:
        for where in _trained_runs(run):
            manifest = Run.read(where).manifest
            key = json.dumps(manifest, sort_keys=True, default=str)
            if key in made and made[key] != where:
                raise RunDirError(f"{where}: the same run as {made[key]} (a copy: same name, "
                                  f"created {manifest.get('created')}); as two members it "
                                  "would weigh double")
            made[key] = where


def _check_each_once(opened: list[Run], members_once: bool) -> None:
    """Each run once: a folder given twice under any name (runs/a and /tmp/x/runs/a, a link),
    or, with members_once, a trained run reached twice (given, and through an ensemble given).
    The line names the run and each way as it was given (shown), where it named the
    resolved folder beside the other way as typed."""
    why = "or it would weigh double" if members_once else "to compare it with others"
    given: dict[Path, Path] = {}
    for run in opened:
        where = run.path.resolve()
        if where in given:
            twice = _twice(where, [(given[where], given[where]), (run.path, run.path)])
            raise RunDirError(f"{twice}; each run once, {why}")
        given[where] = run.path
    if not members_once:
        return
    reached: dict[Path, tuple[Path, Path]] = {}  # trained run -> (its path as reached, given)
    for run in opened:
        for trained in trained_members(run):
            where = trained.path.resolve()
            if where in reached:
                twice = _twice(where, [reached[where], (trained.path, run.path)])
                raise RunDirError(f"{twice}; each run once, {why}")
            reached[where] = (trained.path, run.path)


def _twice(where: Path, ways: list[tuple[Path, Path]]) -> str:
    """'RUN: given twice (...)' for a run reached two ways, each (its path as reached, the
    folder given): RUN as given where it was given itself, else as its ensemble reached it;
    each way 'as X' (the run's own folder) or 'through ENS', an ensemble's first whatever the
    order; the ways left out where both read the same (runs/a given twice as runs/a)."""
    direct = [given for _, given in ways if given.resolve() == where]
    run = shown(direct[0] if direct else ways[0][0])
    said = [("as " if given.resolve() == where else "through ") + str(shown(given))
            for _, given in ways]
    if said[0] == said[1] and said[0].startswith("as "):
        return f"{run}: given twice"
    said.sort(key=lambda way: way.startswith("as "))
    return f"{run}: given twice ({' and '.join(said)})"


# QC folds followed the training file's row order until this moment (folds/grouped.strata
# numbered strata by first appearance): a run from before it has other folds than a later one
# trained with the same k and seed on the same rows
ROW_ORDER_FOLDS_UNTIL = "2026-12-05T16:00:00+00:00"


def _row_order_hint(first: Run, other: Run) -> str:
    """Why two runs of one seed may disagree on folds: one of them predates row-order-free QC
    folds, so retraining it (not changing seeds) is what makes them comparable."""
    if first.task is not Task.QC:
        return ""
    older = [run for run in (first, other)
             if str(run.manifest.get("created") or "") < ROW_ORDER_FOLDS_UNTIL]
    if not older or len(older) == 2:
        return ""
    return (f"; {shown(older[0].path)} was trained before QC folds stopped depending on "
            "the file's row order (2026-12-05): retrain it to combine them")


def _fold_counts(ours, our_folds: pd.Series, theirs, their_folds: pd.Series) -> str:
    """Where the runs split their rows: a count of folds apart is said with its fix (`train
    --folds 3` beside the default 5 was sent to compare folds.parquet files by hand)."""
    ours_k, theirs_k = our_folds.nunique(), their_folds.nunique()
    if ours_k == theirs_k:
        return f"compare their {FOLDS}"
    return (f"{ours} has {ours_k} folds, {theirs} {theirs_k}: train them with the same "
            "--folds (folds.k)")


def align_runs(run_dirs: list[str | Path], members_once: bool = False) -> AlignedRuns:
    """Open the runs and align their OOF tables by id; a clear error names any mismatch.
    members_once (an ensemble being built): a run may not also come in as a member of an
    ensemble given, where it would weigh double (compare may set an ensemble beside its
    members)."""
    if len(run_dirs) < 2:
        raise RunDirError("an ensemble needs at least two run directories")
    opened = [Run.open(d) for d in run_dirs]
    _check_each_once(opened, members_once)
    first = opened[0]
    other = next((run for run in opened if run.task is not opened[0].task), None)
    if other is not None:
        raise RunDirError(f"runs are for different tasks: {shown(first.path)} is "
                          f"{first.task.value}, {shown(other.path)} is {other.task.value}")
    first_oof, digest = _oof(first)  # read once: the shared columns, its scores, its texts
    digests, metrics = [digest], [first.metrics()]
    base = first_oof[[c for c in SHARED_COLUMNS if c in first_oof.columns]].reset_index(drop=True)
    # each tag as every command reads it now: a run trained before 'vn' was read as 'vi' keeps
    # 'vn' in its tables, and as first member it named the ensemble's languages so
    base["language"] = base["language"].map(
        {tag: language_tag(tag) for tag in pd.unique(base["language"])})
    first_oof = first_oof.set_index("id")
    base_ids = set(base["id"].tolist())
    base_folds = _folds(first).set_index("id")["fold"]
    columns = [base["id"].map(first_oof["probability"]).to_numpy()]
    ours = shown(first.path)  # runs/a, not runs/ens/../a (shown)
    for run in opened[1:]:
        theirs = shown(run.path)
        oof, digest = _oof(run)
        oof = oof.set_index("id")
        digests.append(digest)
        metrics.append(run.metrics())
        ids = set(oof.index.tolist())
        if ids != base_ids:
            raise RunDirError(
                f"runs were trained on different rows: {ours} has {len(base_ids)} ids, "
                f"{theirs} has {len(ids)}, {len(base_ids ^ ids)} ids are in only one of them")
        labels = base["id"].map(oof["label"]).to_numpy()
        differ = np.flatnonzero(labels != base["label"].to_numpy())
        if len(differ):
            raise RunDirError(f"runs disagree on labels: {ours} and {theirs} differ on "
                              f"{len(differ)} row(s), e.g. id {base['id'].tolist()[differ[0]]!r} "
                              "(trained on differently labelled files)")
        _check_same_texts(first, first_oof, run, base["id"], oof)
        folds = _folds(run).set_index("id")["fold"]
        if not np.array_equal(base["id"].map(folds).to_numpy(),
                              base["id"].map(base_folds).to_numpy()):
            raise RunDirError(
                f"runs used different folds: {ours} and {theirs} "
                f"({_fold_counts(ours, base_folds, theirs, folds)}); out-of-fold scores of "
                f"other splits can be neither combined nor compared fold by "
                f"fold{_row_order_hint(first, run)}")
        columns.append(base["id"].map(oof["probability"]).to_numpy())
    probabilities = np.column_stack(columns).astype(np.float64)
    if np.isnan(probabilities).any():
        raise RunDirError("some runs have rows without an OOF probability; cannot combine them")
    if members_once:
        _check_no_copies(opened)
    return AlignedRuns(opened, base, probabilities, digests, metrics)


def member_reference(member: Path, ensemble_dir: Path) -> str:
    """A member's path as stored in run.json: relative to the ensemble when possible."""
    member, ensemble_dir = Path(member).resolve(), Path(ensemble_dir).resolve()
    try:
        return os.path.relpath(member, ensemble_dir)
    except ValueError:  # another drive (Windows)
        return str(member)
