"""The metrics block of a run (or of any scored file): overall, per language, category, fold.

A run's threshold is tuned on its out-of-fold scores; scoring F1 on those same scores would
report a figure tuned on itself. So the reported predictions are nested: each fold is cut at
the threshold chosen on the *other* folds' OOF scores. The final threshold (chosen on all OOF
scores) is what predict uses; both are recorded under ``threshold_selection``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.evaluate.console import all_relevant_entry
from shoprel.evaluate.intervals import (
    AUC_OVER_CHANCE,
    DIFFERENCE,
    f1_over_all_positive,
    paired_interval,
)
from shoprel.evaluate.metrics import best_f1_threshold, binary_metrics, grouped_metrics
from shoprel.run.data import recorded_field

THRESHOLD_METHODS = {
    "oof_f1": "the cut maximising F1 on out-of-fold scores; reported figures cut each fold at "
              "the threshold chosen on the other folds (nested), predict uses the cut chosen "
              "on all folds",
    "fixed": "a fixed cut from the config, the same for every fold and for predict",
}


def scored_metrics(table: pd.DataFrame, task: Task) -> dict:
    """Metrics of a table with label, prediction, optional probability, language, top_category."""
    probability = table["probability"] if "probability" in table.columns else None
    out = {
        "task": task.value,
        "overall": binary_metrics(table["label"], table["prediction"], probability),
        "per_language": grouped_metrics(table["label"], table["prediction"], probability,
                                        table["language"]),
    }
    if "detected_language" in table.columns:
        from shoprel.augment.langid import agreement_table

        out["per_detected_language"] = grouped_metrics(
            table["label"], table["prediction"], probability, table["detected_language"])
        out["language_agreement"] = agreement_table(table["language"].astype(str).tolist(),
                                                    table["detected_language"].tolist())
    if task is Task.QC and "top_category" in table.columns:
        out["per_category"] = grouped_metrics(table["label"], table["prediction"], probability,
                                              table["top_category"])
    return out


def nested_fold_thresholds(labels, probabilities, folds, threshold: float,
                           method: str = "oof_f1") -> dict[int, float]:
    """Each fold's cut, chosen without it: best F1 on the other folds' scores ("oof_f1"), or
    ``threshold`` everywhere ("fixed", or a single fold that has no other folds)."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    folds = np.asarray(folds)
    out = {}
    for fold in np.unique(folds).tolist():
        rest = folds != fold
        if method == "fixed" or not rest.any():
            out[int(fold)] = float(threshold)
        else:
            out[int(fold)] = best_f1_threshold(y[rest], p[rest])[0]
    return out


def run_metrics(oof: pd.DataFrame, threshold: float, task: Task,
                threshold_method: str = "oof_f1", description: str | None = None) -> dict:
    """A cross-validation run's metrics from its out-of-fold probabilities.

    Reported figures (overall, per language/category/fold) use nested per-fold cuts; the
    in-sample figures at the final ``threshold`` are kept for reference, as are the paired
    per-fold intervals of F1 over the all-positive baseline and of ROC-AUC over chance.
    `description`: where a fixed cut comes from, when not the config (a vote's majority).
    """
    if threshold_method not in THRESHOLD_METHODS:
        raise ValueError(f"unknown threshold method {threshold_method!r}")
    cuts = nested_fold_thresholds(oof["label"], oof["probability"], oof["fold"], threshold,
                                  threshold_method)
    row_cut = oof["fold"].map(cuts).to_numpy(dtype=np.float64)
    table = oof.assign(prediction=(oof["probability"].to_numpy() >= row_cut).astype(np.int64))
    out = {"task": task.value, "threshold": float(threshold)}
    out.update(scored_metrics(table, task))
    out.update(all_relevant_entry(out["overall"]))  # its F1 is then the all-positive answer's
    out["per_fold"] = [
        {"fold": int(fold), "threshold": cuts[int(fold)],
         **binary_metrics(part["label"], part["prediction"], part["probability"])}
        for fold, part in table.groupby("fold", sort=True)
    ]
    in_sample = (oof["probability"] >= threshold).astype(np.int64)
    scores = oof["probability"].to_numpy(dtype=np.float64)
    if len(scores) and np.ptp(scores) == 0:  # fold models that learnt nothing to tell rows apart
        out["constant_probability"] = float(scores[0])
    out["threshold_selection"] = {
        "method": threshold_method,
        "description": description or THRESHOLD_METHODS[threshold_method],
        "final_threshold": float(threshold),
        "fold_thresholds": {str(k): v for k, v in cuts.items()},
        "reported": "nested",
        "in_sample": binary_metrics(oof["label"], in_sample, oof["probability"]),
    }
    out["uncertainty"] = {
        "delta_f1": paired_interval((f1_over_all_positive(f) for f in out["per_fold"]),
                                    bounds=DIFFERENCE),
        "delta_auc": paired_interval((None if f["roc_auc"] is None else f["roc_auc"] - 0.5
                                      for f in out["per_fold"]), bounds=AUC_OVER_CHANCE),
    }
    return out


def prediction_table(oof: pd.DataFrame, metrics: dict) -> pd.DataFrame:
    """The OOF table with the reported 0/1 prediction of each row (its fold's nested cut), for
    views built after training (confusion matrix, most confident errors)."""
    selection = metrics.get("threshold_selection") or {}
    cuts = {int(k): float(v) for k, v in (selection.get("fold_thresholds") or {}).items()}
    default = float(metrics.get("threshold", 0.5))
    row_cut = oof["fold"].map(cuts).fillna(default).to_numpy(dtype=np.float64) \
        if "fold" in oof.columns else np.full(len(oof), default)
    return oof.assign(prediction=(oof["probability"].to_numpy() >= row_cut).astype(np.int64))


def translated_only_languages(metrics: dict) -> dict[str, list[tuple[str, int]]]:
    """{language: [(run, translated rows), ...]} of the languages the run's final fit saw only
    as translations (augment.translate): augmented rows never validate, so these have no
    out-of-fold rows and no per-language figures. An ensemble lists each member that saw
    them (run/data.py: its members may be augmented differently). {} for runs that record none."""
    evaluated = metrics.get("per_language")
    evaluated = evaluated if isinstance(evaluated, dict) else {}
    languages: dict[str, list[tuple[str, int]]] = {}
    for name, translated in recorded_field(metrics, "translated_rows"):
        if isinstance(translated, dict):
            for lang, n in translated.items():
                if str(lang) not in evaluated:
                    languages.setdefault(str(lang), []).append((name, n))
    return languages


def translated_only_note(metrics: dict) -> str | None:
    """One sentence naming the languages trained on translations only, or None. In an
    ensemble whose members differ in them, how many rows each member saw (none: not at all)."""
    languages = translated_only_languages(metrics)
    if not languages:
        return None
    recording = [name for name, translated in recorded_field(metrics, "translated_rows")
                 if isinstance(translated, dict)]
    named = ", ".join(f"{lang} ({_translated_counts(seen, recording)})"
                      for lang, seen in sorted(languages.items()))
    return (f"trained on translations only: {named}; translated rows never validate, so "
            "no out-of-fold row is in these languages and they have no per-language figures")


def _translated_counts(seen: list[tuple[str, int]], recording: list[str]) -> str:
    """"45 translated rows" when every run behind saw as many; else per member, e.g.
    "a: 45 translated rows; b: none"."""
    counts = {n for _, n in seen}
    if len(seen) == len(recording) and len(counts) == 1:
        return f"{counts.pop()} translated rows"
    saw = {name for name, _ in seen}
    return "; ".join([f"{name}: {n} translated rows" for name, n in seen]
                     + [f"{name}: none" for name in recording if name not in saw])
