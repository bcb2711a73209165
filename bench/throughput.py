"""Scoring throughput of `shoprel predict`, whole command included, for the fast model, the
default model, the student it carries, the cascade of the two and a student distilled from it
with other new pairs unlabelled, on pairs whose queries no model has seen.

    .venv/bin/python bench/throughput.py DATA --workdir DIR [--holdout 0.2] [--seed 0]
        [--unlabeled-share 0.5] [--student-config configs/embed-use.yaml] [--skip ...]

DATA is split by query (seeded) into a training part and a held-out part, and the held-out
queries again into the pairs given to `distill --unlabeled` (`--unlabeled-share` of them, labels
removed: unlabeled.jsonl) and the pairs every variant scores (the rest: heldout.jsonl). The
student never scores a pair it was distilled on: distilled on the very pairs it then scores, it
would find each one among its own neighbours with the teacher's score attached and repeat the
teacher (measured: ROC-AUC 0.7775 on pairs it was distilled on, against the teacher's 0.7868),
a figure no new query would see. The runs are trained on the training part (once; reruns
reuse them): `fast` (configs/fast.yaml), `default` (no config; its carried student is distilled
into default/student as `train --student` would, with the labels alone (CARRIED_HARD_WEIGHT),
scored as `carried` with `--scorer student` and as `cascade` with `--scorer cascade`)
and `student` (`shoprel distill default --student CONFIG --unlabeled unlabeled.jsonl`). The
scored pairs' targets are indexed into the default run (for both its backbones) and the student
run (`shoprel index`). Then each variant runs `shoprel predict` on the scored pairs in a child
process with its own embedding cache (built backbones are linked in, not rebuilt): `cold`
starts from an empty cache (every query is new), `warm` repeats the command on the cache the
cold one filled, `plain` is the default run with its indexes removed (targets embedded too).
Prints rows/s, CPU-seconds per 1k pairs, peak RSS of the command and the ROC-AUC / F1 against
the labels, and writes DIR/throughput.json. DIR must be new, empty or a work folder a benchmark
made (it replaces and removes what it wrote there). `--skip` takes variant names (`fast`,
`default-plain`, `default`, `carried`, `cascade`, `student`) or name-cache pairs
(`default-warm`); runs that only skipped variants need are not trained.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_guard import claim_workdir, require_input, run_main
from sklearn.metrics import f1_score, roc_auc_score

from shoprel.data.readers import read_pairs
from shoprel.data.tasks import QUERY_COLUMN
from shoprel.models.backbones.cache import CACHE_ENV, cache_root
from shoprel.training.defaults import CARRIED_HARD_WEIGHT

SHOPREL = [sys.executable, "-m", "shoprel"]
# (variant, query cache) in the order they run; --skip takes a variant or "variant-cache"
VARIANTS = (("fast", "cold"), ("default-plain", "cold"), ("default", "cold"), ("default", "warm"),
            ("carried", "cold"), ("carried", "warm"), ("cascade", "cold"), ("cascade", "warm"),
            ("student", "cold"), ("student", "warm"))


def skipped(names: str) -> set[str]:
    """The --skip names, each a variant or a variant-cache pair: a name the bench does not have
    is refused before any work (a typo skipped nothing, and the bench ran for an hour more)."""
    skip = set(filter(None, (name.strip() for name in names.split(","))))
    known = {name for name, _ in VARIANTS} | {f"{name}-{cache}" for name, cache in VARIANTS}
    unknown = sorted(skip - known)
    if unknown:
        raise ValueError(f"--skip: unknown {', '.join(map(repr, unknown))}; the variants are "
                         f"{', '.join(sorted(known))}")
    return skip


def split_by_query(data: Path, workdir: Path, holdout: float, seed: int,
                   unlabeled_share: float) -> tuple[Path, Path, Path]:
    """train.jsonl, heldout.jsonl (scored) and unlabeled_labelled.jsonl (for distillation, its
    labels removed later): no query in two of them. The training part depends only on DATA,
    `holdout` and `seed`, so runs trained before the unlabelled part was split off stay valid."""
    frame = read_pairs(data, require_label=True)
    queries = frame.df["query"].str.lower().str.strip()
    distinct = queries.unique()
    rng = np.random.default_rng(seed)
    held = rng.choice(distinct, int(len(distinct) * holdout), replace=False)
    given = set(np.random.default_rng(seed + 1).choice(
        held, int(len(held) * unlabeled_share), replace=False))
    held = set(held)
    rows = [json.loads(line) for line in open(data, encoding="utf-8") if line.strip()]
    files = {"train": workdir / "train.jsonl", "held": workdir / "heldout.jsonl",
             "given": workdir / "unlabeled_labelled.jsonl"}
    handles = {name: open(path, "w", encoding="utf-8") for name, path in files.items()}
    try:
        for row in rows:
            key = str(row[QUERY_COLUMN]).lower().strip()
            part = "given" if key in given else "held" if key in held else "train"
            handles[part].write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    return files["train"], files["held"], files["given"]


def without_labels(held_file: Path, out: Path) -> Path:
    with open(held_file, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            row = json.loads(line)
            row.pop("label", None)
            dst.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def shoprel(*args, env=None) -> None:
    print("$ shoprel", " ".join(str(a) for a in args), flush=True)
    subprocess.run([*SHOPREL, *map(str, args)], check=True, env=env)


def measured(args: list, env: dict) -> dict:
    """Wall and CPU seconds and peak RSS of one child command (a fresh interpreter measures
    its child alone: RUSAGE_CHILDREN's peak is the largest child so far)."""
    probe = ("import json,resource,subprocess,sys,time;t=time.perf_counter();"
             "subprocess.run(sys.argv[1:],check=True);w=time.perf_counter()-t;"
             "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
             "print(json.dumps({'wall':w,'cpu':r.ru_utime+r.ru_stime,'rss_kb':r.ru_maxrss}))")
    out = subprocess.run([sys.executable, "-c", probe, *SHOPREL, *map(str, args)], check=True,
                         env=env, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


BUILT = ("backbones", "onnx")  # built once per machine (encoders, ONNX exports), not per text


def fresh_cache(folder: Path) -> dict:
    """An environment whose embedding cache is empty but whose built encoders are linked."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in BUILT:
        if (cache_root() / name).is_dir():
            (folder / name).symlink_to(cache_root() / name)
    return {**os.environ, CACHE_ENV: str(folder)}


def quality(pred_file: Path, held_file: Path) -> dict:
    pred = pd.read_json(pred_file, lines=True)
    truth = pd.read_json(held_file, lines=True)[["id", "label"]]
    joined = pred.merge(truth, on="id")
    return {"roc_auc": round(float(roc_auc_score(joined["label"], joined["probability"])), 4),
            "f1": round(float(f1_score(joined["label"], joined["prediction"])), 4),
            "all_positive_f1": round(float(f1_score(joined["label"],
                                                    np.ones(len(joined), dtype=int))), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--unlabeled-share", type=float, default=0.5,
                        help="Share of the held-out queries given to distill --unlabeled "
                             "(and not scored).")
    parser.add_argument("--student-config", type=Path, default=Path("configs/embed-use.yaml"))
    parser.add_argument("--skip", default="", help="Variants to leave out, comma-separated.")
    args = parser.parse_args()
    if not 0 < args.unlabeled_share < 1:
        parser.error("--unlabeled-share must be between 0 and 1 (both parts need queries)")
    try:
        skip = skipped(args.skip)
    except ValueError as exc:
        parser.error(str(exc))
    require_input(args.data)
    work = claim_workdir(args.workdir, "bench/throughput.py", "--workdir")
    train_file, held_file, given_file = split_by_query(args.data, work, args.holdout, args.seed,
                                                       args.unlabeled_share)
    scored = without_labels(held_file, work / "heldout_nolabel.jsonl")
    unlabeled = without_labels(given_file, work / "unlabeled.jsonl")
    runs_dir = work / "runs"
    default, student = runs_dir / "default", runs_dir / "student"
    plain = work / "default-plain"
    carried, cascade = ["--scorer", "student"], ["--scorer", "cascade"]
    runs = {"fast": (runs_dir / "fast", []), "default-plain": (plain, []), "default": (default, []),
            "carried": (default, carried), "cascade": (default, cascade), "student": (student, [])}
    variants = [(name, runs[name][0], cache, runs[name][1]) for name, cache in VARIANTS]
    variants = [v for v in variants if v[0] not in skip and f"{v[0]}-{v[2]}" not in skip]
    wanted = {name for name, *_ in variants}  # only the runs these need are trained
    started = time.perf_counter()
    if "fast" in wanted and not (runs_dir / "fast" / "run.json").is_file():
        shoprel("train", train_file, "--out", runs_dir / "fast", "--config", "configs/fast.yaml",
                "--quiet")
    if wanted - {"fast"} and not (default / "run.json").is_file():
        shoprel("train", train_file, "--out", default, "--quiet")
    if wanted & {"carried", "cascade"} and not (default / "student" / "run.json").is_file():
        shoprel("distill", default, "--student", args.student_config, "--hard-weight",
                str(CARRIED_HARD_WEIGHT), "--out",
                default / "student", "--speed-rows", "0", "--quiet")
    if "student" in wanted and not (student / "run.json").is_file():
        shoprel("distill", default, "--student", args.student_config, "--out", student,
                "--unlabeled", unlabeled, "--speed-rows", "0", "--quiet")
    for run in (default, student):
        if run.name in wanted or (run == default
                                  and wanted & {"carried", "cascade", "default-plain"}):
            shoprel("index", run, scored, "--quiet")
    if "default-plain" in wanted:
        shutil.rmtree(plain, ignore_errors=True)
        shutil.copytree(default, plain, symlinks=True, ignore=shutil.ignore_patterns("student"))
        for folder in [plain / "index", *plain.glob("models/*/index")]:
            shutil.rmtree(folder)
    print(f"runs ready in {time.perf_counter() - started:.0f} s", flush=True)

    rows = len(read_pairs(scored))
    results = []
    envs: dict[str, dict] = {}
    for name, run, cache, options in variants:
        if cache == "cold" or name not in envs:
            envs[name] = fresh_cache(work / "caches" / name)
        out = work / f"pred-{name}-{cache}.jsonl"
        out.unlink(missing_ok=True)
        m = measured(["predict", run, scored, "--out", out, "--quiet", *options], envs[name])
        result = {"variant": name, "query_cache": cache, "rows": rows,
                  "rows_per_s": round(rows / m["wall"], 1),
                  "cpu_s_per_1k": round(1000 * m["cpu"] / rows, 2),
                  "peak_rss_mb": round(m["rss_kb"] / 1024), "wall_s": round(m["wall"], 1),
                  **quality(out, held_file)}
        results.append(result)
        print(json.dumps(result), flush=True)
    load = os.getloadavg()
    (work / "throughput.json").write_text(json.dumps({"results": results, "loadavg": load},
                                                     indent=2))
    print(f"\nload average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"(1/5/15 min) on {os.cpu_count()} cores")
    print("| run | query cache | rows/s | CPU s / 1k pairs | peak RSS MB | ROC-AUC | F1 "
          "| all-positive F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['variant']} | {r['query_cache']} | {r['rows_per_s']} | {r['cpu_s_per_1k']} "
              f"| {r['peak_rss_mb']} | {r['roc_auc']} | {r['f1']} | {r['all_positive_f1']} |")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    run_main(main)
