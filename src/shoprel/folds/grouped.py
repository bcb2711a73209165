"""Stratified group k-fold: a category (QC) or a query (QI) never sits on both sides of a split."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from shoprel.data.category import prefix, top_level
from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import InputError


def normalise_query(text: str) -> str:
    return " ".join(str(text).lower().split())


def query_groups(frame: PairFrame) -> np.ndarray:
    """Each row's normalised query: rows of one query stay on one side of a split."""
    return frame.df["query"].map(normalise_query).to_numpy()


def fold_groups(frame: PairFrame, qc_group_levels: int = 3) -> np.ndarray:
    """The unit that must stay whole: QC's first N path levels, QI's normalised query."""
    if frame.task is Task.QC:
        return frame.df["target"].map(lambda p: prefix(p, qc_group_levels).lower()).to_numpy()
    return query_groups(frame)


def inner_splits(groups: np.ndarray, inner_folds: int, seed: int):
    """(train, valid) row indices of the inner folds that give fitted rows their label-using
    features: no group on both sides, as many folds as asked or as there are groups."""
    from sklearn.model_selection import GroupKFold  # here: scoring imports this module, not sklearn

    n_splits = min(inner_folds, len(set(groups)))
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return splitter.split(np.zeros(len(groups)), groups=groups)


def cross_fitted(fit_transform, groups: np.ndarray, inner_folds: int, seed: int, width: int,
                 fill: float = 0.0) -> np.ndarray:
    """(rows, width) features of the rows a model is fitted on, each row's from
    `fit_transform(train, valid)`: a block fitted on the other inner folds only, so that no row
    hears its own label or its group's and the booster on top sees them as honest as on new
    rows. `fill` stays where a block leaves nothing."""
    out = np.full((len(groups), width), fill, dtype=np.float64)
    for train, valid in inner_splits(groups, inner_folds, seed):
        out[valid] = fit_transform(train, valid)
    return out


def strata(frame: PairFrame, k: int) -> np.ndarray:
    """Language × label (QC also × top-level category), so folds look alike.

    Small files have too few rows per stratum for k folds; then coarser strata are used, down
    to the label alone.
    """
    label = frame.df["label"].astype(str)
    language = frame.df["language"].astype(str)
    candidates = [language + "|" + label, label]
    if frame.task is Task.QC:
        top = frame.df["target"].map(lambda p: top_level(p).lower())
        candidates.insert(0, language + "|" + label + "|" + top)
    for parts in candidates:
        # numbered in sorted order, not by first appearance: StratifiedGroupKFold breaks near
        # ties by class order, so appearance order would make the folds depend on row order
        codes = np.unique(parts.to_numpy(), return_inverse=True)[1].reshape(-1)
        if np.bincount(codes).max() >= k:
            return codes
    return codes


def assign_folds(frame: PairFrame, k: int = 5, seed: int = 42,
                 qc_group_levels: int = 3) -> np.ndarray:
    """Fold number (0..k-1) of every row; the same seed gives the same folds."""
    if not frame.has_labels:
        raise InputError("folds need labelled rows", path=frame.source, field="label")
    groups = fold_groups(frame, qc_group_levels)
    n_groups = len(set(groups))
    if n_groups < k:
        raise InputError(
            f"only {n_groups} distinct groups for {k} folds (grouping by "
            f"{'category prefix' if frame.task is Task.QC else 'query'}): use fewer folds",
            path=frame.source)
    from sklearn.model_selection import StratifiedGroupKFold  # here: as in inner_splits

    labels = frame.df["label"].to_numpy()
    commonest = int(np.bincount(pd.factorize(labels)[0]).max())
    if commonest < k:
        raise InputError(f"only {commonest} row{'' if commonest == 1 else 's'} of the commonest "
                         f"label for {k} folds: use fewer folds", path=frame.source,
                         field="label")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = np.full(len(frame), -1, dtype=np.int64)
    with warnings.catch_warnings():
        # rare strata (one row of a language × category × label) are expected and harmless
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(splitter.split(np.zeros(len(frame)), strata(frame, k), groups))
    for fold, (_, valid) in enumerate(splits):
        folds[valid] = fold
    check_both_labels_train(labels, folds, frame.source)
    return folds


def check_both_labels_train(labels: np.ndarray, folds: np.ndarray, source=None) -> None:
    """Every fold's training side must hold both labels, or its model cannot be fitted: a
    label whose rows all fell into one fold (a file with very few of them) is told at once."""
    for fold in range(int(folds.max()) + 1 if len(folds) else 0):
        held = set(np.unique(labels[folds != fold]).tolist())
        for label in sorted(set(np.unique(labels).tolist()) - held):
            count = int(np.sum(labels == label))
            raise InputError(f"all {count} row(s) labelled {label} fall into fold {fold}, so "
                             f"its model would train on one label: give more rows labelled "
                             f"{label} or use fewer folds", path=source, field="label")
