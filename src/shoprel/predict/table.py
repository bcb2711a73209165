"""The rows a scored file gets: the same columns whichever model or models scored them; and
the check that `--overwrite` replaces only such a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.data.records import file_columns
from shoprel.data.tasks import QUERY_COLUMN, Task
from shoprel.utils.outputs import check_own_output


def submission_columns(task: Task) -> list[str]:
    """The columns of a scored file of `task`, in order (submission_table)."""
    return ["id", "language", QUERY_COLUMN, task.target_column, "prediction", "probability"]


def submission_table(frame: PairFrame, task: Task, probabilities: np.ndarray,
                     thresholds: np.ndarray) -> pd.DataFrame:
    """Rows in input order: id (as the input wrote it), language, query, target, prediction
    (0/1), probability."""
    return pd.DataFrame(dict(zip(submission_columns(task), (
        frame.output_ids,
        frame.df["language"],
        frame.df["query"],
        frame.df["target"],
        (probabilities >= thresholds).astype(np.int64),
        np.round(probabilities, 6),
    ), strict=True)))


def _not_scored_file(path: Path) -> str | None:
    """Why `path` is no file predict wrote, or None: it holds exactly a scored file's
    columns, of either task (a QC file's predictions may be replaced by a QI run's). A gold
    labels file (a label column, no prediction and probability) is not one."""
    columns = file_columns(path)
    if any(sorted(columns) == sorted(submission_columns(task)) for task in Task):
        return None
    shown = ", ".join(columns) if columns else "none"
    return f"its columns are {shown}, not those predict writes"


def check_scored_replaceable(out: str | Path) -> None:
    """`--overwrite` replaces an existing non-empty output only if predict wrote it (a guard
    for utils.outputs.check_output_file and atomic_file)."""
    check_own_output(out, _not_scored_file, "a predictions file", "predict")
