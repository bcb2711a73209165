"""Easy negatives: training rows that pair a relevant row's query with a target from elsewhere
in the training data, labelled irrelevant.

Search-log candidates are all plausible (~69% of QC pairs and ~62% of QI pairs are relevant),
and a model fitted on them alone never sees the far end of the scale: on new QC queries the
default calls 37.5% of pairs with a path from another branch relevant, the USE student 77%.
Like translated copies, these rows join the training side of every fold and the final fit,
never a validation fold or the threshold. They cost ranking among logged candidates, so they
are off by default (docs/measurements-qc.md, "Easy negatives").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.augment.augment import AUGMENTED_COLUMN, new_ids
from shoprel.data.category import top_level
from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.models.targets import SOFT_LABEL, WEIGHT

ATTEMPTS = 20  # random targets tried per new row before its query is given up on


def far_keys(task: Task, target: str) -> str:
    """What a drawn target may not share with the query's relevant targets: a category path's
    branch (a sibling category may well fit the query too), a title itself."""
    return top_level(target) if task is Task.QC else target


def far_pairs(frame: PairFrame, count: int, seed: int = 0,
              universe: PairFrame | None = None) -> PairFrame:
    """`count` rows (relevant rows drawn at random, with replacement only when there are fewer):
    the row's query with a target drawn from `universe`'s targets (default: the frame's) that
    is none of the query's own targets there and shares no `far_keys` with its relevant ones,
    label 0 (soft label 0 where the frame has them), each row's other columns (id, language,
    weight) as its source row's; a query with no such target gets no row. Deterministic for a
    seed."""
    df = frame.df
    relevant = np.flatnonzero(df["label"].to_numpy() == 1)
    if count <= 0 or len(relevant) == 0:
        return PairFrame(frame.task, df.iloc[:0].copy(), frame.source, dict(frame.stats))
    rng = np.random.default_rng(seed)
    queries = df["query"].astype(str).to_numpy()
    known = (universe or frame).df
    targets = known["target"].astype(str).to_numpy()
    own: dict[str, set[str]] = {}
    near: dict[str, set[str]] = {}
    for query, target, label in zip(known["query"].astype(str), targets,
                                    known["label"].to_numpy(), strict=True):
        own.setdefault(query, set()).add(target)
        if label == 1:
            near.setdefault(query, set()).add(far_keys(frame.task, target))
    pool = np.unique(targets)
    sources, drawn = [], []
    for row in rng.choice(relevant, size=count, replace=count > len(relevant)):
        query = queries[row]
        for candidate in rng.choice(pool, size=ATTEMPTS):
            if candidate not in own[query] and far_keys(frame.task, candidate) not in near[query]:
                sources.append(row)
                drawn.append(candidate)
                break
    made = df.iloc[sources].reset_index(drop=True)  # a row drawn twice: two labels, not one
    made["target"] = drawn
    made["label"] = 0
    if SOFT_LABEL in made.columns:
        made[SOFT_LABEL] = 0.0
    return PairFrame(frame.task, made, frame.source, dict(frame.stats))


def add_easy_negatives(frame: PairFrame, share: float, weight: float = 1.0,
                       seed: int = 0) -> PairFrame:
    """The frame's rows, then `far_pairs` for `share` × rows of them with new ids, weight
    `weight` and `augmented` True (the originals: False)."""
    df = frame.df
    made = far_pairs(frame, int(round(share * len(df))), seed).df  # a new frame already
    if len(made) == 0:
        return frame
    original = df.assign(**{AUGMENTED_COLUMN: df.get(AUGMENTED_COLUMN, False)})
    if weight != 1.0 and WEIGHT not in original.columns:
        original[WEIGHT] = 1.0  # the file's own weights, where it has them, stay as they are
    if WEIGHT in original.columns:
        made[WEIGHT] = weight
    made["id"] = new_ids(df["id"], len(made), "easy")
    made[AUGMENTED_COLUMN] = True
    out = pd.concat([original, made], ignore_index=True)
    stats = dict(frame.stats, augmented=int(frame.stats.get("augmented", 0)) + len(made))
    return PairFrame(frame.task, out, frame.source, stats)
