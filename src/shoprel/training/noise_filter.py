"""A run config's `noise` section: flagged rows dropped from, or down-weighted in, training.

The ids come from `shoprel noise RUN --out FILE` (cleanlab on an earlier run's OOF scores), or
with `inner_folds` from cleanlab on inner-fold scores of each fit's own training rows. Only the
training side of each fold and the final fit change; validation folds keep every row, so the new
run's OOF figures are measured on unfiltered rows and compare with the old run's. A flag file
made from a run on the same rows leaks validation labels into the choice of what to drop (see
NoiseConfig); inner_folds does not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from shoprel.data.column_names import missing_column
from shoprel.data.formats import ID_TABLE_SUFFIXES, format_suffix
from shoprel.data.frame import PairFrame
from shoprel.data.records import (
    column_line,
    iter_records,
    iter_text_lines,
    position_label,
    require_config_file,
)
from shoprel.data.validate import id_text
from shoprel.ensemble.flag_source import read_source, shared_rows
from shoprel.errors import ConfigError, InputError
from shoprel.models.targets import WEIGHT, require_row_targets
from shoprel.training.config import NoiseConfig, RunConfig

# said by train and kept in metrics.json noise.caveat (flag_source.py: why it leaks)
LEAKY_FLAGS = ("OOF figures are optimistic: the noise.flagged ids were chosen by shoprel noise "
               "from the out-of-fold scores of the run {run}, which cover {n} of these {rows} "
               "rows, so they knew labels of this run's validation folds (noise.inner_folds "
               "flags without them)")


def read_flagged_ids(path: str | Path) -> list[tuple[str, int]]:
    """(id as text, line) per flagged row: a plain file has one id a line; a table (a name
    ending in one of ID_TABLE_SUFFIXES, as `shoprel noise --out` writes) has an id column. A
    file that cannot be read is one error naming it, the line and the field."""
    path = Path(path)
    require_config_file("noise.flagged", path, "a file of flagged ids",
                        "give the file `shoprel noise RUN --out FILE` wrote")
    if format_suffix(path) not in ID_TABLE_SUFFIXES:  # flagged.csv.gz is a table
        return [(id_text(text.strip()), line) for line, text in iter_text_lines(path)
                if text.strip()]
    ids = []
    label = position_label(path)  # "line", or "row" in a Parquet file
    for line, record in iter_records(path):
        if "id" not in record:
            raise InputError(missing_column(record, "id"), path=path,
                             line=column_line(path, line), field="id", line_label=label)
        value = record.get("id")
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError("no id", path=path, line=line, field="id", line_label=label)
        ids.append((id_text(value), line))
    return ids


def flagged_ids(noise: NoiseConfig, frame: PairFrame) -> set[str]:
    """The flagged ids, each checked to be a row of the training file."""
    known = set(frame.df["id"].astype(str))
    ids = set()
    for value, line in read_flagged_ids(noise.flagged):
        if value not in known:
            source = f" {frame.source}" if frame.source else ""
            raise InputError(f"id {value!r} is not a row of the training file{source}",
                             path=noise.flagged, line=line, field="id",
                             line_label=position_label(noise.flagged))
        ids.add(value)
    return ids


def inner_flags(rows: PairFrame, config: RunConfig) -> np.ndarray:
    """Which rows cleanlab doubts, from scores of models fitted on the other inner folds."""
    from cleanlab.filter import find_label_issues

    from shoprel.ensemble.noise import DEFAULT_FILTER
    from shoprel.folds.grouped import assign_folds
    from shoprel.models.registry import model_class

    folds = assign_folds(rows, config.noise.inner_folds, config.folds.seed,
                         config.folds.qc_group_levels)
    family = model_class(config.model.family)
    p = np.zeros(len(rows))
    for fold in range(config.noise.inner_folds):
        train, valid = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        model = family(**config.model.params).fit(rows.take(train))
        p[valid] = model.predict_proba(rows.take(valid))[:, 1]
    p = np.clip(p, 1e-9, 1 - 1e-9)
    # n_jobs=1: cleanlab's default forks a pool, which can deadlock in a process whose torch or
    # OpenMP threads already run (seen in the test suite), and buys nothing on one fit's rows
    return find_label_issues(rows.labels, np.column_stack([1 - p, p]), filter_by=DEFAULT_FILTER,
                             n_jobs=1)


def noise_side(config: RunConfig, frame: PairFrame | None) -> Callable[[PairFrame], PairFrame]:
    """Training rows → the same rows with flagged ones dropped or given `noise.weight`
    (downweight needs a model family that reads weights; drop works with any)."""
    noise = config.noise
    if not noise.active:
        return lambda rows: rows
    if noise.mode == "downweight":
        require_row_targets(config.model.family, "noise.mode: downweight")
    if noise.flagged is not None:
        if frame is None:
            raise ConfigError("noise.flagged: the training rows are needed to check the ids")
        ids = flagged_ids(noise, frame)

    def apply(rows: PairFrame) -> PairFrame:
        if noise.inner_folds is not None:
            flagged = inner_flags(rows, config)
        else:
            flagged = rows.df["id"].astype(str).isin(ids).to_numpy()
        if noise.mode == "drop":
            out = rows.take(np.flatnonzero(~flagged))
        else:
            out = rows.take(np.arange(len(rows)))
            base = out.df[WEIGHT].to_numpy(dtype=np.float64) if WEIGHT in out.df else 1.0
            out.df[WEIGHT] = np.where(flagged, noise.weight, 1.0) * base
        out.stats = dict(rows.stats)
        return out

    return apply


def noise_summary(noise: NoiseConfig, frame: PairFrame,
                  train_sha256: str | None = None) -> dict:
    """What metrics.json records about the filtering; flags that `shoprel noise` chose from a
    run over these rows (flag_source.py) make the OOF figures optimistic, recorded as distill
    records a leaky student's (`oof_optimistic`, `caveat`)."""
    out = {"mode": noise.mode, "weight": noise.weight if noise.mode == "downweight" else 0.0,
           "applied_to": "training side of each fold and the final fit; validation folds keep "
                         "every row"}
    if noise.inner_folds is not None:
        return {"flagged_by": f"cleanlab on {noise.inner_folds} inner folds of each fit's "
                              "training rows", **out}
    out = {"flagged_file": str(Path(noise.flagged).resolve()),
           "flagged_rows": len(flagged_ids(noise, frame)), **out}
    source = read_source(noise.flagged)
    shared = 0 if source is None else shared_rows(source, frame.df, train_sha256)
    if shared:
        run = str(source.get("run"))
        out.update(source={"run": run, "train_file": source.get("train_file"),
                           "shared_rows": shared}, oof_optimistic=True,
                   caveat=LEAKY_FLAGS.format(run=Path(run).name, n=shared, rows=len(frame)))
    return out
