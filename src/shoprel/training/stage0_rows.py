"""Stage 0 must not have learnt the labels the run validates on.

Every fold model starts from the stage-0 model, and every row of the training file is
validated on in one fold: a stage 0 fitted on those rows has seen each validation fold's
labels, so the out-of-fold figures (and the threshold chosen on them) come out optimistic.
The check costs one pass over both files' pairs, made before any fit.
"""

from __future__ import annotations

from pathlib import Path

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.folds.grouped import normalise_query
from shoprel.run.stage0_record import shown_stage0_files
from shoprel.utils.outputs import same_file


def pair_keys(frame: PairFrame) -> list[tuple[str, str]]:
    """Each row's (query, target), case and spacing aside: how a pair is told apart from
    another, whatever file it came from (ids are numbered per file and tell nothing)."""
    return list(zip(frame.df["query"].map(normalise_query),
                    frame.df["target"].map(normalise_query), strict=True))


def shared_pairs(stage0: PairFrame, rows: PairFrame) -> list[tuple[str, str]]:
    """The distinct pairs of `stage0` that `rows` holds too (pair_keys), in stage0's order:
    each a label stage 0 learnt of a row validated on."""
    validated = set(pair_keys(rows))
    return [key for key in dict.fromkeys(pair_keys(stage0)) if key in validated]


def query_overlap(stage0: PairFrame, rows: PairFrame) -> dict[str, int]:
    """How many of the distinct queries of `rows` (case and spacing aside) `stage0` holds too,
    out of how many, as metrics.json's stage0 block keeps them (shared_queries_note)."""
    queries = set(rows.df["query"].map(normalise_query))
    seen = set(stage0.df["query"].map(normalise_query))
    return {"shared_queries": len(queries & seen), "training_file_queries": len(queries)}


def shared_queries_note(stage0_info: dict | None) -> str | None:
    """A `note:` when stage 0 saw queries of the training file (no pair of it: those are
    refused), else None. Where the folds hold queries out (QI, or QC grouped by query) a fold
    should validate on queries its model never saw; every fold model starts from stage 0,
    which saw these, so the out-of-fold figures may read high. A milder leak: not refused."""
    shared = (stage0_info or {}).get("shared_queries")
    if not shared:
        return None
    several = isinstance(stage0_info.get("train_file"), list)
    return (f"note: the stage-0 file{'s' if several else ''} "
            f"{shown_stage0_files(stage0_info)} hold{'' if several else 's'} {shared} of the "
            f"training file's {stage0_info['training_file_queries']} distinct queries: every "
            "fold model starts from stage 0, which saw them, so a fold's held-out queries may "
            "not be new to its model; the out-of-fold figures may read high")


def check_stage0_rows(stage0_file: str | Path, stage0: PairFrame, train_file: str | Path,
                      train: PairFrame) -> None:
    """Refuse a stage-0 file that is the training file itself, or one of the run's task that
    holds any of its pairs (each is a validation row of some fold); a ConfigError naming
    stage0.data. The other task's file holds none of its pairs: its targets are of another
    kind (item titles, not category paths)."""
    if same_file(stage0_file, train_file):
        raise ConfigError(f"stage0.data: {stage0_file} is the training file itself: stage 0 "
                          "would learn the label of every row the folds validate on, and the "
                          "out-of-fold figures would be optimistic; give it the other task's "
                          "file")
    if stage0.task is not train.task:
        return
    shared = shared_pairs(stage0, train)
    if shared:
        query, target = shared[0]
        raise ConfigError(f"stage0.data: {stage0_file} shares {len(shared)} "
                          f"{train.task.value} pair(s) with the training file {train_file} "
                          f"(first: {query!r} / {target!r}), each validated on in one fold: "
                          "stage 0 would have learnt their labels, and the out-of-fold "
                          "figures would be optimistic; leave them out of the stage-0 file")
