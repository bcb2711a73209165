"""A run's per-language cuts as predict applies them: numpy and pandas only, so a scoring
process reads them without the metrics code (scikit-learn) that chose them
(ensemble/thresholds.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def language_cuts(table: dict | None) -> dict[str, float]:
    """The per-language cuts of a run's `language_thresholds` table ({} without one)."""
    if not table:
        return {}
    return {code: float(row["threshold"]) for code, row in table["languages"].items()}


def row_thresholds(languages, table: dict | None, global_threshold: float) -> np.ndarray:
    """Each row's cut: its language's from the table, the global cut for unseen languages."""
    languages = pd.Series(np.asarray(languages, dtype=object))
    if not table:
        return np.full(len(languages), float(global_threshold))
    cuts = language_cuts(table)
    return languages.map(cuts).fillna(float(table["global"])).to_numpy(dtype=np.float64)
