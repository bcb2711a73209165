"""Per-group tables (language, category, fold) with small groups set apart and weak ones flagged.

A group of three rows scores AUC 0.000 or 1.000 by chance; listed among the large groups it
draws the eye to noise. Groups under MIN_GROUP_ROWS go to a folded, greyed table with their n.
Large groups whose AUC is below chance, or clearly below the run's overall AUC, get a flag,
because that is where the model fails systematically (a category it never learned, a market
whose queries are in another language).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shoprel.evaluate.report.fmt import (
    MINUS,
    esc,
    fmt,
    fmt_int,
    fmt_signed,
    num,
    rows_in,
    with_delta,
)
from shoprel.evaluate.report.page import table_wrap

MIN_GROUP_ROWS = 30
AUC_MARGIN = 0.05  # "clearly below the overall AUC"
# a Δ F1 cell coloured by its sign: one group or fold, no interval to judge it by
BY_SIGN = "by-sign"
UNJUDGED = "na"  # a signed Δ F1 left uncoloured: no interval says it is beyond noise

# (metrics key, column header, kind) for the group tables; kind picks the formatter.
GROUP_COLUMNS = (
    ("n", "n", "int"),
    ("positive_rate", "positive rate", "num"),
    ("f1", "F1", "num"),
    ("baseline_all_positive_f1", "all-positive F1", "num"),
    ("delta_f1", "Δ F1", "delta"),
    ("roc_auc", "ROC-AUC", "num"),
    ("precision", "precision", "num"),
    ("recall", "recall", "num"),
)


def delta_class(delta: float) -> str:
    """CSS class of a model-minus-baseline difference of one group (no interval here, so the
    sign is all it shows; a difference that rounds to 0.000 is neither)."""
    if math.isnan(delta) or abs(delta) < 5e-4:
        return "na"
    return "better" if delta > 0 else "worse"


def weakness(row: Mapping[str, Any], overall_auc: float | None) -> str:
    """Why a large group deserves a look ('' when it does not): AUC below chance, or more than
    AUC_MARGIN below the run's overall AUC. Small groups are never flagged."""
    n, auc = num(row.get("n")), num(row.get("roc_auc"))
    if math.isnan(n) or n < MIN_GROUP_ROWS or math.isnan(auc):
        return ""
    if auc < 0.5:
        return "AUC below chance"
    overall = num(overall_auc)
    if not math.isnan(overall) and auc < overall - AUC_MARGIN:
        return f"AUC {fmt_signed(auc - overall)} vs overall"
    return ""


def flagged_groups(groups: Mapping[str, Mapping[str, Any]] | None,
                   overall_auc: float | None) -> list[tuple[str, dict, str]]:
    """(name, row, reason) of every flagged group, worst AUC first."""
    out = [(str(k), dict(v), weakness(v, overall_auc)) for k, v in (groups or {}).items()]
    out = [x for x in out if x[2]]
    return sorted(out, key=lambda x: num(x[1].get("roc_auc")))


def _row_html(name: str, row: Mapping[str, Any], colour: str | None, css: str, flag: str,
              with_flags: bool) -> str:
    """One table row; ``colour`` is BY_SIGN, a verdict class ("gain", "loss", "unclear") for
    a mean judged by its interval, or None for a figure that is no difference (a spread)."""
    cells = []
    row = with_delta(row)
    for key, _, kind in GROUP_COLUMNS:
        value = row.get(key)
        if kind == "int":
            cells.append(f"<td>{fmt_int(value)}</td>")
        elif kind == "delta":
            d = num(value)
            text = fmt_signed(d) if colour else fmt(d).replace(f"{MINUS}0.000", "+0.000")
            cls = (delta_class(d) if colour == BY_SIGN else colour) or "na"
            cells.append(f'<td class="{cls}">{text}</td>')
        else:
            cells.append(f"<td>{fmt(value)}</td>")
    if with_flags:
        cells.append(f'<td class="flag">{esc(flag)}</td>' if flag else "<td></td>")
    cls = f' class="{css}"' if css else ""
    return f"<tr{cls}><th>{esc(name)}</th>{''.join(cells)}</tr>"


def _table(rows_html: str, key_header: str, foot_html: str, with_flags: bool,
           label: str) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for _, h, _ in GROUP_COLUMNS)
    if with_flags:
        head += "<th>flag</th>"
    return table_wrap(
        f'<table class="groups"><thead><tr><th>{esc(key_header)}</th>{head}</tr></thead>'
        f"<tbody>{rows_html}</tbody>{foot_html}</table>", label or key_header)


def group_table(
    groups: Sequence[tuple[str, Mapping[str, Any]]],
    key_header: str,
    footer: Sequence[tuple[str, Mapping[str, Any], str | None]] = (),
    overall_auc: float | None = None,
    split_small: bool = True,
    verdicts: Mapping[str, str] | None = None,
    others: str = BY_SIGN,
) -> str:
    """One row per group with n, positive rate, F1 vs baseline, AUC, precision, recall.

    ``footer`` rows are (name, row, colour) as _row_html takes them: a mean over folds takes
    the verdict of its interval, as the report's verdict colours the same number (by its
    sign, -0.004 read as a loss where the verdict said unclear); a spread row is not
    coloured. With ``split_small``, groups under MIN_GROUP_ROWS go to a folded table below;
    with ``overall_auc``, a flag column names the weak groups, where there are any. A group
    in ``verdicts`` (the verdict of its per-fold interval, where a chart beside the table
    shows one) has its Δ F1 coloured by it, as the chart colours its dot; the others (small
    groups too) as ``others`` says: BY_SIGN, or UNJUDGED for a table whose every colour must
    come from an interval.
    """
    big = [(n, r) for n, r in groups
           if not split_small or num(r.get("n")) >= MIN_GROUP_ROWS]
    small = [(n, r) for n, r in groups if split_small and not num(r.get("n")) >= MIN_GROUP_ROWS]
    # a flag column only where a row carries a flag: an empty column read as a figure missing
    # (a one-language run's table, and every folded table of small groups, which no flag marks)
    with_flags = overall_auc is not None and any(weakness(r, overall_auc) for _, r in big)
    verdicts = verdicts or {}
    body = "".join(_row_html(n, r, verdicts.get(n, others), "", weakness(r, overall_auc),
                             with_flags) for n, r in big)
    foot = "".join(_row_html(n, r, colour, "", "", with_flags) for n, r, colour in footer)
    out = _table(body, key_header, f"<tfoot>{foot}</tfoot>" if foot else "", with_flags,
                 key_header) if big or not small else ""
    if small:
        rows = rows_in(small)
        small_body = "".join(_row_html(n, r, others, "small", "", False) for n, r in small)
        out += (
            f"<details><summary>{len(small)} {esc(key_header)} "
            f"{'group' if len(small) == 1 else 'groups'} with fewer than "
            f"{MIN_GROUP_ROWS} rows ({rows:,} rows in all): too few to judge, greyed</summary>"
            + _table(small_body, key_header, "", False, f"small {key_header} groups")
            + "</details>"
        )
    return out
