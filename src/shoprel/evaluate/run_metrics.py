"""The metrics block of a run (or of any scored file): overall, per language, category, fold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.tasks import Task
from shoprel.evaluate.metrics import binary_metrics, grouped_metrics


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


def run_metrics(oof: pd.DataFrame, threshold: float, task: Task) -> dict:
    """A cross-validation run's metrics: the threshold applied to out-of-fold probabilities."""
    table = oof.assign(prediction=(oof["probability"] >= threshold).astype(np.int64))
    out = {"task": task.value, "threshold": float(threshold)}
    out.update(scored_metrics(table, task))
    out["per_fold"] = [
        {"fold": int(fold), **binary_metrics(part["label"], part["prediction"],
                                             part["probability"])}
        for fold, part in table.groupby("fold", sort=True)
    ]
    return out
