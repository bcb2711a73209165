"""Rows per second of the embed model's target_rank block against N training targets.

    .venv/bin/python bench/target_rank_speed.py [--targets 2561,37000] [--rows 2000] [--dim 768]
        [--rows-per-query 1,6]

Random unit vectors stand in for embeddings (the cost depends only on the shapes): half the
rows score a target the block was fitted on (its own is left out), half a new one. 2,561 is the
number of distinct category paths in a QC fold's training side, 37,000 about the Home Depot
titles of the whole QI file. Rows per query: QC queries come ~1.1 times each, Home Depot QI
queries ~6.3 times (the block computes a query's similarities once for all its rows).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from bench_guard import BenchError, run_main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shoprel.models.embed.target_rank import TargetRank  # noqa: E402


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="2561,37000")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--rows-per-query", default="1,6")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    counts = [int(n) for n in args.targets.split(",")]
    if min(counts) < 1 or args.rows < 2 or args.dim < 1:
        raise BenchError("--targets, --rows (at least 2) and --dim must be positive")
    for count in counts:
        targets = unit(rng.normal(size=(count, args.dim)))
        names = [f"target {i}" for i in range(count)]
        rank = TargetRank().fit(targets, names)
        half = args.rows // 2
        rows_t = np.vstack([targets[:half], unit(rng.normal(size=(args.rows - half, args.dim)))])
        rows_names = names[:half] + [f"new {i}" for i in range(args.rows - half)]
        for repeats in (int(n) for n in args.rows_per_query.split(",")):
            distinct = unit(rng.normal(size=(-(-args.rows // repeats), args.dim)))
            queries = distinct[np.arange(args.rows) // repeats]
            rank.transform(queries[:10], rows_t[:10], rows_names[:10])  # the float32 copy, once
            started = time.perf_counter()
            rank.transform(queries, rows_t, rows_names)
            seconds = time.perf_counter() - started
            print(f"{count:>7,} targets, {repeats} rows a query: {args.rows / seconds:>8,.0f} "
                  f"rows/s ({1000 * seconds / args.rows:.3f} ms a row)", flush=True)


if __name__ == "__main__":
    run_main(main)
