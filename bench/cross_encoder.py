"""Cross-encoder speed on real QC pairs: torch fp32, ONNX fp32, ONNX int8, sentence-transformers.

    python bench/cross_encoder.py [--file ../shared/data/qc_real/train_QC.txt] [--pairs 1024]
        [--threads 2] [--batch-size 32] [--train-steps 30] [--model DIR] [--work DIR]

Fine-tunes e5-small briefly on rows that are not scored (or takes a saved `cross` model folder
with --model), exports it to ONNX fp32 and int8, then scores the same pairs with each engine at
the same batch size and thread count. Each engine runs in its own process, so its peak RSS is
its own. Prints a markdown table: pairs/s (wall clock, loading excluded), load seconds, peak RSS,
AUC on the scored pairs (a sanity check that the engines agree), and the training examples/s
and embedding texts/s of the same backbone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench_guard import BenchError, claim_workdir, require_input, run_main

REPO = Path(__file__).resolve().parents[1]
REAL_QC = REPO.parent / "shared" / "data" / "qc_real" / "train_QC.txt"
ENGINES = ("torch-fp32", "onnx-fp32", "onnx-int8", "st-crossencoder")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default=str(REAL_QC))
    parser.add_argument("--pairs", type=int, default=1024, help="pairs scored per engine")
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--model", default=None, help="a saved cross model folder to score")
    parser.add_argument("--work", default="/tmp/shoprel-bench-cross")
    parser.add_argument("--worker", choices=[*ENGINES, "train", "embed"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def split(args):
    """Scored pairs and training pairs from the file, disjoint, fixed by seed."""
    import numpy as np

    from shoprel.data.readers import read_pairs

    frame = read_pairs(args.file, task="QC", require_label=True)
    order = np.random.default_rng(0).permutation(len(frame))
    scored = frame.take(order[:args.pairs])
    train = frame.take(order[args.pairs:args.pairs + args.train_rows])
    return scored, train


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that forked it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(args) -> dict:
    """One measurement in this process; returns what the table needs."""
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    scored, train = split(args)
    work = Path(args.work)
    if args.worker == "train":
        from shoprel.models.cross.model import CrossEncoderModel

        model = CrossEncoderModel(max_length=args.max_length, batch_size=args.batch_size,
                                  max_steps=args.train_steps, save_steps=10_000,
                                  learning_rate=args.lr, warmup_ratio=0.1, n_threads=args.threads,
                                  checkpoint_dir=str(work / "checkpoints"))
        model.fit(train)
        model.save(work / "model")
        stats = model.train_stats_
        return {"examples_per_second": stats["examples_per_second"],
                "steps": stats["global_step"], "seconds": stats["seconds"],
                "trainable": stats["trainable_parameters"], "rss_mb": peak_rss_mb()}
    if args.worker == "embed":
        from shoprel.models.backbones import Encoder

        texts = [*dict.fromkeys(scored.df["query"]), *dict.fromkeys(scored.df["target"])]
        encoder = Encoder.from_name("e5-small", batch_size=64, num_threads=args.threads)
        encoder.encode(texts[:16])
        started = time.perf_counter()
        encoder.encode(texts, kind="passage")
        seconds = time.perf_counter() - started
        return {"texts_per_second": len(texts) / seconds, "texts": len(texts),
                "rss_mb": peak_rss_mb()}

    from sklearn.metrics import roc_auc_score

    from shoprel.models.base import RelevanceModel
    from shoprel.models.hf import trainer as hft

    folder = Path(args.model) if args.model else work / "model"
    started = time.perf_counter()
    if args.worker == "st-crossencoder":  # shoprel's input format, none of its weights
        from shoprel.models.cross.model import CrossEncoderModel

        config = json.loads((folder / "model.json").read_text())
        model = CrossEncoderModel(**config["params"])
        model.query_prefix_ = config["state"]["query_prefix"]
        model.passage_prefix_ = config["state"]["passage_prefix"]
    else:  # each process loads only what its engine needs
        engine = "torch" if args.worker == "torch-fp32" else args.worker
        os.environ["SHOPREL_CROSS_ENGINE"] = engine
        model = RelevanceModel.load(folder)
        assert model.engine_ == engine, model.engine_
        score = model.predict_proba
    if args.worker == "st-crossencoder":
        from sentence_transformers import CrossEncoder

        encoder = CrossEncoder(str(folder / "hf"), max_length=model.max_length, device="cpu")
        identity = torch.nn.Identity()

        def score(frame):
            a, b = model.pair_texts(frame)
            logits = encoder.predict(list(zip(a, b, strict=True)), batch_size=args.batch_size,
                                     activation_fn=identity, convert_to_numpy=True,
                                     show_progress_bar=False)
            p = hft.softmax_positive(logits)
            return np.column_stack([1 - p, p])
    model.inference_batch_size = args.batch_size
    score(scored.take(np.arange(16)))  # warm up
    load_seconds = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    p = score(scored)[:, 1]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    np.save(work / f"scores-{args.worker}.npy", p)
    return {"pairs_per_second": len(scored) / seconds, "load_seconds": load_seconds,
            "cpu_per_1k": 1000 * cpu / len(scored),
            "rss_mb": peak_rss_mb(), "auc": float(roc_auc_score(scored.labels, p)),
            "pairs": len(scored)}


def run_worker(args, name: str) -> dict:
    argv = [sys.executable, __file__, "--worker", name, "--file", args.file, "--pairs",
            str(args.pairs), "--train-rows", str(args.train_rows), "--train-steps",
            str(args.train_steps), "--lr", str(args.lr), "--threads", str(args.threads),
            "--batch-size", str(args.batch_size), "--max-length", str(args.max_length),
            "--work", args.work]
    if args.model:
        argv += ["--model", args.model]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise BenchError(f"the {name} worker failed (its output is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    import numpy as np

    from shoprel.export.onnx import export_hf_classifier

    require_input(args.file)
    if args.model:
        require_input(args.model, "folder")
    work = claim_workdir(args.work, "bench/cross_encoder.py", "--work")
    folder = Path(args.model) if args.model else work / "model"
    train = None
    if not args.model:
        train = run_worker(args, "train")
    started = time.perf_counter()
    export_hf_classifier(folder / "hf", folder / "onnx", int8=True)
    export_seconds = time.perf_counter() - started
    results = {name: run_worker(args, name) for name in ENGINES}
    embed = run_worker(args, "embed")

    ref = np.load(work / "scores-torch-fp32.npy")
    st = results["st-crossencoder"]["pairs_per_second"]
    load = os.getloadavg()[0]
    print(f"\n{args.pairs} real QC pairs ({Path(args.file).name}), e5-small cross-encoder, "
          f"batch {args.batch_size}, max_length {args.max_length}, {args.threads} threads, "
          f"torch {__import__('torch').__version__}, load average {load:.1f} at the end\n")
    print("| engine | pairs/s | × ST CrossEncoder | CPU s / 1k pairs | load s | peak RSS MB | "
          "AUC | max abs diff vs torch |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        diff = np.abs(np.load(work / f"scores-{name}.npy") - ref).max()
        print(f"| {name} | {r['pairs_per_second']:.1f} | {r['pairs_per_second'] / st:.2f} | "
              f"{r['cpu_per_1k']:.1f} | {r['load_seconds']:.1f} | {r['rss_mb']:.0f} | "
              f"{r['auc']:.4f} | {diff:.1e} |")
    sizes = {p.name: p.stat().st_size / 2**20 for p in (folder / "onnx").glob("*.onnx")}
    print(f"\nONNX export (fp32 + int8): {export_seconds:.1f} s; sizes "
          + ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(sizes.items())))
    if train:
        print(f"training: {train['examples_per_second']:.1f} examples/s ({train['steps']} steps "
              f"× batch {args.batch_size} in {train['seconds']:.0f} s, word embeddings frozen, "
              f"{train['trainable'] / 1e6:.1f}M trainable, peak RSS {train['rss_mb']:.0f} MB)")
    print(f"embedding (Encoder, e5-small, batch 64): {embed['texts_per_second']:.1f} texts/s "
          f"({embed['texts']} distinct queries + category paths, peak RSS "
          f"{embed['rss_mb']:.0f} MB)")


if __name__ == "__main__":
    run_main(main)
