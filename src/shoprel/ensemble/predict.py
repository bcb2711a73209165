"""Combine ensemble members' probabilities on new rows, as fitted at build time."""

from __future__ import annotations

import numpy as np

from shoprel.ensemble.combiners import MemberScores, combiner_from_state


def ensemble_probabilities(predictor, frame) -> np.ndarray:
    """predictor: a Predictor of an ensemble directory (members already loaded)."""
    combiner = combiner_from_state(predictor.run.manifest["combination"])
    scores = MemberScores(
        np.column_stack([member.probabilities(frame) for member in predictor.members]),
        frame.df["language"].to_numpy(dtype=object),
        np.column_stack([member.row_thresholds(frame) for member in predictor.members]))
    return combiner.predict(scores)
