"""Speed and memory of the fast model: cross-validation, training and scoring throughput.

Usage: .venv/bin/python bench/fast_model.py [TRAIN_FILE] [--folds 5]
Defaults to the shared real QC sample; a missing or bad file is the data layer's one-line
error, as `shoprel train` gives it. Prints figures; asserts nothing (timed tests flake).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
from bench_guard import run_main
from sklearn.metrics import roc_auc_score

from shoprel.data.readers import read_pairs
from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics
from shoprel.folds.grouped import assign_folds
from shoprel.models.fast.model import FastModel

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/qc_real/train_QC.txt"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train_file", nargs="?", default=DEFAULT, type=Path)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = read_pairs(args.train_file, require_label=True)
    read_s = time.perf_counter() - started
    folds = assign_folds(frame, args.folds, 42)
    oof = np.zeros(len(frame))
    fit_s = score_s = 0.0
    for fold in range(args.folds):
        train, valid = np.where(folds != fold)[0], np.where(folds == fold)[0]
        t0 = time.perf_counter()
        model = FastModel().fit(frame.take(train))
        t1 = time.perf_counter()
        oof[valid] = model.predict_proba(frame.take(valid))[:, 1]
        fit_s += t1 - t0
        score_s += time.perf_counter() - t1
    cv_s = time.perf_counter() - started - read_s
    threshold, f1 = best_f1_threshold(frame.labels, oof)
    base = binary_metrics(frame.labels, np.ones(len(frame)))["f1"]
    rows = len(frame)
    print(f"file                 {args.train_file} ({rows} rows, task {frame.task.value})")
    print(f"read + validate      {read_s:.2f} s ({rows / read_s:,.0f} rows/s)")
    print(f"{args.folds}-fold CV             {cv_s:.1f} s wall")
    print(f"training             {rows * (args.folds - 1) / fit_s:,.0f} rows/s")
    print(f"scoring              {rows / score_s:,.0f} rows/s")
    print(f"peak RSS             {peak_rss_mb():.0f} MB")
    print(f"OOF ROC-AUC          {roc_auc_score(frame.labels, oof):.4f}")
    print(f"OOF F1 (thr {threshold:.3f})  {f1:.4f}   all-positive F1 {base:.4f}")


if __name__ == "__main__":
    run_main(main)
