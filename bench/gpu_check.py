"""A fine-tuned family on one GPU, on the real QC rows: the cross-encoder (e5-small: 1 epoch,
stage 0 on QI, the GPU preset) or the bi-encoder (EmbeddingGemma: the CPU preset's top 4 layers,
then more of the encoder tuned).

Run through `bench/gpu_check.sh` (which unpacks the data and the slimmed backbone carried in
`.gpu/` and installs the wheels in `.whl/`; GPU_CHECK_FAMILY picks the family):

    python bench/gpu_check.py --work /tmp/gpu_check --out $OUT [--family biencoder] [--smoke]

Each variant is one `python -m shoprel train` in its own process (so its peak GPU memory is its
own), on the 5 grouped folds of the family's preset (`configs/cross-e5-small-gpu.yaml`,
`configs/biencoder.yaml`), with the carried backbone, no final refit, a larger scoring batch and
4 CPU threads. Variants start in priority order, up to `--lanes` (default 3) at once on the one
GPU (these small fits are bound by per-step host overhead; each variant records how many ran
beside it, so its wall time is not a clean throughput figure); one whose estimated time (the
H100 figures for the cross-encoder, a guess for the bi-encoder, rescaled by how the finished
ones compared) would end past the budget is skipped, and running ones are killed at the hard
deadline. After each variant the results so far are written to OUT/gpu_results.json and
OUT/gpu_table.md, the OOF probabilities to OUT/gpu_oof.csv.gz and the variants' own output to
OUT/gpu_variant_logs.txt.

`--smoke` (GPU_CHECK_SMOKE=1 in the shell script): 300 QC rows, 200 QI rows, 2 folds, 3 steps
per fit, on whatever device there is: checks paths and imports, not quality.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from bench_guard import run_main

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Family:
    """What one family's check runs: its preset, its variants in priority order, the QC file
    it reads (the cross-encoder's carries Apertium's `translated_query`, the bi-encoder's is the
    file as shared, as its CPU figures were measured), the params every variant gets (runtime
    only: not what is learned) and the time a variant is expected to take."""
    preset: Path
    variants: dict
    qc_file: str
    runtime_params: dict
    # seconds per epoch of 5-fold CV over 7.6k training rows per fold, per stage-0 row-epoch,
    # and a process's fixed cost
    epoch_s: float
    stage0_row_s: float
    fixed_s: float


# priority order: the 1-epoch baseline, stage 0 against it, the preset as it was measured,
# then what time allows
CROSS_VARIANTS = {
    "b_1ep": {"desc": "1 epoch, no stage 0", "epochs": 1.0},
    "c_stage0_1ep": {"desc": "stage 0 on QI (1 epoch), then QC 1 epoch", "epochs": 1.0,
                     "stage0_epochs": 1.0},
    "a_preset_3ep": {"desc": "the GPU preset as is (3 epochs)", "epochs": 3.0},
    "e_unfrozen_1ep": {"desc": "1 epoch, word embeddings trained too", "epochs": 1.0,
                       "params": {"freeze_word_embeddings": False}},
    "d_stage0_3ep": {"desc": "stage 0 on QI (1 epoch), then QC 3 epochs", "epochs": 3.0,
                     "stage0_epochs": 1.0},
}
# the CPU preset first (its figure, 0.7505, anchors the rest), then more of the encoder tuned
BIENCODER_VARIANTS = {
    "t4_1ep": {"desc": "the preset: top 4 of 24 layers, 1 epoch", "epochs": 1.0,
               "params": {"tuned_layers": 4}},
    "t24_1ep": {"desc": "every layer tuned, 1 epoch", "epochs": 1.0,
                "params": {"tuned_layers": 24}},
    "t12_1ep": {"desc": "top 12 layers, 1 epoch", "epochs": 1.0,
                "params": {"tuned_layers": 12}},
    "t24_3ep": {"desc": "every layer, up to 3 epochs (early stopping as ever)", "epochs": 3.0,
                "params": {"tuned_layers": 24}},
    "t8_1ep": {"desc": "top 8 layers, 1 epoch", "epochs": 1.0, "params": {"tuned_layers": 8}},
    "t2_1ep": {"desc": "top 2 layers, 1 epoch", "epochs": 1.0, "params": {"tuned_layers": 2}},
    "t1_1ep": {"desc": "top layer only, 1 epoch", "epochs": 1.0, "params": {"tuned_layers": 1}},
    "t24_lr1e5_3ep": {"desc": "every layer, lr 1e-5, up to 3 epochs", "epochs": 3.0,
                      "params": {"tuned_layers": 24, "learning_rate": 1.0e-5}},
}
FAMILIES = {
    # from the H100 run (176 s for 3 epochs, 803 training pairs/s)
    "cross": Family(REPO / "configs" / "cross-e5-small-gpu.yaml", CROSS_VARIANTS,
                    "qc_full.jsonl", {"inference_batch_size": 1024, "n_threads": 4,
                                      "save_steps": 100000,
                                      "checkpoint_dir": "{work}/checkpoints"},
                    epoch_s=58.0, stage0_row_s=1 / 780, fixed_s=30.0),
    # not measured on a GPU before: a guess the scheduler rescales once a variant finished
    "biencoder": Family(REPO / "configs" / "biencoder.yaml", BIENCODER_VARIANTS,
                        "qc_raw.jsonl", {"inference_batch_size": 256, "n_threads": 4,
                                         "state_cache": False},
                        epoch_s=90.0, stage0_row_s=1 / 500, fixed_s=60.0),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True,
                        help="folder with qc.jsonl, qi.jsonl and backbone/ (the shell script "
                             "unpacks them there); runs and configs go there too")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--variants", default=os.environ.get("GPU_CHECK_VARIANTS", ""),
                        help="comma-separated names, in the order to run (default: all)")
    parser.add_argument("--budget-s", type=float,
                        default=float(os.environ.get("GPU_CHECK_BUDGET_S", 420)),
                        help="no variant starts that is expected to end later than this "
                             "many seconds after --started")
    parser.add_argument("--deadline-s", type=float,
                        default=float(os.environ.get("GPU_CHECK_DEADLINE_S", 470)),
                        help="a running variant is stopped this many seconds after --started")
    parser.add_argument("--started", type=float, default=None,
                        help="epoch seconds the whole check started (default: now)")
    parser.add_argument("--lanes", type=int, default=int(os.environ.get("GPU_CHECK_LANES", 3)),
                        help="variants run at once on the one GPU")
    parser.add_argument("--qi-rows", type=int,
                        default=int(os.environ.get("GPU_CHECK_QI_ROWS", 20000)))
    parser.add_argument("--family", choices=sorted(FAMILIES),
                        default=os.environ.get("GPU_CHECK_FAMILY", "cross"),
                        help="the cross-encoder (e5-small) or the bi-encoder (EmbeddingGemma)")
    parser.add_argument("--run-variant", default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- one variant, in its own process ---------------------------------------------------------
def variant_config(family: Family, name: str, work: Path, smoke: bool) -> dict:
    spec = family.variants[name]
    config = yaml.safe_load(family.preset.read_text(encoding="utf-8"))
    params = config["model"]["params"]
    runtime = {k: v.format(work=work) if isinstance(v, str) else v
               for k, v in family.runtime_params.items()}
    params.update({"backbone": str(work / "backbone"), "epochs": spec["epochs"], **runtime,
                   **spec.get("params", {})})
    config["final"] = {"refit_full": False, "keep_fold_models": True}
    if "stage0_epochs" in spec:
        config["stage0"] = {"data": str(work / "qi.jsonl"),
                            "params": {"epochs": spec["stage0_epochs"]}}
    if smoke:
        config["folds"]["k"] = 2
        params.update({"max_steps": 3, "n_threads": 2, "inference_batch_size": 64,
                       "device": "auto"})  # a rehearsal may run on a CPU
        if "stage0" in config:
            config["stage0"]["params"]["max_steps"] = 3
    return config


def run_variant(family: Family, name: str, work: Path, smoke: bool) -> int:
    """`shoprel train` on QC for one variant, in this process; writes work/runs/NAME.json."""
    import torch

    config_path = work / "configs" / f"{name}.yaml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config = variant_config(family, name, work, smoke)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    run_dir = work / "runs" / name
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    sys.argv = ["shoprel", "train", str(work / "qc.jsonl"), "--config", str(config_path),
                "--out", str(run_dir), "--overwrite"]
    code = 0
    try:
        runpy.run_module("shoprel", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    wall = time.perf_counter() - started
    info = {"exit_code": code, "wall_s": round(wall, 1), "device": _device(),
            "peak_gpu_allocated_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3)
            if cuda else None,
            "peak_gpu_reserved_gib": round(torch.cuda.max_memory_reserved() / 2**30, 3)
            if cuda else None}
    (work / "runs" / f"{name}.json").write_text(json.dumps(info), encoding="utf-8")
    return code


def _device() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


# --- results ---------------------------------------------------------------------------------
def summarize(name: str, work: Path) -> tuple[dict, object]:
    """Figures of a finished run, computed from its OOF table (independent of how metrics.json
    reports them): ROC-AUC, F1 at the OOF-best threshold (in sample, as the H100 row was), the
    run's own nested F1, all-positive F1, per-language ROC-AUC."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import f1_score, roc_auc_score

    run_dir = work / "runs" / name
    oof = pd.read_parquet(run_dir / "oof.parquet")
    y, p = oof["label"].to_numpy(), oof["probability"].to_numpy()
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    f1s = 2 * hits / (np.arange(1, len(y) + 1) + y.sum())
    ranked = p[order]
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)  # a cut keeps ties together
    f1s = np.where(last_of_tie, f1s, -1.0)
    best = int(np.argmax(f1s))
    out = {"rows": len(oof), "roc_auc": round(float(roc_auc_score(y, p)), 4),
           "f1_at_oof_threshold": round(float(f1s[best]), 4),
           "oof_threshold": round(float(p[order][best]), 5),
           "all_positive_f1": round(float(f1_score(y, np.ones_like(y))), 4),
           "per_language_roc_auc": {
               str(lang): round(float(roc_auc_score(g["label"], g["probability"])), 4)
               for lang, g in oof.groupby("language") if g["label"].nunique() == 2}}
    metrics_path = run_dir / "metrics.json"
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        overall = metrics.get("overall", {})
        out["run_metrics"] = {"nested_f1": overall.get("f1"), "roc_auc": overall.get("roc_auc"),
                              "threshold": metrics.get("threshold"),
                              "timing": metrics.get("timing"), "stage0": metrics.get("stage0")}
    return out, oof[["id", "fold", "label", "language", "probability"]].rename(
        columns={"probability": name})


def write_results(family: Family, results: dict, out: Path) -> None:
    (out / "gpu_results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    languages = sorted({lang for v in results["variants"].values()
                        for lang in v.get("per_language_roc_auc", {})})
    header = ["variant", "status", "ROC-AUC", "F1 @ OOF thr", "nested F1", "all-positive F1",
              *(f"AUC {lang}" for lang in languages), "wall s", "beside", "peak GPU GiB"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, v in results["variants"].items():
        nested = (v.get("run_metrics") or {}).get("nested_f1")
        cells = [f"{name} ({family.variants[name]['desc']})", v["status"], _fmt(v.get("roc_auc")),
                 _fmt(v.get("f1_at_oof_threshold")), _fmt(nested), _fmt(v.get("all_positive_f1"))]
        cells += [_fmt(v.get("per_language_roc_auc", {}).get(lang)) for lang in languages]
        beside = v.get("max_concurrent_variants")
        cells += [_fmt(v.get("wall_s"), 0), "—" if beside is None else str(beside - 1),
                  _fmt(v.get("peak_gpu_allocated_gib"), 2)]
        lines.append("| " + " | ".join(cells) + " |")
    (out / "gpu_table.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fmt(value, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def estimate_s(family: Family, name: str, qi_rows: int, smoke: bool) -> float:
    spec = family.variants[name]
    if smoke:
        return 60.0
    return family.fixed_s + family.epoch_s * spec["epochs"] + family.stage0_row_s * qi_rows * \
        spec.get("stage0_epochs", 0.0)


def prepare_qi(work: Path, rows: int, smoke: bool) -> int:
    """work/qi.jsonl: a seeded random subset of the carried QI rows (all when rows <= 0),
    lines copied as they are."""
    import random

    lines = (work / "qi_full.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    rows = 200 if smoke else rows
    if 0 < rows < len(lines):
        lines = [lines[i] for i in sorted(random.Random(0).sample(range(len(lines)), rows))]
    (work / "qi.jsonl").write_text("".join(lines), encoding="utf-8")
    return len(lines)


def prepare_qc(work: Path, source: str, smoke: bool) -> int:
    """work/qc.jsonl: the carried QC rows (the first 300 in a smoke run)."""
    lines = (work / source).read_text(encoding="utf-8").splitlines(keepends=True)
    if smoke:
        lines = lines[:300]
    (work / "qc.jsonl").write_text("".join(lines), encoding="utf-8")
    return len(lines)


class Scheduler:
    """Runs the variants as child processes, up to `lanes` at once, in priority order.

    The e5-small fits are bound by per-step overhead on the host, not by the GPU, so a few can
    share one GPU at little cost; each variant records how many ran beside it. A variant starts
    only when its estimate (rescaled by measured / estimated time of the finished ones) ends
    inside the budget; at the deadline running ones are killed."""

    def __init__(self, args, started: float, qi_rows: int, results: dict):
        self.args, self.started, self.qi_rows, self.results = args, started, qi_rows, results
        self.family = FAMILIES[args.family]
        self.measured = self.estimated = 0.0
        self.failures = 0
        self.oof_tables = []
        self.running: dict[str, dict] = {}

    def now(self) -> float:
        return time.time() - self.started

    def say(self, message: str) -> None:
        print(f"[{self.now():5.0f}s] {message}", flush=True)

    def expected(self, name: str) -> float:
        scale = min(3.0, max(0.5, self.measured / self.estimated)) if self.estimated else 1.0
        return estimate_s(self.family, name, self.qi_rows, self.args.smoke) * scale

    def run(self, names: list[str]) -> None:
        queue, last_beat = list(names), 0.0
        while queue or self.running:
            for name in list(self.running):
                job = self.running[name]
                job["concurrent"] = max(job["concurrent"], len(self.running))
                if job["proc"].poll() is not None:
                    self.finish(name, job["proc"].returncode)
                elif self.now() > self.args.deadline_s:
                    job["proc"].kill()
                    job["proc"].wait()
                    self.finish(name, None)
            while queue and len(self.running) < self.args.lanes:
                self.start_or_skip(queue.pop(0))
            if self.running and self.now() - last_beat >= 30:
                last_beat = self.now()
                self.say("running: " + ", ".join(
                    f"{n} {time.time() - j['t0']:.0f}s of ~{j['expected']:.0f}s"
                    for n, j in self.running.items()))
            time.sleep(0.5)

    def start_or_skip(self, name: str) -> None:
        if self.failures >= 2:  # two in a row: something systematic, do not spend the time
            self.say(f"SKIP {name}: the last two variants failed")
            self.record(name, {"status": "skipped (failures)"})
            return
        expected = self.expected(name)
        if self.now() + expected > self.args.budget_s:
            self.say(f"SKIP {name}: expected {expected:.0f}s, {self.now():.0f}s gone of the "
                     f"{self.args.budget_s:.0f}s budget")
            self.record(name, {"status": "skipped (time)", "expected_s": round(expected, 1)})
            return
        self.say(f"START {name}: {self.family.variants[name]['desc']} "
                 f"(expected {expected:.0f}s)")
        flags = ["-S"] if sys.flags.no_site else []
        command = [sys.executable, *flags, str(Path(__file__).resolve()), "--work",
                   str(self.args.work), "--out", str(self.args.out), "--family",
                   self.args.family, "--run-variant", name,
                   *(["--smoke"] if self.args.smoke else [])]
        log = open(self.args.work / f"{name}.log", "w", encoding="utf-8")
        self.running[name] = {"proc": subprocess.Popen(command, stdout=log,
                                                       stderr=subprocess.STDOUT),
                              "log": log, "t0": time.time(), "expected": expected,
                              "concurrent": len(self.running) + 1}

    def finish(self, name: str, code: int | None) -> None:
        job = self.running.pop(name)
        job["log"].close()
        status = ("stopped at the deadline" if code is None
                  else "ok" if code == 0 else f"failed (exit {code})")
        entry = {"status": status, "expected_s": round(job["expected"], 1),
                 "process_s": round(time.time() - job["t0"], 1),
                 "max_concurrent_variants": job["concurrent"]}
        info_path = self.args.work / "runs" / f"{name}.json"
        if info_path.is_file():
            entry.update(json.loads(info_path.read_text()))
        if status == "ok":
            try:
                summary, oof = summarize(name, self.args.work)
                entry.update(summary)
                self.oof_tables.append(oof)
            except Exception as exc:  # report it, go on with the others
                entry["status"] = f"ok, summary failed: {exc!r}"
            if not self.args.smoke:
                self.measured += entry["process_s"]
                self.estimated += estimate_s(self.family, name, self.qi_rows, self.args.smoke)
        else:
            tail = (self.args.work / f"{name}.log").read_text(errors="replace")[-3000:]
            print(f"--- {name} log tail ---\n{tail}\n---", flush=True)
        self.failures = self.failures + 1 if status != "ok" else 0
        self.say(f"END {name}: {entry['status']}  " + json.dumps(
            {k: entry.get(k) for k in ("roc_auc", "f1_at_oof_threshold", "all_positive_f1",
                                       "process_s", "peak_gpu_allocated_gib",
                                       "max_concurrent_variants")}))
        self.record(name, entry)

    def record(self, name: str, entry: dict) -> None:
        self.results["variants"][name] = entry
        write_results(self.family, self.results, self.args.out)
        if self.oof_tables:
            merged = self.oof_tables[0]
            for table in self.oof_tables[1:]:
                merged = merged.merge(table[["id", table.columns[-1]]], on="id")
            merged.to_csv(self.args.out / "gpu_oof.csv.gz", index=False)
        logs = sorted(self.args.work.glob("*.log"))
        (self.args.out / "gpu_variant_logs.txt").write_text("".join(
            f"===== {p.stem} =====\n{p.read_text(errors='replace')}\n" for p in logs),
            encoding="utf-8")


def main(argv=None) -> int:
    args = parse_args(argv)
    family = FAMILIES[args.family]
    if args.run_variant:
        return run_variant(family, args.run_variant, args.work, args.smoke)
    started = args.started or time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.variants.split(",") if n] or list(family.variants)
    unknown = [n for n in names if n not in family.variants]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; known: {list(family.variants)}")
    qc_rows = prepare_qc(args.work, family.qc_file, args.smoke)
    stage0 = any("stage0_epochs" in family.variants[n] for n in names)
    qi_rows = prepare_qi(args.work, args.qi_rows, args.smoke) if stage0 else 0
    backbone_meta = json.loads((args.work / "backbone" / "shoprel-backbone.json").read_text())
    results = {"smoke": args.smoke, "qc_rows": qc_rows, "qi_rows_stage0": qi_rows,
               "backbone": {k: backbone_meta.get(k) for k in ("name", "weights_sha256")}
               | {"pruned": {k: v for k, v in backbone_meta.get("pruned", {}).items()
                             if k != "sliced"}, "slimmed": backbone_meta.get("slimmed")},
               "family": args.family, "preset": str(family.preset.relative_to(REPO)),
               "budget_s": args.budget_s, "deadline_s": args.deadline_s,
               "lanes": args.lanes, "variants": {}}
    state = Scheduler(args, started, qi_rows, results)
    state.run(names)
    print((args.out / "gpu_table.md").read_text(encoding="utf-8"), flush=True)
    failed = [n for n, v in results["variants"].items()
              if not v["status"].startswith(("ok", "skipped"))]
    return 1 if failed else 0


if __name__ == "__main__":
    run_main(main)
