"""Side-by-side out-of-fold quality of several runs and of their simple average, per language.

    python bench/oof_table.py NAME=RUN_DIR_OR_OOF_PARQUET [NAME=... ...] [--average NAME,NAME]

Each input is a run directory (its oof.parquet is read) or an oof.parquet file copied from
elsewhere (e.g. a GPU machine). All inputs must score the same rows. For each input and for the
mean of the probabilities of those named by --average (default: all), prints AUC and F1 at the
threshold tuned on the OOF scores, overall and per language, beside the all-positive F1. The
mean's threshold is tuned the same way, so it is as (optimistically) tuned as each run's own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench_guard import BenchError, run_main

REPO = Path(__file__).resolve().parents[1]


def read_oof(path: Path):
    import pandas as pd

    from shoprel.run.layout import OOF

    file = path / OOF if path.is_dir() else path
    frame = pd.read_parquet(file)
    return frame.set_index("id").sort_index()


def scores(labels, proba, languages) -> dict[str, tuple[float, float, float]]:
    """language -> (AUC, F1 at the overall tuned threshold, all-positive F1)."""
    from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics, grouped_metrics

    threshold, _ = best_f1_threshold(labels, proba)
    predictions = (proba >= threshold).astype(int)
    per_language = grouped_metrics(labels, predictions, proba, languages)
    slices = {"overall": binary_metrics(labels, predictions, proba),
              **{name: per_language[name] for name in sorted(per_language)}}
    return {name: (m["roc_auc"], m["f1"], m["baseline_all_positive_f1"])
            for name, m in slices.items()}


def main(argv=None) -> int:
    sys.path.insert(0, str(REPO / "src"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=PATH")
    parser.add_argument("--average", default=None, help="comma-separated names to average")
    args = parser.parse_args(argv)

    frames = {}
    for item in args.runs:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise BenchError(f"{item!r}: give NAME=PATH (a run folder or an OOF parquet file)")
        if not Path(path).exists():
            raise BenchError(f"{path}: not found (NAME=PATH names a run folder or its OOF file)")
        frames[name] = read_oof(Path(path))
    first = next(iter(frames.values()))
    for name, frame in frames.items():
        if not frame.index.equals(first.index) or not (frame["label"] == first["label"]).all():
            raise BenchError(f"{name}: scores other rows or labels than the first input")
    labels = first["label"].to_numpy()
    languages = first["language"].astype(str).to_numpy()
    columns = {name: f["probability"].to_numpy() for name, f in frames.items()}
    chosen = args.average.split(",") if args.average else list(frames)
    columns[f"mean({'+'.join(chosen)})"] = sum(columns[n] for n in chosen) / len(chosen)

    table = {name: scores(labels, proba, languages) for name, proba in columns.items()}
    slices = list(next(iter(table.values())))
    print("| model | " + " | ".join(f"{s} AUC / F1" for s in slices) + " |")
    print("|---|" + "---|" * len(slices))
    base = next(iter(table.values()))
    print("| all-positive | " + " | ".join(f"– / {base[s][2]:.4f}" for s in slices) + " |")
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(f"{row[s][0]:.4f} / {row[s][1]:.4f}" for s in slices)
              + " |")
    return 0


if __name__ == "__main__":
    run_main(main)
