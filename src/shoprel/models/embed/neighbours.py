"""Labels of the most similar training pairs, as features (a k-nearest-neighbour vote).

A new pair whose query and target both resemble labelled pairs is likely labelled like them;
this reaches queries the other features have never seen. For the rows a model is fitted on the
votes come from inner folds grouped like the outer ones, so a row never votes for itself nor
hears from its own group: in-sample votes look far more certain than they will on new rows.
"""

from __future__ import annotations

import numpy as np

from shoprel.errors import RunDirError
from shoprel.folds.grouped import cross_fitted
from shoprel.models.backbones.embedding_store import RecentTexts
from shoprel.models.embed.vector_rows import (
    DISTINCT,
    PLACE,
    distinct_rows,
    packed,
    top_k_columns,
    unpacked,
)
from shoprel.models.float32_copies import once_per_arrays
from shoprel.utils.threads import in_row_parts, part_rows_for

NAMES = ("nn_mean_label", "nn_weighted_label", "nn_top1_sim", "nn_top1_label",
         "nn_best_positive_sim", "nn_best_negative_sim")
CHUNK = 1024  # scoring rows per similarity block: bounds memory at CHUNK × training rows


# Multiply each distinct query once (training rows, and scored rows) when they repeat this much:
# QI's Home Depot rows hold ~6 titles a query (37k rows, 5.9k queries: the votes 1.75x cheaper,
# 1.27 -> 0.73 CPU-s per 1k scored rows, within 1.2e-7; bench/neighbour_speed.py); QC's queries
# hardly repeat (6,961 distinct among 7,650 training rows) and keep the one product.
DISTINCT_QUERIES_AT_MOST = 0.5

# A long-lived scorer's memory of each scored target's similarity to every training target
# (one float32 row per target): QC's 2,884 training targets fit ~5,800 rows, QI's titles fewer.
TARGET_ROWS_BYTES = 64 << 20
TARGET_ROWS = "target rows"  # the memory's one kind of entry


def _repeated(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(the distinct rows, each row's place among them) where they repeat enough to multiply
    each once, else None."""
    distinct, place = distinct_rows(vectors)
    return (distinct, place) if len(distinct) <= DISTINCT_QUERIES_AT_MOST * len(vectors) else None


def by_target(q: np.ndarray, t: np.ndarray, labels: np.ndarray):
    """The training rows in order of their target, as float32: the distinct targets, how many
    rows each has, the rows' query vectors in that order — or, where the queries repeat enough,
    their distinct vectors and each row's place among them — and the labels in that order.
    Public: what every vote multiplies against, so a test can count the products made."""
    distinct, place = distinct_rows(t)
    order = np.argsort(place, kind="stable")
    queries = np.asarray(q[order], dtype=np.float32)
    return (np.asarray(distinct, dtype=np.float32), np.bincount(place),
            _repeated(queries) or queries, labels[order])


def _query_similarity(q: np.ndarray, trained) -> np.ndarray:
    """q @ (training queries).T, each distinct query (scored, or trained: `trained` as
    `by_target` gives it) multiplied once where they repeat. The same dot products either
    way; a product of another shape may round the last float32 bit otherwise (as thread counts
    do), so a near-tie may pick another neighbour."""
    scored = _repeated(q)
    left = q if scored is None else scored[0]
    if isinstance(trained, tuple):
        distinct, place = trained
        sim = np.take(left @ distinct.T, place, axis=1)
    else:
        sim = left @ trained.T
    return sim if scored is None else sim[scored[1]]


class NeighbourVotes:
    def __init__(self, k: int = 20):
        self.k = k
        self.remembers_targets = False

    def remember_targets(self, on: bool = True) -> NeighbourVotes:
        """Keep each scored target's similarities to the training targets between calls, for
        a long-lived scorer (serve): its batches bring the same category paths again and again
        (a 10-pair batch of new USE queries spent ~1 ms of its ~4 ms of votes multiplying them,
        ~19 ms CPU in all). A target's row is the product it would have had in that call
        (to float32 rounding: BLAS may round a product of other rows in the last bit)."""
        self.remembers_targets = on
        self.__dict__.pop("_target_rows", None)
        return self

    def remembered_targets(self) -> int:
        """How many scored targets' rows the memory of `remember_targets` holds after the last
        transform (0 without it): public, so a test of the scorer serve keeps can see it fill."""
        memory = self.__dict__.get("_target_rows")
        return 0 if memory is None else len(memory[1])

    def fit(self, q: np.ndarray, t: np.ndarray, labels: np.ndarray) -> NeighbourVotes:
        self.q_ = np.asarray(q, dtype=np.float16)
        self.t_ = np.asarray(t, dtype=np.float16)
        self.labels_ = np.asarray(labels, dtype=np.float32)
        return self

    def transform(self, q: np.ndarray, t: np.ndarray, workers: int | None = None) -> np.ndarray:
        """Pair similarity = cos(query, query') + cos(target, target'), over the k best; with
        `workers` > 1, parts of the rows side by side (utils/threads.in_row_parts)."""
        out = np.zeros((len(q), len(NAMES)), dtype=np.float64)
        if len(self.labels_) == 0 or len(q) == 0:
            return out
        # pairs share targets (a path, a title) on both sides: each distinct pair of targets
        # is multiplied once (QC: 2,884 distinct paths among 7,650 training rows) and the
        # training rows sit in order of their target, so its similarity repeats along a row
        arrays = self.training_rows()

        def votes(start: int, stop: int) -> np.ndarray:
            return self._votes(np.asarray(q[start:stop], np.float32),
                               np.asarray(t[start:stop], np.float32), *arrays)

        for start, stop, part in in_row_parts(votes, len(q),
                                              part_rows_for(len(q), workers, CHUNK), workers):
            out[start:stop] = part
        return out

    def training_rows(self) -> tuple:
        """The fitted rows as `by_target` arranges them, made once per fitted arrays and kept:
        what `transform` votes against (public, so a test can see which way the queries went)."""
        return once_per_arrays(self, "_by_target", (self.q_, self.t_, self.labels_), by_target)

    def _votes(self, q, t, tt, per_target, trained_q, labels) -> np.ndarray:
        """NAMES for rows few enough to hold their similarity to every training row."""
        k = min(self.k, len(labels))
        sim = _query_similarity(q, trained_q)
        batch_t, batch_place = distinct_rows(t)
        sim += np.repeat(self._target_similarity(batch_t, tt)[batch_place], per_target, axis=1)
        top = top_k_columns(sim, k)
        top_sim = np.take_along_axis(sim, top, axis=1)
        top_label = labels[top]
        best = np.argmax(top_sim, axis=1)
        rows = np.arange(len(top))
        weight = np.exp(4.0 * (top_sim - top_sim[rows, best][:, None]))
        positive = np.where(top_label > 0.5, top_sim, -2.0).max(axis=1)
        negative = np.where(top_label <= 0.5, top_sim, -2.0).max(axis=1)
        return np.column_stack([
            top_label.mean(axis=1), (weight * top_label).sum(1) / weight.sum(1),
            top_sim[rows, best], top_label[rows, best], positive, negative])

    def _target_similarity(self, targets: np.ndarray, tt: np.ndarray) -> np.ndarray:
        """targets @ tt.T; with remember_targets, the rows of targets met before from memory
        (kept per training targets: refitted or loaded arrays start it again)."""
        if not self.remembers_targets:
            return targets @ tt.T
        memory = once_per_arrays(self, "_target_rows", (tt,), lambda rows: RecentTexts(
            max(1, TARGET_ROWS_BYTES // max(1, rows.shape[0] * 4))))
        keys = [row.tobytes() for row in targets]
        found = memory.lookup(TARGET_ROWS, keys)
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            new = targets[missing] @ tt.T
            fresh = {keys[i]: row.copy() for i, row in zip(missing, new, strict=True)}
            memory.store(TARGET_ROWS, fresh)
            found.update(fresh)
        return np.vstack([found[key] for key in keys]) if keys else targets @ tt.T

    def oof_transform(self, q, t, labels, groups, inner_folds: int, seed: int) -> np.ndarray:
        """Votes for the fitted rows themselves, each from the other inner folds only."""
        def votes(train, valid):
            inner = NeighbourVotes(self.k).fit(q[train], t[train], labels[train])
            return inner.transform(q[valid], t[valid])

        return cross_fitted(votes, groups, inner_folds, seed, len(NAMES))

    def arrays(self, targets: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each distinct query and target vector once, with each row's place (vector_rows.packed:
        the rows repeat them; 2,001 Home Depot rows hold 1,086 queries and 1,163 titles). With
        `targets`, vectors the model saves anyway (the target rank's), the target vectors are
        saved as places among them where every one is there."""
        return {**packed("neighbour_q", self.q_), **packed("neighbour_t", self.t_, targets),
                "neighbour_labels": self.labels_}

    @staticmethod
    def saved_dim(arrays: dict[str, np.ndarray]) -> int | None:
        """The dimension of the saved query vectors, of either layout; None when unreadable
        (from_arrays then says why)."""
        q = arrays.get("neighbour_q", arrays.get("neighbour_q" + DISTINCT))
        return int(q.shape[1]) if q is not None and q.ndim == 2 else None

    @classmethod
    def from_arrays(cls, k: int, arrays: dict[str, np.ndarray], source=None,
                    targets: tuple[str, np.ndarray | None] = ("", None)) -> NeighbourVotes:
        """Votes from saved arrays: as many query and target vectors (of one dimension) as
        labels, else one RunDirError naming `source` (the file) and the field. `targets`: (its
        name, the vectors) that `arrays(targets)` may have saved places into."""
        where = source or "neighbour arrays"
        if "neighbour_labels" not in arrays:
            raise RunDirError(f"{where}: field 'neighbour_labels' missing")
        q = unpacked(arrays, "neighbour_q", where)
        t = unpacked(arrays, "neighbour_t", where, targets)
        labels = arrays["neighbour_labels"]
        if labels.ndim != 1:
            raise RunDirError(f"{where}: field 'neighbour_labels' has shape {labels.shape}; "
                              "expected one label per training pair")
        for name, vectors in (("neighbour_q", q), ("neighbour_t", t)):
            if vectors.ndim != 2 or vectors.shape[0] != len(labels):
                field = name if name in arrays else f"{name}{PLACE}"  # the layout read
                raise RunDirError(f"{where}: field {field!r} gives vectors of shape "
                                  f"{vectors.shape}, but 'neighbour_labels' holds "
                                  f"{len(labels)} labels")
        if q.shape[1] != t.shape[1]:
            raise RunDirError(f"{where}: field 'neighbour_t' has vectors of dimension "
                              f"{t.shape[1]}, but 'neighbour_q' of {q.shape[1]}")
        votes = cls(k)
        votes.q_, votes.t_, votes.labels_ = q, t, labels
        return votes
