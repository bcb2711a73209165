"""The run report: sections in reading order, and writing it into a run folder.

Reading order follows the questions a reader asks: is the model worth anything (verdict, first
screen), what was run (folded facts), where and why it fails (error analysis), how good the
scores are (ROC, calibration, PR, threshold, distributions), and how the result varies across
languages, categories and folds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import rc_context

from shoprel.errors import RunDirError
from shoprel.evaluate.report.curves import (
    clean_oof,
    distribution_section,
    pr_section,
    roc_calibration_section,
    threshold_section,
)
from shoprel.evaluate.report.far_pairs import far_pairs_section
from shoprel.evaluate.report.folds import fold_section
from shoprel.evaluate.report.groups import (
    category_section,
    detected_language_section,
    language_section,
    language_threshold_section,
)
from shoprel.evaluate.report.learning import learning_curve_section, read_learning_curve
from shoprel.evaluate.report.mistakes import errors_section
from shoprel.evaluate.report.page import check_page_replaceable, document
from shoprel.evaluate.report.svg import PLOT_RC
from shoprel.evaluate.report.tuning import fine_tuning_section
from shoprel.evaluate.report.verdict import facts_section, verdict_section
from shoprel.evaluate.run_metrics import prediction_table


def render_report(metrics: dict, oof: pd.DataFrame, title: str,
                  learning_curve: Mapping[str, Any] | None = None) -> str:
    """Return one self-contained HTML document (no network: no scripts, no external
    CSS/fonts/images) describing a cross-validation run or an ensemble of runs.

    ``metrics`` is the run's metrics.json content (tables and headline numbers come from it, so
    the report agrees with what was saved); ``oof`` holds the out-of-fold probabilities from
    which the curves, intervals per language and error lists are drawn; ``learning_curve``
    (learning_curve.json) defaults to the copy in metrics.json, where training puts one.
    """
    metrics = metrics or {}
    rows = _reported_rows(metrics, oof)
    with rc_context(PLOT_RC):  # styling is read when axes are created, so wrap it all
        sections = [
            verdict_section(metrics, title),
            facts_section(metrics, 0 if oof is None else len(oof)),
            errors_section(metrics, rows),
            roc_calibration_section(metrics, rows),
            language_section(metrics, rows),
            learning_curve_section(learning_curve or metrics.get("learning_curve")),
            pr_section(metrics, rows),
            threshold_section(metrics, rows),
            language_threshold_section(metrics),
            distribution_section(metrics, rows),
            far_pairs_section(metrics, rows),
            fold_section(metrics),
            fine_tuning_section(metrics),
            category_section(metrics, rows),
            detected_language_section(metrics, rows),
        ]
    return document(title, "\n".join(s for s in sections if s))


def _reported_rows(metrics: Mapping[str, Any], oof: pd.DataFrame | None) -> pd.DataFrame:
    """OOF rows with the reported 0/1 prediction (each fold at its nested threshold)."""
    rows = clean_oof(oof)
    if len(rows) == 0:
        return rows.assign(prediction=pd.Series(dtype="int64"))
    return prediction_table(rows, dict(metrics))


def report_title(metrics: Mapping[str, Any]) -> str:
    """Default page title: task and run name, what someone scanning saved reports looks for.

    An ensemble was not cross-validated: its figures are of a combination of its members'
    out-of-fold scores, so its title says that instead of "cross-validation".
    """
    task = metrics.get("task") or "?"
    name = metrics.get("run_name") or "unnamed run"
    if (metrics.get("model") or {}).get("family") == "ensemble":
        count = len(metrics.get("members") or [])
        of = f" of {count} runs" if count else ""
        return f"shoprel {task} ensemble{of}, out-of-fold scores combined — {name}"
    return f"shoprel {task} cross-validation — {name}"


def run_report_html(run_dir: str | Path, metrics: dict, oof: pd.DataFrame) -> str:
    """The report of a run from in-memory results (training renders it before the run
    directory is moved into place); the learning curve comes from RUN_DIR when it has one."""
    return render_report(metrics, oof, report_title(metrics), read_learning_curve(run_dir))


def write_report(run_dir: str | Path, metrics: dict, oof: pd.DataFrame) -> Path:
    """Write RUN_DIR/report.html from in-memory results, atomically; returns its path."""
    from shoprel.run.layout import REPORT
    from shoprel.utils.atomic import atomic_file

    path = Path(run_dir) / REPORT
    with atomic_file(path, durable=True) as tmp:
        Path(tmp).write_text(run_report_html(run_dir, metrics, oof), encoding="utf-8")
    return path


def write_run_report(run_dir: str | Path, out_file: str | Path | None = None,
                     overwrite: bool = False) -> Path:
    """(Re)write the report of a finished run directory, atomically; default RUN_DIR/report.html.

    A given `out_file` is checked as an output first, as `shoprel report` checks --out: no
    file inside the run but its own report.html, none inside another shoprel folder, no
    existing file unless `overwrite`, and then only a page shoprel wrote
    (page.check_page_replaceable), and an .html name (a data file replaced by HTML is lost).
    Raises RunDirError when the directory is not a finished run or lacks its metrics/OOF
    file.
    """
    from shoprel.run.folder import Run
    from shoprel.run.layout import METRICS, OOF, REPORT
    from shoprel.utils.atomic import atomic_file
    from shoprel.utils.outputs import check_html_name, check_output_file, check_parent

    if out_file is not None:
        check_output_file(out_file, runs=[run_dir], own=[Path(run_dir) / REPORT],
                          overwrite=overwrite, guard=_report_guard)
        check_html_name(out_file)
    run = Run.open(run_dir)
    target = Path(out_file) if out_file is not None else run.path / REPORT
    check_parent(target)  # a run on a read-only disk: one line, not a traceback
    for name in (METRICS, OOF):
        if not (run.path / name).is_file():
            raise RunDirError(f"{run.path}: no {name}; cannot write the report")
    try:
        metrics = run.metrics()
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{run.path / METRICS}: not valid JSON ({exc})") from None
    curve = read_learning_curve(run.path)
    text = render_report(metrics, run.oof(), report_title(metrics), curve)
    # a file made at --out while the page rendered is kept without `overwrite`, as one there
    # before; the run's own report.html is always the report's to replace
    own = target.resolve() == (run.path / REPORT).resolve()
    with atomic_file(target, replace=overwrite or own, durable=True,
                     guard=None if own else _report_guard) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def _report_guard(out: Path) -> None:
    check_page_replaceable(out, "report")


def write_report_file(run_dir: str | Path, out_file: str | Path | None = None,
                      overwrite: bool = False) -> Path:
    """`shoprel report` and the API's `write_report`: write_run_report, whose output checks
    they share."""
    return write_run_report(run_dir, out_file, overwrite)
