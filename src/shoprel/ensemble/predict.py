"""Combine ensemble members' probabilities on new rows, as fitted at build time."""

from __future__ import annotations

import numpy as np

from shoprel.ensemble import combine, stacking
from shoprel.errors import RunDirError


def ensemble_probabilities(predictor, frame) -> np.ndarray:
    """predictor: a Predictor of an ensemble directory (members already loaded)."""
    combination = predictor.run.manifest["combination"]
    p = np.column_stack([member.probabilities(frame) for member in predictor.members])
    method = combination["method"]
    if method in ("mean", "weighted"):
        return combine.weighted_mean(p, combination["weights"])
    if method == "vote":
        cuts = np.column_stack([member.row_thresholds(frame) for member in predictor.members])
        return combine.vote_share(p, cuts, combination["weights"])
    if method == "stack":
        return stacking.predict_stack(combination["stack"], p, frame.df["language"])
    raise RunDirError(f"{predictor.run.path}: unknown ensemble method {method!r}")
