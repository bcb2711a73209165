"""The one reading of a scored file's prediction, which `check-submission` and `evaluate`
share: a JSON-lines "1", then a CSV's "1.0", passed evaluate and was refused by check-submission;
evaluate reads a prediction by the grader's rule so that a file it scores is one a grader takes."""

from __future__ import annotations

from shoprel.data.records import shown_value
from shoprel.data.validate import binary_value


def prediction_problem(value, typed: bool) -> str | None:
    """Why a prediction is no 0 or 1 to a grader, or None. `typed`: the file keeps numbers and
    texts apart (JSON lines, Parquet; formats.typed_format), where only the whole number
    itself is one ("1", 1.0 and true are not); a CSV or TSV cell is text read as its number,
    "0" or "1" only ("1.0", a float column's text, is refused: a grader need not read it)."""
    if binary_value(value, float_text=False) is None or (
            typed and (not isinstance(value, int) or isinstance(value, bool))):
        return f"must be the number 0 or 1, got {shown_value(value)}"
    return None
