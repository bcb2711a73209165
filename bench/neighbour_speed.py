"""What the neighbour votes cost a scored row, each distinct query (training and scored, where
they repeat: QI) multiplied once, against every row's query multiplied.

    .venv/bin/python bench/neighbour_speed.py [DATA] [--rows 2048] [--dim 768] [--repeats 3]

DATA (default: the Home Depot QI rows) gives the shape: which training rows share a query and
which a target; each distinct text gets a seeded random unit vector of --dim (EmbeddingGemma's
768), so no encoder runs. The votes are fitted on every row and score --rows new rows (new
query vectors, each with as many rows as the file's queries have; targets drawn from the
file's), one thread, both ways in turn; prints CPU-seconds per 1k rows, the ratio, and the
largest difference between the two ways' votes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.readers import read_pairs
from shoprel.models.embed import neighbours
from shoprel.models.embed.neighbours import NeighbourVotes

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/qi_homedepot/train_QI.txt"


def unit_rows(rng, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def vectors_for(texts, rng, dim: int) -> np.ndarray:
    """One vector per distinct text, repeated where the text repeats."""
    place, distinct = pd.factorize(pd.Series(texts))
    return unit_rows(rng, len(distinct), dim)[place]


def timed(votes: NeighbourVotes, q, t, repeats: int) -> tuple[float, np.ndarray]:
    """CPU-seconds a transform of `votes` (freshly fitted: its training rows not yet arranged)
    takes, and its votes."""
    out = votes.transform(q, t, workers=1)  # the arrays prepared once, as a saved model does
    start = time.process_time()
    for _ in range(repeats):
        out = votes.transform(q, t, workers=1)
    return (time.process_time() - start) / repeats, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, nargs="?", default=DEFAULT)
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame = read_pairs(args.data, require_label=True).df
    rng = np.random.default_rng(0)
    q = vectors_for(frame["query"].str.lower().str.strip(), rng, args.dim)
    t = vectors_for(frame["target"], rng, args.dim)
    distinct = len(np.unique(frame["query"].str.lower().str.strip()))
    labels = frame["label"].to_numpy(np.float32)
    per_query = max(1, round(len(frame) / distinct))  # scored queries come with as many rows
    new_q = unit_rows(rng, -(-args.rows // per_query), args.dim)[
        np.repeat(np.arange(-(-args.rows // per_query)), per_query)[:args.rows]]
    new_t = t[rng.integers(0, len(t), args.rows)].astype(np.float32)
    print(f"{args.data.name}: {len(frame):,} training rows, {distinct:,} distinct queries, "
          f"{args.rows:,} rows scored ({per_query} a query), {args.dim}-d, one thread")
    once, out_once = timed(NeighbourVotes().fit(q, t, labels), new_q, new_t, args.repeats)
    saved = neighbours.DISTINCT_QUERIES_AT_MOST
    neighbours.DISTINCT_QUERIES_AT_MOST = 0.0  # never: every row's query multiplied
    try:
        every, out_every = timed(NeighbourVotes().fit(q, t, labels), new_q, new_t,
                                 args.repeats)
    finally:
        neighbours.DISTINCT_QUERIES_AT_MOST = saved
    per_1k = 1000 / args.rows
    print(f"every training row's query: {every * per_1k:.3f} CPU-s per 1k rows")
    print(f"each distinct query once:   {once * per_1k:.3f} CPU-s per 1k rows "
          f"({every / once:.2f}x)")
    gap = np.abs(out_once - out_every).max()
    print(f"largest difference between the two ways' votes: {gap:.2e}")


if __name__ == "__main__":
    main()
