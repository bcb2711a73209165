"""Per-language thresholds, shrunk toward the global cut where a language has few rows.

A language's best OOF cut is noisy when it has few rows, so it is pulled toward the global
cut: t_lang = (n * t_best + m * t_global) / (n + m). Languages never seen use the global cut.
Choosing cuts on OOF and scoring the same OOF flatters them, so the reported figure comes from
nested folds (cuts chosen on k-1 folds, applied to the held-out fold).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.augment.languages import by_rows
from shoprel.ensemble.cuts import row_thresholds
from shoprel.ensemble.defaults import DEFAULT_SHRINKAGE
from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics
from shoprel.run.folder import Run
from shoprel.run.writer import RunWriter

MANIFEST_KEY = "language_thresholds"
METRICS_KEY = "per_language_thresholds"


def language_thresholds(labels, probabilities, languages, global_threshold: float | None = None,
                        shrinkage: float = DEFAULT_SHRINKAGE) -> dict:
    """The table saved in run.json: the global cut, m, and each language's shrunk cut."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    lang = np.asarray(languages, dtype=object)
    if global_threshold is None:
        global_threshold = best_f1_threshold(y, p)[0]
    table = {}
    # in the order of every language listing (by_rows), as metrics.json's per_language
    codes, counts = np.unique(lang.astype(str), return_counts=True)
    for code in by_rows(dict(zip(codes.tolist(), counts.tolist(), strict=True))):
        mask = lang.astype(str) == code
        n = int(mask.sum())
        best = best_f1_threshold(y[mask], p[mask])[0] if y[mask].sum() else global_threshold
        shrunk = (n * best + shrinkage * global_threshold) / (n + shrinkage)
        table[str(code)] = {"n": n, "best": float(best), "threshold": float(shrunk)}
    return {"global": float(global_threshold), "shrinkage": float(shrinkage), "languages": table}


def nested_threshold_f1(labels, probabilities, languages, folds,
                        shrinkage: float = DEFAULT_SHRINKAGE,
                        fixed_global: float | None = None) -> dict:
    """Honest F1 of global and per-language cuts: chosen on k-1 folds, scored on the held-out.
    `fixed_global`: a global cut that is not tuned (a vote's majority): used as it is, and the
    per-language cuts shrink toward it."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    lang = np.asarray(languages, dtype=object)
    folds = np.asarray(folds)
    global_pred = np.zeros(len(y), dtype=np.int64)
    language_pred = np.zeros(len(y), dtype=np.int64)
    for fold in np.unique(folds):
        fit, held = folds != fold, folds == fold
        table = language_thresholds(y[fit], p[fit], lang[fit], global_threshold=fixed_global,
                                    shrinkage=shrinkage)
        global_pred[held] = p[held] >= table["global"]
        language_pred[held] = p[held] >= row_thresholds(lang[held], table, table["global"])
    return {"global_f1_nested": binary_metrics(y, global_pred)["f1"],
            "per_language_f1_nested": binary_metrics(y, language_pred)["f1"]}


def threshold_metrics(oof: pd.DataFrame, global_threshold: float,
                      shrinkage: float = DEFAULT_SHRINKAGE, fixed: bool = False,
                      used: bool = True) -> tuple[dict, dict]:
    """(table for run.json, block for metrics.json) from an OOF table with fold and language.
    `fixed`: the global cut is not tuned (nested figures keep it); `used`: whether predict
    applies the per-language cuts (an ensemble built without them records them all the same,
    to show what they would give)."""
    table = language_thresholds(oof["label"], oof["probability"], oof["language"],
                                global_threshold, shrinkage)
    cuts = row_thresholds(oof["language"], table, global_threshold)
    y = oof["label"].to_numpy()
    p = oof["probability"].to_numpy()
    block = {
        "shrinkage": table["shrinkage"],
        "global_threshold": table["global"],
        "global_f1_in_sample": binary_metrics(y, p >= global_threshold)["f1"],
        "per_language_f1_in_sample": binary_metrics(y, p >= cuts)["f1"],
        **nested_threshold_f1(y, p, oof["language"], oof["fold"], shrinkage,
                              fixed_global=global_threshold if fixed else None),
        "used_by_predict": bool(used),
        "note": "in-sample figures choose and score cuts on the same OOF rows (optimistic); "
                "nested figures choose cuts on k-1 folds and score the held-out fold",
        "languages": table["languages"],
    }
    return table, block


def add_language_thresholds(run_dir: str | Path, shrinkage: float = DEFAULT_SHRINKAGE) -> dict:
    """Give a finished run (or ensemble) per-language cuts: run.json gets the table, which
    prediction applies by row language; metrics.json gets the global vs per-language F1."""
    run = Run.open(run_dir)
    method = (run.metrics().get("threshold_selection") or {}).get("method")
    table, block = threshold_metrics(run.oof(), run.threshold, shrinkage,
                                     fixed=method == "fixed")
    writer = RunWriter.finished(run.path)
    writer.update_metrics(lambda metrics: metrics.update({METRICS_KEY: block}))
    writer.manifest(run.info.replace(**{MANIFEST_KEY: table}))
    return block
