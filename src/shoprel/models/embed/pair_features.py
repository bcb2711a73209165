"""Features of a (query, target) pair from unit-length embeddings.

Beyond the raw vectors, the similarities carry best to queries and categories never seen in
training: how close the query is to each level of the category path and to its leaf (QC), and
where a candidate stands among the same query's other candidates in the file (both tasks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.category import split_levels

LEVELS = 4  # levels of a category path with their own similarity; deeper ones join the leaf


RAW_PARTS = {True: 4, "product": 1}  # columns per embedding dimension of each raw_embeddings


def raw_pair(q: np.ndarray, t: np.ndarray, parts: bool | str = True) -> np.ndarray:
    """[q, t, q·t elementwise, |q−t|], or the elementwise product alone ("product"): new
    queries rank as well from it (README) with a quarter of the columns to fit and hold."""
    if parts == "product":
        return q * t
    return np.hstack([q, t, q * t, np.abs(q - t)])


def cosine(q: np.ndarray, t: np.ndarray) -> np.ndarray:
    return (q * t).sum(axis=1)


def level_similarity(q: np.ndarray, paths, embed_levels) -> np.ndarray:
    """cos(query, level d) for the first LEVELS levels (NaN where the path is shorter), cos to
    the leaf, and the best of them. `embed_levels(names) -> vectors` embeds level names."""
    split = [split_levels(str(p)) for p in paths]
    names = sorted({name for levels in split for name in levels})
    vectors = dict(zip(names, embed_levels(names), strict=True)) if names else {}
    out = np.full((len(split), LEVELS + 2), np.nan, dtype=np.float64)
    for i, levels in enumerate(split):
        for d, name in enumerate(levels[:LEVELS]):
            out[i, d] = float(q[i] @ vectors[name])
        if levels:
            out[i, LEVELS] = float(q[i] @ vectors[levels[-1]])
    known = ~np.isnan(out[:, :LEVELS + 1])
    out[:, LEVELS + 1] = np.where(known.any(axis=1),
                                  np.nanmax(np.where(known, out[:, :LEVELS + 1], -np.inf),
                                            axis=1), np.nan)
    return out


def query_context(queries, scores: np.ndarray) -> np.ndarray:
    """Per row, among the rows with the same (normalised) query: how many there are, the
    score's gap to the best and to the mean of them, and its rank fraction (1 = best)."""
    key = pd.Series([" ".join(str(q).lower().split()) for q in queries])
    s = pd.Series(scores)
    grouped = s.groupby(key.to_numpy())
    count = grouped.transform("size").to_numpy(dtype=np.float64)
    gap_best = (s - grouped.transform("max")).to_numpy()
    gap_mean = (s - grouped.transform("mean")).to_numpy()
    rank = grouped.rank(method="average", pct=True).to_numpy()
    return np.column_stack([count, gap_best, gap_mean, rank])
