"""Argument checks several API topics share: a list of paths, a count, a real number, each
refused in one line naming the argument (a traceback from deep inside otherwise)."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from shoprel.data.records import python_kind
from shoprel.errors import ConfigError
from shoprel.utils.arguments import path_argument
from shoprel.utils.bounds import not_a_count, not_finite
from shoprel.utils.scalars import is_boolean, python_scalar


def path_list(values, name: str, what: str) -> list[Path]:
    """A list of paths, or one path as a list of one (not a string's letters)."""
    if isinstance(values, str | os.PathLike):
        values = [values]
    if not isinstance(values, list | tuple):
        raise ConfigError(f"{name}: {python_kind(values)} is not a list of {what}")
    return [path_argument(value, name) for value in values]


def whole_number(value, name: str, ge: int = 0) -> int:
    """A count of `ge` or more (np.int64(5) is 5), refused as its option refuses it
    (bounds.not_a_count: 5.0, True, "5" or -1 each in an integer option's words)."""
    problem = not_a_count(value, ge=ge)
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return int(python_scalar(value))


def real_number(value, name: str, meaning: str) -> float:
    """A finite real number (not True, not text: float() reads both); its range is the
    callee's. nan and inf are refused here in the options' words (bounds.not_finite): the
    callee's range check said "nan is out of range; it must be at least 0"."""
    value = python_scalar(value)
    if is_boolean(value) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: expected a number ({meaning}), got {value!r}")
    problem = not_finite(float(value))
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return float(value)


def task_argument(task) -> str | None:
    """A task, "QC" or "QI" in any case (None: from the columns), refused in one line naming
    the argument, as `train(task=...)` refuses it: read_pairs, check_submission and
    evaluate_file said "unknown task 'QX': expected QC or QI", an input file's words."""
    if task is None:
        return None
    if not isinstance(task, str) or task.upper() not in ("QC", "QI"):
        raise ConfigError(f"task: 'QC' or 'QI', got {task!r}")
    return task.upper()
