"""Unlabelled pairs for a distilled student: the teacher scores pairs that have no label (the
file a user must predict anyway, or any pool of real queries), and those pairs join the training
side of every student fit with the teacher's probability as their target.

They never validate (they have no label), so the student's OOF figures stay on the labelled
rows; but the teacher that scored them is its final model, which learnt from every labelled
fold, so those figures become optimistic, like the soft targets' (distill.py). The honest
comparison is on pairs neither model trained on: `bench/throughput.py` reports one.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.empty_texts import empty_counts
from shoprel.data.frame import PairFrame
from shoprel.data.readers import iter_pair_chunks
from shoprel.data.tasks import Task, TaskGivenBy
from shoprel.errors import InputError
from shoprel.models.targets import SOFT_LABEL
from shoprel.utils.progress import progress_bar, steps_on

ID_PREFIX = "unlabeled"
SCORE_ROWS = 5_000
LEFT_OUT = "left_out"  # stats key: pairs of the teacher's training rows, and repeated pairs
# stats key: file -> the pairs a teacher trained with translations scored bare ("pairs"), per
# language ("languages"), and whether the file has a translated_query column (as predict says)
BARE = "bare_query"
# stats key: file -> its rows with an empty or blank query or target, as train counts its own
# (empty_texts.py: the note the command says), and how many data.empty_text "drop" left out
EMPTY = "empty_texts"


@dataclass
class UnlabeledPairs:
    """The pairs of the --unlabeled files, read and checked whole (read_unlabeled) before the
    teacher loads: `parts`, (file number, file, a chunk of the pairs kept) in file order; the
    pairs left out (LEFT_OUT) and each file's rows with an empty text (EMPTY)."""

    task: Task
    files: list[str | Path]
    parts: list[tuple[int, str | Path, PairFrame]] = field(default_factory=list)
    left_out: dict = field(default_factory=lambda: {"training_pairs": 0, "repeated_pairs": 0})
    empty: dict[str, dict] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(chunk) for _, _, chunk in self.parts)


def read_unlabeled(files: Sequence[str | Path], task: Task, empty_text: str = "keep",
                   progress: bool = True,
                   training_pairs: set[tuple[str, str]] | None = None,
                   given_by: TaskGivenBy | None = None) -> UnlabeledPairs:
    """The pairs of `files` (labels, if any, not read), every row checked, before any model
    loads: an empty file, one of the other task or a bad line past the first chunk was told
    only once the teacher had loaded (an embed teacher's encoder: ~30 s), and scored the
    chunks above it.

    A pair (query and target) among `training_pairs` is left out: the teacher's final model
    learnt its label, and with it in the student's training side the student's validation
    folds would hear their own rows' labels. A pair given again (in another file, or the same
    file twice) is kept once. Both are counted (left_out), and each file's rows with an empty
    text (empty), kept or dropped by `empty_text` as train treats its own. `given_by`: who
    gave `task` (the teacher, tasks.teacher_task), said where a file is of the other task."""
    seen = set(training_pairs or ())
    read = UnlabeledPairs(task, list(files))
    counts = read.left_out
    with progress_bar(desc="unlabelled pairs", unit=" rows", disable=not progress) as bar:
        for number, path in enumerate(files):
            stats: dict = {}
            with steps_on(bar, f"file {number + 1}/{len(files)}: " if len(files) > 1 else "",
                          "reading"):
                for chunk in iter_pair_chunks(path, task=task, empty_text=empty_text,
                                              chunk_rows=SCORE_ROWS, read_labels=False,
                                              given_by=given_by):
                    stats = chunk.stats  # the file's counts so far: the last chunk's are its own
                    keep = []
                    for i, pair in enumerate(zip(chunk.df["query"].astype(str),
                                                 chunk.df["target"].astype(str), strict=True)):
                        if pair in seen:
                            known = training_pairs is not None and pair in training_pairs
                            counts["training_pairs" if known else "repeated_pairs"] += 1
                        else:
                            seen.add(pair)
                            keep.append(i)
                    bar.update(len(chunk))
                    if keep:
                        read.parts.append((number, path, chunk.take(np.asarray(keep))))
            if stats.get("empty_query") or stats.get("empty_target"):
                read.empty[str(path)] = {**empty_counts(stats), "dropped": stats.get("dropped", 0)}
    if not read.parts:
        why = (f" ({counts['training_pairs']:,} are the teacher's training pairs)"
               if counts["training_pairs"] else "")
        # what to do: the usual cause is the teacher's own training file given as unlabelled
        raise InputError(f"no pairs to learn from{why}; --unlabeled takes pairs the teacher was "
                         "not trained on (a file you will predict), or leave it out to distil "
                         "from the labelled rows alone", path=files[0] if files else None)
    return read


def teacher_scored(teacher_dir: str | Path, pairs: UnlabeledPairs,
                   progress: bool = True) -> PairFrame:
    """The pairs (read_unlabeled) with the teacher's probability as soft_label and its
    decision as label; ids made unique across files. The frame's stats carry the pairs' counts
    (LEFT_OUT, EMPTY) and those scored on a bare query where the teacher reads translations
    (BARE)."""
    from shoprel.models.base import UntranslatedInputWarning
    from shoprel.predict.predictor import Predictor, reads_translation

    bare: dict[str, dict] = {}  # counted here, said once per file by the command (as predict)
    scored = []
    files = len(pairs.files)
    # the bar names its steps, as train's folds bar does: an embed teacher loads its encoder,
    # then embeds each chunk's new texts (either can be minutes); its name is short, so that
    # a step still fits a log's line of progress.LOG_WIDTH columns beside the bar's figures
    with progress_bar(total=len(pairs), desc="teacher scoring", unit=" pairs",
                      disable=not progress) as bar:
        with steps_on(bar, first="loading the teacher"):
            predictor = Predictor(teacher_dir)
        wants_translation = reads_translation(predictor)
        for number, path, chunk in pairs.parts:
            if wants_translation:
                _count_bare(bare.setdefault(str(path), {"pairs": 0, "languages": Counter(),
                                                        "translation_column": False}), chunk)
            with steps_on(bar, f"file {number + 1}/{files}: " if files > 1 else "",
                          "scoring"), warnings.catch_warnings():
                warnings.simplefilter("ignore", UntranslatedInputWarning)
                p = predictor.probabilities(chunk)
            df = chunk.df.drop(columns=["label", SOFT_LABEL, "weight"], errors="ignore")
            df["id"] = [f"{ID_PREFIX}{number}:{i}" for i in df["id"].astype(str)]
            df["label"] = (p >= predictor.row_thresholds(chunk)).astype(np.int64)
            df[SOFT_LABEL] = np.asarray(p, dtype=np.float64)
            scored.append(df)
            bar.update(len(chunk))
    return PairFrame(pairs.task, pd.concat(scored, ignore_index=True),
                     source=Path(pairs.files[0]),
                     stats={LEFT_OUT: pairs.left_out, EMPTY: pairs.empty, BARE: {
                         path: {**said, "languages": dict(said["languages"].most_common())}
                         for path, said in bare.items() if said["pairs"]}})


def _count_bare(said: dict, chunk: PairFrame) -> None:
    """Add a chunk's pairs scored on their bare query to its file's counts (BARE)."""
    from shoprel.models.base import bare_query_mask

    untranslated = bare_query_mask(chunk)
    said["pairs"] += int(untranslated.sum())
    said["languages"].update(chunk.df["language"][untranslated])
    said["translation_column"] = said["translation_column"] or chunk.has_translation


def adding(extra: PairFrame) -> Callable[[PairFrame], PairFrame]:
    """fit_rows hook: each fit's training rows plus the teacher-scored pairs."""

    def add(rows: PairFrame) -> PairFrame:
        joined = pd.concat([rows.df, extra.df], ignore_index=True)
        stats = dict(rows.stats)
        stats["unlabeled"] = len(extra)
        return PairFrame(rows.task, joined, rows.source, stats)

    return add
