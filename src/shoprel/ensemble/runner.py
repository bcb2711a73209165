"""Build an ensemble directory from finished runs; predict/report/serve open it like a run.

Everything that picks a weight, a coefficient or a cut for the reported OOF figures is chosen
on other folds' rows (weights, stack) or on OOF rows as runs do (the global cut; the nested
per-language block says how much that flatters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from shoprel.ensemble import thresholds
from shoprel.ensemble.align import AlignedRuns, align_runs, member_reference, named_trained_runs
from shoprel.ensemble.combiners import MemberScores, combiner_class, make_combiner
from shoprel.ensemble.cuts import row_thresholds
from shoprel.errors import ConfigError
from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.evaluate.optimistic import MEMBER_KEY, optimistic_run
from shoprel.evaluate.run_metrics import run_metrics
from shoprel.predict.translators import check_runs_translator
from shoprel.run.data import ensemble_data
from shoprel.run.layout import FOLDS
from shoprel.run.manifest import Manifest
from shoprel.run.writer import RunWriter, replaceable_as
from shoprel.utils.atomic import atomic_dir
from shoprel.utils.outputs import check_not_reading, check_output_dir

KIND = "ensemble"


@dataclass
class EnsembleResult:
    out_dir: Path
    metrics: dict


def member_row_thresholds(aligned: AlignedRuns) -> np.ndarray:
    """(n, m) cuts each member applies to each OOF row (its language cut when it has them)."""
    return np.column_stack([
        row_thresholds(aligned.base["language"], run.manifest.get(thresholds.MANIFEST_KEY),
                       run.threshold)
        for run in aligned.runs])


def member_scores(aligned: AlignedRuns) -> MemberScores:
    """The members' OOF scores as a combiner sees them."""
    return MemberScores(aligned.probabilities, aligned.base["language"].to_numpy(dtype=object),
                        member_row_thresholds(aligned))


def fit_combination(aligned: AlignedRuns, method: str, weights=None) -> tuple[dict, np.ndarray]:
    """(combination saved in run.json, honest OOF probabilities of the ensemble)."""
    combiner = make_combiner(method, weights)
    scores = member_scores(aligned)
    y, folds = aligned.base["label"].to_numpy(), aligned.base["fold"].to_numpy()
    combiner.fit(scores, y, [run.threshold for run in aligned.runs])
    return combiner.state(), combiner.out_of_fold(scores, y, folds)


def build_ensemble(run_dirs: list[str | Path], out_dir: str | Path, method: str = "mean",
                   weights=None, per_language_thresholds: bool = False,
                   shrinkage: float | None = None, overwrite: bool = False,
                   name: str | None = None) -> EnsembleResult:
    """Combine finished runs into an ensemble directory (complete, or nothing). `shrinkage`
    (default DEFAULT_SHRINKAGE) only with per-language cuts: given alone it would be ignored."""
    if shrinkage is None:
        shrinkage = thresholds.DEFAULT_SHRINKAGE
    elif not per_language_thresholds:
        raise ConfigError("--shrinkage: applies only with --per-language-thresholds (the "
                          "pull of each language's cut toward the global one)")
    # NaN too: a negative pull would push cuts away from the global one; inf made NaN cuts
    if not (shrinkage >= 0 and np.isfinite(shrinkage)):
        raise ConfigError(f"--shrinkage: {shrinkage} is out of range; it must be a finite "
                          "number, 0 or more (rows' worth of pull toward the global cut)")
    guard = replaceable_as(KIND)
    out_dir = check_output_dir(out_dir, overwrite, reads=run_dirs, guard=guard)  # members read
    aligned = align_runs(run_dirs, members_once=True)
    # an ensemble given reads its own members: --overwrite may not replace one of them either
    check_not_reading(out_dir, [folder for run in aligned.runs for folder in run.folders_read()])
    for run in aligned.runs:  # a member that cannot score fails now, not at its first predict
        if run.kind != "ensemble":
            run.model_folders()
    # members trained on queries translated two ways: predict and serve refuse them together
    check_runs_translator(out_dir, aligned.runs, "predict and serve would give all of them one "
                          "translated query per pair: combine runs that read one translator's")
    combination, oof_p = fit_combination(aligned, method, weights)
    table = aligned.base.assign(probability=oof_p)
    combiner = combiner_class(method)
    fixed = combiner.fixed_threshold
    threshold = fixed if fixed is not None else best_f1_threshold(table["label"], oof_p)[0]
    task = aligned.runs[0].task
    language_table, threshold_block = thresholds.threshold_metrics(
        table, threshold, shrinkage, fixed=fixed is not None, used=per_language_thresholds)

    metrics = run_metrics(table, threshold, task, "oof_f1" if fixed is None else "fixed",
                          description=combiner.fixed_rule)
    names = aligned.names  # two members of one name (runs/a/qc, runs/b/qc) told apart
    metrics.update({
        "run_name": name or out_dir.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"family": KIND, "params": {"method": method, "members": names,
                                             **{k: v for k, v in combination.items()
                                                if k != "method"}}},
        # figures as read beside the member's scores (align_runs), not from a retrain since
        # and why a member's are optimistic (a leaky student, or an ensemble holding one):
        # the combination inherits it, which compare and the report say
        "members": [{"name": member, "threshold": run.threshold,
                     "f1": figures["overall"]["f1"], "roc_auc": figures["overall"]["roc_auc"],
                     **({MEMBER_KEY: why} if (why := optimistic_run(figures)) else {})}
                    for member, run, figures in zip(names, aligned.runs, aligned.metrics,
                                                    strict=True)],
        # members share their evaluated rows, not always their augmentation: what they
        # record alike, then each trained run's own (run/data.py), those behind a member
        # that is an ensemble too, all named apart at once (runs/a/ens holding a "tr",
        # beside runs/b/tr)
        "data": ensemble_data([(trained, aligned.metrics_of(run))
                               for trained, run in named_trained_runs(aligned.runs)]),
        thresholds.METRICS_KEY: threshold_block,
    })
    config = {"ensemble": {"method": method, "members": [str(Path(d)) for d in run_dirs],
                           "weights": None if weights is None else [float(x) for x in weights],
                           "per_language_thresholds": per_language_thresholds,
                           "shrinkage": shrinkage}}
    manifest = Manifest.new(
        kind=KIND, name=metrics["run_name"], task=task.value, created=metrics["created"],
        threshold=threshold, model_family=KIND,
        # the digest of the bytes the combination was fitted on, not of the file as it is now
        members=[{"name": run.name, "path": member_reference(run.path, out_dir),
                  "created": run.manifest.get("created"), "oof_sha256": digest}
                 for run, digest in zip(aligned.runs, aligned.oof_sha256, strict=True)],
        combination=combination, n_rows=len(table),
        **({thresholds.MANIFEST_KEY: language_table} if per_language_thresholds else {}))
    with atomic_dir(out_dir, overwrite=overwrite, guard=guard, durable=True) as tmp:
        writer = RunWriter(tmp)
        writer.oof(table)
        folds_file = aligned.runs[0].path / FOLDS
        if folds_file.is_file():
            writer.folds(pd.read_parquet(folds_file))
        writer.config(yaml.safe_dump(config, sort_keys=False))
        writer.metrics(metrics)
        writer.report(metrics, table)
        writer.manifest(manifest)
    return EnsembleResult(out_dir, metrics)
