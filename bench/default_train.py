"""Wall time of `shoprel train` with the default model from empty caches, backbone build included.

    python bench/default_train.py DATA [--rows 10000] [--keep DIR]

Runs the real command in a fresh process with SHOPREL_CACHE pointing at an empty folder (so the
backbones are downloaded/built and every text embedded), on the first --rows rows of DATA;
--keep DIR (new or empty) keeps that cache and the run.
Prints the wall time, the CPU time of the process tree, its peak RSS, the machine's load average
before and after (these 2-core machines are shared: compare CPU seconds too), the run's OOF
ROC-AUC and F1, and with `--student` the time and OOF figures of a carried student (train
--student). The issue's target: 10k rows within 30 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_guard import BenchError, require_input, run_main

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", default=None, help="keep the cache and run in this folder")
    parser.add_argument("--student", action="store_true", help="train --student (carry one)")
    args = parser.parse_args()

    require_input(args.data)
    if args.rows < 1:
        raise BenchError(f"--rows {args.rows}: at least 1")
    if args.keep is not None and Path(args.keep).exists() and (
            not Path(args.keep).is_dir() or any(Path(args.keep).iterdir())):
        raise BenchError(f"--keep {args.keep}: exists and is not an empty folder; the "
                         "benchmark measures from empty caches, give a new or empty folder")
    work = Path(args.keep or tempfile.mkdtemp(prefix="shoprel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    lines = Path(args.data).read_text(encoding="utf-8").splitlines()[:args.rows]
    data = work / f"rows{len(lines)}{Path(args.data).suffix}"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "SHOPREL_CACHE": str(work / "cache")}
    load_before = os.getloadavg()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "shoprel.cli", "train", str(data), "--out",
                    str(work / "run"), "--quiet", *(["--student"] if args.student else [])],
                   check=True, env=env)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    overall = metrics["overall"]
    cpu = (usage.ru_utime + usage.ru_stime) / 60
    print(f"rows {len(lines)}  wall {wall / 60:.1f} min  CPU {cpu:.1f} min  peak RSS "
          f"{usage.ru_maxrss / 1024**2:.2f} GB  load {load_before[0]:.1f} → "
          f"{os.getloadavg()[0]:.1f}")
    print(f"CV {metrics['timing']['cv_seconds']:.0f} s, final fit "
          f"{metrics['timing']['final_fit_seconds']:.0f} s; OOF ROC-AUC {overall['roc_auc']:.4f}"
          f"  F1 {overall['f1']:.4f} (all-positive {overall['baseline_all_positive_f1']:.4f})")
    student = metrics.get("student")
    if student and "error" not in student:
        print(f"of which the carried student: {student['seconds']:.0f} s "
              f"({student['seconds'] / wall:.0%} of the wall time); its OOF ROC-AUC "
              f"{student['student_oof']['roc_auc']:.4f}  F1 {student['student_oof']['f1']:.4f}")
    elif student:
        print(f"the student failed: {student['error']}")
    print(f"(cache and run in {work})")


if __name__ == "__main__":
    run_main(main)
