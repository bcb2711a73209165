"""Error analysis: the confusion matrix of the reported predictions, the most confident
mistakes with their text, and the slices where the model is systematically weak.

Aggregates say how often the model is wrong; reading its most confident mistakes says why
(mislabelled rows, queries in an unexpected language, categories it never learned), which is
usually the quickest route to the next improvement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from shoprel.evaluate.report.fmt import esc, fmt, fmt_int, fmt_pct, note, num, shorten
from shoprel.evaluate.report.page import table_wrap
from shoprel.evaluate.report.tables import MIN_GROUP_ROWS, flagged_groups

TOP_ERRORS = 20
MAX_FLAGS = 8  # the worst ones; the rest stay one click away
SAME_ROWS = 0.95  # share of rows in common above which two slices are listed as one
_SLICES = (("per_language", "language"), ("per_detected_language", "detected language"),
           ("per_category", "top category"))


def confusion_counts(rows: pd.DataFrame) -> dict[str, int]:
    """tp, fp, fn, tn of the reported predictions."""
    pred, y = rows["prediction"].to_numpy() == 1, rows["label"].to_numpy() == 1
    return {"tp": int((pred & y).sum()), "fp": int((pred & ~y).sum()),
            "fn": int((~pred & y).sum()), "tn": int((~pred & ~y).sum())}


def confident_errors(rows: pd.DataFrame, kind: str, top: int = TOP_ERRORS) -> pd.DataFrame:
    """The ``top`` false positives with the highest probability (kind "fp") or false negatives
    with the lowest (kind "fn")."""
    if kind == "fp":
        wrong = rows[(rows["prediction"] == 1) & (rows["label"] == 0)]
        return wrong.sort_values("probability", ascending=False, kind="stable").head(top)
    wrong = rows[(rows["prediction"] == 0) & (rows["label"] == 1)]
    return wrong.sort_values("probability", ascending=True, kind="stable").head(top)


def errors_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """Confusion matrix, flagged slices and the most confident errors."""
    head = '<section id="errors"><h2>Error analysis</h2>'
    parts = [_flag_list(metrics)]
    if len(rows) == 0 or "prediction" not in rows.columns:
        return head + "".join(parts) + note("No out-of-fold rows to analyse.") + "</section>"
    parts.insert(0, _confusion_table(confusion_counts(rows)))
    has_text = {"query", "target"} <= set(rows.columns)
    if not has_text:
        parts.append(note("This run's out-of-fold file has no query/target text (written by "
                          "an older shoprel, or an ensemble of such runs), so the errors below "
                          "show ids only."))
    for kind, title, order in (
        ("fp", "Most confident false positives", "highest probability first"),
        ("fn", "Most confident false negatives", "lowest probability first"),
    ):
        table = confident_errors(rows, kind)
        parts.append(f"<h3>{title} <small>({order})</small></h3>")
        parts.append(_error_table(table, has_text, title) if len(table)
                     else note("None at the reported threshold."))
    return head + "".join(parts) + "</section>"


def _confusion_table(c: Mapping[str, int]) -> str:
    n = sum(c.values())

    def cell(key: str) -> str:
        return f"<td>{c[key]:,} <small>({fmt_pct(c[key] / n if n else None)})</small></td>"

    table = (
        '<table class="confusion"><caption class="hint">Reported predictions (each fold cut at '
        "its nested threshold) against labels</caption><thead><tr><th></th>"
        "<th>predicted relevant</th><th>predicted irrelevant</th></tr></thead><tbody>"
        f"<tr><th>labelled relevant</th>{cell('tp')}{cell('fn')}</tr>"
        f"<tr><th>labelled irrelevant</th>{cell('fp')}{cell('tn')}</tr></tbody></table>"
    )
    return "<h3>Confusion matrix</h3>" + table_wrap(table, "confusion matrix")


def same_rows(metrics: Mapping[str, Any], language: str) -> tuple[int, int] | None:
    """(rows in both, rows in either) of the slices "language X" and "detected language X",
    from the run's agreement table; None where either slice or the agreement is missing."""
    given = (metrics.get("per_language") or {}).get(language) or {}
    detected = (metrics.get("per_detected_language") or {}).get(language) or {}
    agreement = num(((metrics.get("language_agreement") or {}).get(language) or {})
                    .get("agreement"))
    n_given, n_detected = num(given.get("n")), num(detected.get("n"))
    if math.isnan(agreement) or math.isnan(n_given) or math.isnan(n_detected):
        return None
    both = round(agreement * n_given)
    return both, int(n_given + n_detected - both)


def _flag_list(metrics: Mapping[str, Any]) -> str:
    overall_auc = (metrics.get("overall") or {}).get("roc_auc")
    flagged = sorted(((row.get("roc_auc"), label, name, row, reason)
                      for key, label in _SLICES
                      for name, row, reason in flagged_groups(metrics.get(key), overall_auc)),
                     key=lambda x: x[0])  # worst AUC first, whatever the kind of slice
    # "language ko" and "detected language ko" are most often the same rows: one item, saying
    # the detection agrees, instead of the same weakness twice
    languages = {name for _, label, name, _, _ in flagged if label == "language"}
    agrees = {name: shared for name in languages
              if (shared := same_rows(metrics, name)) and shared[0] >= SAME_ROWS * shared[1]}
    items = [f"<li>{esc(label)} <strong>{esc(name)}</strong>: ROC-AUC "
             f"{fmt(row.get('roc_auc'))} on {fmt_int(row.get('n'))} rows "
             f'(<span class="flag">{esc(reason)}</span>)'
             + (f"; the detected language agrees: {agrees[name][0]:,} of the "
                f"{agrees[name][1]:,} rows tagged or detected {esc(name)} are both"
                if label == "language" and name in agrees else "") + "</li>"
             for _, label, name, row, reason in flagged
             if not (label == "detected language" and name in agrees)]
    intro = (f"<h3>Weak slices</h3><p class=\"hint\">Slices of at least {MIN_GROUP_ROWS} rows "
             f"whose ROC-AUC is below chance or more than 0.05 below the overall "
             f"{fmt(overall_auc)}.</p>")
    if not items:
        return intro + note("No slice is flagged.")
    shown = f"<ul>{''.join(items[:MAX_FLAGS])}</ul>"
    if len(items) > MAX_FLAGS:
        shown += (f"<details><summary>{len(items) - MAX_FLAGS} more flagged "
                  f"{'slice' if len(items) - MAX_FLAGS == 1 else 'slices'}</summary>"
                  f"<ul>{''.join(items[MAX_FLAGS:])}</ul></details>")
    return intro + shown


def _path_breaks(text: str) -> str:
    """A line may break after each comma of a category path ("a,b,c" has no space to break
    at): in a narrow column the browser otherwise split its words ("aut|omotive")."""
    return text.replace(",", ",<wbr>")


def _error_table(table: pd.DataFrame, has_text: bool, label: str) -> str:
    head = "<th>id</th><th>language</th>"
    head += '<th class="text">query</th><th class="text">target</th>' if has_text else ""
    head += "<th>probability</th><th>fold</th>"
    body = []
    for _, r in table.iterrows():
        cells = f"<th>{esc(r['id'])}</th><td>{esc(r.get('language', ''))}</td>"
        if has_text:
            cells += (f'<td class="text" lang="{esc(r.get("language", ""))}">'
                      f"{shorten(r['query'])}</td>"
                      f'<td class="text">{_path_breaks(shorten(r["target"]))}</td>')
        fold = r.get("fold")
        cells += (f"<td>{fmt(r['probability'])}</td>"
                  f"<td>{'' if fold is None or pd.isna(fold) else int(fold)}</td>")
        body.append(f"<tr>{cells}</tr>")
    return table_wrap(f'<table class="errors"><thead><tr>{head}</tr></thead>'
                      f"<tbody>{''.join(body)}</tbody></table>", label)

