"""Compare cross-validated runs on the same rows and folds: paired differences, not two numbers.

Two runs' pooled AUCs (0.682 against 0.697) do not say whether the gap is larger than the noise.
Runs that share rows and folds were scored on identical held-out sets, so the per-fold
differences are paired: their spread gives an interval, and "better on 5 of 5 folds" is a
statement a reader can check. Runs on different rows (or folds, or labels) are refused, naming
both, because their OOF scores cannot be compared honestly.

The first run is the reference; every other run is compared against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.augment.languages import by_rows
from shoprel.ensemble.align import align_runs
from shoprel.errors import RunDirError
from shoprel.evaluate.console import recorded_seconds, time_spent_words, timing_parts
from shoprel.evaluate.intervals import (
    DIFFERENCE,
    group_fold_intervals,
    paired_interval,
    verdict,
)
from shoprel.evaluate.metrics import binary_metrics, roc_auc
from shoprel.evaluate.optimistic import honest_runs, optimistic_run
from shoprel.evaluate.run_metrics import prediction_table
from shoprel.run.folder import Run

MIN_GROUP_ROWS = 30
MAX_LANGUAGES = 20


@dataclass
class RunSide:
    """One run as the comparison sees it: name, reported figures, cost."""

    name: str
    folder: str  # the run folder's name, never the machine's absolute path
    overall: dict
    cost: dict
    threshold_method: str
    far_pairs: dict | None = None  # the run's far-pairs check (metrics.json), where it has one
    # a distilled student whose OOF figures are optimistic (its soft targets or teacher-scored
    # pairs saw its validation rows), or an ensemble holding one: why, and the teacher's name
    optimistic: str | None = None


@dataclass
class Comparison:
    """Runs aligned row by row (same ids, labels and folds), with paired differences."""

    task: str
    rows: int
    folds: int
    runs: list[RunSide]
    base: pd.DataFrame  # id, fold, label, language (+ top_category)
    probabilities: np.ndarray  # (rows, runs)
    predictions: np.ndarray  # (rows, runs): each run's reported 0/1 (its nested cuts)
    pairs: list[dict] = field(default_factory=list)  # every run against the first
    # what makes a run's figures here not comparable (caveat_lines), kept with the comparison
    # so that what the summary and the page say of it reads as the returned object does
    # (the API rewords them with the runs' `optimistic`, in one voice)
    caveats: list[str] = field(default_factory=list)


def folder_size(path: Path) -> int:
    """Bytes of all files under a run folder (models included): the cost of keeping it."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def needed_size(run) -> int:
    """Bytes on disk a run needs to predict: an ensemble's folder and its members' (each
    counted once), a trained run's folder."""
    if run.kind != "ensemble":
        return folder_size(run.path)
    members = {Path(m).resolve(): Run.read(m) for m in run.member_dirs()}
    return folder_size(run.path) + sum(needed_size(member) for member in members.values())


def _cost(run, metrics: dict) -> dict:
    """`stage_seconds`: the run's time beyond its CV, by stage (stage 0, learning curve, final
    fit, student: those metrics.json records), as train's summary line gives it."""
    timing = metrics.get("timing") or {}
    return {"cv_seconds": recorded_seconds(timing.get("cv_seconds")),
            "final_fit_seconds": recorded_seconds(timing.get("final_fit_seconds")),
            "stage_seconds": dict(timing_parts(metrics)),
            "rows_per_second_cv": timing.get("rows_per_second_cv"),
            "size_bytes": needed_size(run)}


def _fold_rows(frame: pd.DataFrame) -> list[dict]:
    out = []
    for fold, part in frame.groupby("fold", sort=True):
        a = binary_metrics(part["label"], part["pred_a"], part["p_a"])
        b = binary_metrics(part["label"], part["pred_b"], part["p_b"])
        delta_auc = (None if a["roc_auc"] is None or b["roc_auc"] is None
                     else b["roc_auc"] - a["roc_auc"])
        out.append({"fold": int(fold), "n": a["n"], "auc_a": a["roc_auc"],
                    "auc_b": b["roc_auc"], "delta_auc": delta_auc, "f1_a": a["f1"],
                    "f1_b": b["f1"],  # no row labelled 1: both F1s 0, nothing measured
                    "delta_f1": b["f1"] - a["f1"] if part["label"].any() else None,
                    # the same rows for both runs: one all-positive F1 to read each F1 against
                    "baseline_f1": a["baseline_all_positive_f1"]})
    return out


def _delta_auc(part: pd.DataFrame) -> float | None:
    a, b = roc_auc(part["label"], part["p_a"]), roc_auc(part["label"], part["p_b"])
    return None if a is None or b is None else b - a


def _delta_f1(part: pd.DataFrame) -> float | None:
    if not part["label"].any():
        return None
    return (binary_metrics(part["label"], part["pred_b"])["f1"]
            - binary_metrics(part["label"], part["pred_a"])["f1"])


def paired_comparison(base: pd.DataFrame, p_a, p_b, pred_a, pred_b) -> dict:
    """Run B minus run A on the same rows: per fold, intervals, wins, and per language (in
    the order of every language listing, augment.languages.by_rows, as the run report's)."""
    frame = base.assign(p_a=p_a, p_b=p_b, pred_a=pred_a, pred_b=pred_b)
    per_fold = _fold_rows(frame)
    out = {
        "per_fold": per_fold,
        "delta_auc": paired_interval((r["delta_auc"] for r in per_fold), bounds=DIFFERENCE),
        "delta_f1": paired_interval((r["delta_f1"] for r in per_fold), bounds=DIFFERENCE),
        "auc_better_folds": sum(1 for r in per_fold if (r["delta_auc"] or 0) > 0),
        "f1_better_folds": sum(1 for r in per_fold if (r["delta_f1"] or 0) > 0),
    }
    if "language" in frame.columns:
        auc = group_fold_intervals(frame, "language", _delta_auc, MIN_GROUP_ROWS, MAX_LANGUAGES,
                                   DIFFERENCE, by_rows)
        f1 = group_fold_intervals(frame, "language", _delta_f1, MIN_GROUP_ROWS, MAX_LANGUAGES,
                                  DIFFERENCE, by_rows)
        out["per_language"] = {k: {"n": auc[k]["n"], "delta_auc": auc[k], "delta_f1": f1[k]}
                               for k in auc}
    return out


def compare_runs(run_dirs: list[str | Path]) -> Comparison:
    """Align the runs and compare each with the first; RunDirError when they are not on the
    same rows, labels and folds (the message names both runs)."""
    if len(run_dirs) < 2:
        raise RunDirError("compare needs at least two run directories")
    aligned = align_runs(run_dirs)
    base = aligned.base
    sides, predictions = [], []
    names = aligned.names  # told apart where two share one
    for i, run in enumerate(aligned.runs):
        metrics = aligned.metrics[i]  # read beside the run's scores
        scored = base.assign(probability=aligned.probabilities[:, i])
        predictions.append(prediction_table(scored, metrics)["prediction"].to_numpy())
        overall = binary_metrics(base["label"], predictions[-1], aligned.probabilities[:, i])
        method = (metrics.get("threshold_selection") or {}).get("method", "not recorded")
        far = metrics.get("far_pairs")
        sides.append(RunSide(names[i], run.path.name, overall, _cost(run, metrics), method,
                             far if isinstance(far, dict) else None,
                             optimistic_run(metrics)))
    pred = np.column_stack(predictions)
    out = Comparison(aligned.runs[0].task.value, len(base), int(base["fold"].nunique()), sides,
                     base, aligned.probabilities, pred)
    for j in range(1, len(sides)):
        pair = paired_comparison(base, aligned.probabilities[:, 0], aligned.probabilities[:, j],
                                 pred[:, 0], pred[:, j])
        out.pairs.append({"a": sides[0].name, "b": sides[j].name, **pair})
    out.caveats = caveat_lines(out)
    return out


def interval_text(iv: dict) -> str:
    """'+0.0241 (95% interval +0.0111 to +0.0372)', or what is missing."""
    if iv.get("mean") is None:
        return "–"
    if iv.get("low") is None:
        return f"{iv['mean']:+.4f}"
    return f"{iv['mean']:+.4f} (95% interval {iv['low']:+.4f} to {iv['high']:+.4f})"


def pair_sentence(pair: dict, folds: int) -> str:
    """One line a reader can act on: the paired ΔAUC and ΔF1 of B over A (means over folds,
    not the difference of the pooled figures in the table above), and fold wins."""
    auc, f1 = pair["delta_auc"], pair["delta_f1"]
    word = {"gain": "better", "loss": "worse", "unclear": "no clear difference"}
    return (f"{pair['b']} − {pair['a']}, mean over folds: ΔAUC {interval_text(auc)}, "
            f"{word[verdict(auc)]}; higher on {pair['auc_better_folds']}/{folds} folds. "
            f"ΔF1 {interval_text(f1)}, {word[verdict(f1)]}; higher on "
            f"{pair['f1_better_folds']}/{folds} folds.")


NAME_COLUMN = 19  # the summary table's run names: this wide at least,
NAME_MAX = 40  # and at most this, a longer name cut in its middle (table_name)


def table_name(name: str, limit: int = NAME_MAX) -> str:
    """A run's name for the summary table, cut in its middle past `limit` characters: cut at
    19, experiment_2026_12_05_fast_a and ..._fast_b both read 'experiment_2026_12_' there,
    and names that differ tend to differ at their end (a variant, a date)."""
    if len(name) <= limit:
        return name
    tail = (limit - 1) // 2
    return f"{name[:limit - 1 - tail]}…{name[-tail:]}"


def summary_text(comparison: Comparison) -> str:
    """Plain-text summary for the terminal: each run's figures and cost, then the pairs."""
    names = [table_name(side.name) for side in comparison.runs]
    width = max(NAME_COLUMN, *map(len, names)) + 1
    head = (f"{'run':<{width}}{'ROC-AUC':>9}{'F1':>8}{'ΔF1 all-pos':>13}{'pred+ rate':>12}"
            f"{'far+ rate':>11}{'cv s':>9}{'size MB':>9}")
    lines = [f"{comparison.task}: {comparison.rows:,} rows, {comparison.folds} folds, "
             f"reference {comparison.runs[0].name}; run figures pooled over all out-of-fold "
             "rows", head, "-" * len(head)]
    for name, side in zip(names, comparison.runs, strict=True):
        o, c = side.overall, side.cost
        auc = "–" if o["roc_auc"] is None else f"{o['roc_auc']:.4f}"
        cv = "–" if c["cv_seconds"] is None else f"{float(c['cv_seconds']):.1f}"
        far = (side.far_pairs or {}).get("called_relevant")
        far = "–" if far is None else f"{float(far):.3f}"
        lines.append(f"{name:<{width}}{auc:>9}{o['f1']:>8.4f}"
                     f"{o['f1'] - o['baseline_all_positive_f1']:>+13.4f}"
                     f"{o['predicted_positive_rate']:>12.3f}{far:>11}{cv:>9}"
                     f"{c['size_bytes'] / 1e6:>9.1f}")
    lines += [f"time {side.name}: " + time_spent_words(
        side.cost["cv_seconds"], list(side.cost["stage_seconds"].items()))
        for side in comparison.runs if side.cost["stage_seconds"]]
    lines += [pair_sentence(pair, comparison.folds) for pair in comparison.pairs]
    lines += [f"note: {line}" for line in comparison.caveats]
    return "\n".join(lines)


def caveat_lines(comparison: Comparison) -> list[str]:
    """What makes a run's figures here not comparable: a student whose OOF scores are
    optimistic (a gain over its own teacher can be leak), or a run trained with flags chosen
    from a run over its own rows. What gives honest figures is said so that it holds for
    every student: an --unlabeled one's caveat says that neither --nested nor --hard-weight
    1.0 helps, which the advice once contradicted."""
    return [f"{side.name} is {side.optimistic}: its figures here are optimistic, so a gain "
            f"over the other runs can be leak ({honest_runs(side.optimistic)}, gives honest "
            "ones)"
            for side in comparison.runs if side.optimistic]
