"""A run's per-language cuts as predict applies them: numpy and pandas only, so a scoring
process reads them without the metrics code (scikit-learn) that chose them
(ensemble/thresholds.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.language_tags import canonical_tag


def language_cuts(table: dict | None) -> dict[str, float]:
    """The per-language cuts of a run's `language_thresholds` table ({} without one)."""
    if not table:
        return {}
    return {code: float(row["threshold"]) for code, row in table["languages"].items()}


def row_thresholds(languages, table: dict | None, global_threshold: float) -> np.ndarray:
    """Each row's cut: its language's from the table (a tag read as canonical_tag reads it),
    the global cut for unseen languages."""
    languages = pd.Series(np.asarray(languages, dtype=object))
    if not table:
        return np.full(len(languages), float(global_threshold))
    # both sides as every command reads a tag: an older table's 'vn' cuts 'vi' rows, and
    # a newer one's 'vi' the 'vn' of a run trained before that reading
    cuts = {canonical_tag(code): cut for code, cut in language_cuts(table).items()}
    read = languages.map({tag: canonical_tag(tag) for tag in pd.unique(languages)})
    return read.map(cuts).fillna(float(table["global"])).to_numpy(dtype=np.float64)
