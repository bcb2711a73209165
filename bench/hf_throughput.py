"""Training and inference throughput of the Hugging Face families (`llm`, `cross`) on real pairs.

    python bench/hf_throughput.py --config configs/gemma3-270m-lora.yaml \
        [--file ../shared/data/qc_real/train_QC.txt] [--train-steps 60] [--pairs 2048] \
        [--set dtype=bf16 --set batch_size=32 ...]

Fits the config's model for a fixed number of steps on real rows (no time budget), then scores
other rows of the same file. Runs on whatever the machine has: CUDA when PyTorch sees a GPU,
else the CPU with the config's thread count. Prints one markdown table: training pairs/s (as
Hugging Face Trainer measures it, model loading excluded), inference pairs/s (wall clock, sorted
by length, loading excluded; a first and a second pass over the same pairs), peak GPU memory or
peak RSS, and the device.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import yaml
from bench_guard import run_main

REPO = Path(__file__).resolve().parents[1]
REAL_QC = REPO.parent / "shared" / "data" / "qc_real" / "train_QC.txt"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="a run config whose model is llm or cross")
    parser.add_argument("--file", default=str(REAL_QC))
    parser.add_argument("--train-steps", type=int, default=60)
    parser.add_argument("--pairs", type=int, default=2048, help="pairs scored")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a model parameter (YAML value), e.g. dtype=bf16")
    return parser.parse_args(argv)


def model_params(config_path: str, overrides: list[str]) -> tuple[str, dict]:
    from shoprel.training.config_reading import load_config

    extra = {}
    for item in overrides:
        key, _, value = item.partition("=")
        extra[f"model.params.{key}"] = yaml.safe_load(value)
    config = load_config(Path(config_path), extra)
    return config.model.family, dict(config.model.params)


def peak_memory_gb() -> tuple[float, str]:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**30, "GPU allocated"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "RSS"


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU, {torch.get_num_threads()} threads"


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    import numpy as np

    from shoprel.data.readers import read_pairs
    from shoprel.models.registry import model_class

    family, params = model_params(args.config, args.set)
    params.update(time_budget_minutes=None, max_steps=args.train_steps)
    frame = read_pairs(Path(args.file))
    order = np.random.default_rng(0).permutation(len(frame))
    n_train = min(len(frame) - args.pairs, args.train_steps * params.get("batch_size", 8))
    train, score = frame.take(order[:n_train]), frame.take(order[n_train:n_train + args.pairs])

    model = model_class(family)(**params)
    start = time.perf_counter()
    model.fit(train)
    fit_seconds = time.perf_counter() - start
    result = getattr(model, "fit_result_", None) or getattr(model, "train_stats_", {})
    train_rate = (result.examples_per_second if hasattr(result, "examples_per_second")
                  else result.get("examples_per_second", float("nan")))

    # On a GPU the first batch of each new padded length pays for kernel selection and memory
    # pool growth (a 270M model on an H100: 613 pairs/s on a first pass, 2,295 on the next), so
    # both passes are reported.
    start = time.perf_counter()
    model.predict_proba(score)
    first_seconds = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict_proba(score)[:, 1]
    score_seconds = time.perf_counter() - start
    peak, peak_kind = peak_memory_gb()

    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(score.labels, proba) if len(set(score.labels)) == 2 else float("nan")
    print(f"| family | backbone | device | dtype | batch | train pairs/s | fit s (incl. load) "
          f"| inference pairs/s, first / second pass | peak {peak_kind} GB "
          f"| AUC ({len(score)} pairs) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {family} | {params.get('backbone')} | {device_name()} | "
          f"{params.get('dtype', 'fp32')} | {params.get('batch_size')} | {train_rate:.1f} | "
          f"{fit_seconds:.1f} | {len(score) / first_seconds:.1f} / "
          f"{len(score) / score_seconds:.1f} | "
          f"{peak:.2f} | {auc:.3f} |")
    return 0


if __name__ == "__main__":
    run_main(main)
