"""Unlabelled pairs for a distilled student: the teacher scores pairs that have no label (the
file a user must predict anyway, or any pool of real queries), and those pairs join the training
side of every student fit with the teacher's probability as their target.

They never validate (they have no label), so the student's OOF figures stay on the labelled
rows; but the teacher that scored them is its final model, which learnt from every labelled
fold, so those figures become optimistic, like the soft targets' (distill.py). The honest
comparison is on pairs neither model trained on: `bench/throughput.py` reports one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from shoprel.data.frame import PairFrame
from shoprel.data.readers import iter_pair_chunks
from shoprel.data.tasks import Task
from shoprel.errors import InputError
from shoprel.models.targets import SOFT_LABEL

ID_PREFIX = "unlabeled"
SCORE_ROWS = 5_000


def teacher_scored(teacher_dir: str | Path, files: Sequence[str | Path], task: Task,
                   empty_text: str = "keep", progress: bool = True) -> PairFrame:
    """The pairs of `files` (labels, if any, ignored) with the teacher's probability as
    soft_label and its decision as label; ids made unique across files."""
    from shoprel.predict.predictor import Predictor

    predictor = Predictor(teacher_dir)
    parts = []
    with tqdm(desc="teacher scoring unlabelled pairs", unit=" rows",
              disable=not progress) as bar:
        for number, path in enumerate(files):
            for chunk in iter_pair_chunks(path, task=task, empty_text=empty_text,
                                          chunk_rows=SCORE_ROWS):
                p = predictor.probabilities(chunk)
                df = chunk.df.drop(columns=["label", SOFT_LABEL, "weight"], errors="ignore")
                df["id"] = [f"{ID_PREFIX}{number}:{i}" for i in df["id"].astype(str)]
                df["label"] = (p >= predictor.row_thresholds(chunk)).astype(np.int64)
                df[SOFT_LABEL] = np.asarray(p, dtype=np.float64)
                parts.append(df)
                bar.update(len(df))
    if not parts:
        raise InputError("no pairs to learn from", path=files[0] if files else None)
    return PairFrame(task, pd.concat(parts, ignore_index=True), source=Path(files[0]))


def adding(extra: PairFrame) -> Callable[[PairFrame], PairFrame]:
    """fit_rows hook: each fit's training rows plus the teacher-scored pairs."""

    def add(rows: PairFrame) -> PairFrame:
        joined = pd.concat([rows.df, extra.df], ignore_index=True)
        stats = dict(rows.stats)
        stats["unlabeled"] = len(extra)
        return PairFrame(rows.task, joined, rows.source, stats)

    return add
