"""A run's metrics.json read back: a damaged one is one RunDirError line, not a TypeError."""

from __future__ import annotations

import json
from pathlib import Path

from shoprel.data.records import written_kind
from shoprel.errors import RunDirError
from shoprel.run.layout import METRICS, STUDENT, shown


def read_metrics(run_dir: Path) -> dict:
    """RUN_DIR/metrics.json, or one RunDirError line saying what is wrong with it."""
    path = run_dir / METRICS
    where = shown(path)  # runs/a/metrics.json for a member read at runs/ens/../a
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(f"{where}: missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(metrics, dict):
        raise RunDirError(f"{where}: {written_kind(metrics)} is not a JSON object")
    for name, kind in METRICS_FIELDS.items():
        value = metrics.get(name)
        if (value is not None or name in NOT_NULL and name in metrics) \
                and not _json_kind(value, kind):
            raise RunDirError(f"{where}: field {name!r}: {written_kind(value)} is not {kind}")
    problem = _group_problem(metrics)
    if problem:
        raise RunDirError(f"{where}: {problem}")
    return metrics


def _group_problem(metrics: dict) -> str | None:
    """Why a row of a per-group table (per language, per category) cannot be shown: the
    report takes each apart as an object with a row count, and a damaged one was a
    TypeError there."""
    for name in GROUP_FIELDS:
        for key, row in (metrics.get(name) or {}).items():
            if not isinstance(row, dict):
                return f"field '{name}.{key}': {written_kind(row)} is not an object"
            if "n" not in row:  # every writer counts the rows
                return f"field '{name}.{key}.n': missing; each row gives its number of rows"
            if not _json_kind(row["n"], "a number"):
                return f"field '{name}.{key}.n': {written_kind(row['n'])} is not a number"
    return None


# the types of metrics.json's top-level fields that readers (report, compare, predict) take
# apart; a field of another type is a damaged file, named here rather than as a TypeError
METRICS_FIELDS = {"task": "a text", "threshold": "a number", "run_name": "a text",
                  "created": "a text", "per_fold": "a list",
                  **dict.fromkeys(("overall", "per_language", "per_detected_language",
                                   "language_agreement", "per_category", "threshold_selection",
                                   "uncertainty", "model", "timing", "data", "far_pairs",
                                   "student", "distillation"), "an object")}
NOT_NULL = frozenset({"threshold"})  # read as a number whenever the key is there
GROUP_FIELDS = ("per_language", "per_detected_language", "per_category")  # rows by group


def _json_kind(value, kind: str) -> bool:
    if kind == "a number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"a text": str, "a list": list, "an object": dict}[kind])


def lists_student(metrics: dict) -> bool:
    """Whether a run's metrics.json lists the student in RUN/student as carried: what the
    distillation records last, once the student is in place (training/distill.py)."""
    block = metrics.get("student") or {}
    return block.get("folder") == STUDENT
