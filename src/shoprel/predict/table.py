"""The rows a scored file gets: the same columns whichever model or models scored them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import QUERY_COLUMN, Task


def submission_table(frame: PairFrame, task: Task, probabilities: np.ndarray,
                     thresholds: np.ndarray) -> pd.DataFrame:
    """Rows in input order: id (as the input wrote it), language, query, target, prediction
    (0/1), probability."""
    return pd.DataFrame({
        "id": frame.output_ids,
        "language": frame.df["language"],
        QUERY_COLUMN: frame.df["query"],
        task.target_column: frame.df["target"],
        "prediction": (probabilities >= thresholds).astype(np.int64),
        "probability": np.round(probabilities, 6),
    })
