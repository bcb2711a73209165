"""What writing new vectors to the embedding cache costs the thread that scores: a served
request of 10 new queries stores 10 vectors, on the scoring thread (`predict`) or handed to the
cache writer's thread (a scorer keeping recent texts: `serve`, `Scorer(recent_texts=...)`).

    .venv/bin/python bench/cache_writes.py [--folder DIR] [--requests 200] [--texts 10] [--dim 768]

DIR (default: a new temporary folder under the shoprel cache's parent, so the same disk) gets a
throw-away cache file; both ways store the same number of vectors in alternating requests, and the
milliseconds the scoring thread spent per request print as p50 / p90 / p99 / max. The figures
depend on the disk and on what else writes to it: run both in one go and compare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from shoprel.models.backbones.cache import cache_folder
from shoprel.models.backbones.cache_writes import flush_cache_writes, store_later
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.resolve import Backbone


def summary(name: str, ms: list[float]) -> str:
    a = np.asarray(ms)
    return (f"{name:<28} p50 {np.median(a):7.2f}  p90 {np.percentile(a, 90):7.2f}  "
            f"p99 {np.percentile(a, 99):7.2f}  max {a.max():7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--texts", type=int, default=10)
    parser.add_argument("--dim", type=int, default=768)
    args = parser.parse_args()
    parent = args.folder or Path(cache_folder("embeddings")).parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix="bench-cache-writes-") as work:
        backbone = Backbone(name="bench", source=work, fingerprint="sha256:" + "0" * 64)
        cache = EmbeddingCache(Path(work), backbone)
        rng = np.random.default_rng(0)
        timings: dict[str, list[float]] = {"on the scoring thread": [], "handed to the writer": []}
        for i in range(args.requests):
            for way, ms in timings.items():
                texts = [f"{way} {i} {j}" for j in range(args.texts)]
                vectors = rng.standard_normal((args.texts, args.dim)).astype(np.float32)
                start = time.perf_counter()
                if way == "on the scoring thread":
                    cache.store("query", texts, vectors)
                else:
                    store_later(cache, "query", texts, vectors)
                ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        flush_cache_writes()
        print(f"{args.requests} requests of {args.texts} new {args.dim}-d vectors, cache in {work}")
        for way, ms in timings.items():
            print(summary(way, ms))
        print(f"the writer's last writes landed {time.perf_counter() - start:.2f} s after the "
              f"last request")


if __name__ == "__main__":
    main()
