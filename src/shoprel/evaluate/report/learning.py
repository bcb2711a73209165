"""The learning curve, where the run has one: would more labelled rows still help?

``learning_curve.json`` (written into the run folder by the learning-curve option) holds
``{"points": [{"fraction", "rows", "roc_auc", "f1", "baseline_f1", "fold_roc_auc": [...],
"constant_folds": [...]}]}``;
a curve still rising at the full size says more data pays, a flat one says it will not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import FuncFormatter

import shoprel.evaluate.report.svg as charts
from shoprel.evaluate.curve_points import constant_folds_words, is_constant
from shoprel.evaluate.intervals import AUC, paired_interval, verdict
from shoprel.evaluate.report.fmt import fmt, fmt_int, fmt_pct, fmt_signed, num
from shoprel.evaluate.report.page import table_wrap

LEARNING_CURVE = "learning_curve.json"
# The smallest ROC-AUC gain called worth having (the README's QI cross-encoder was kept for
# +0.001 to +0.0065): a last step is called flat only when its interval rules out more than this.
WORTHWHILE_AUC_GAIN = 0.005


def read_learning_curve(run_dir: str | Path) -> dict | None:
    """The run's learning curve, or None when it has none (or it is not readable JSON)."""
    path = Path(run_dir) / LEARNING_CURVE
    if not path.is_file():
        return None
    try:
        curve = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return curve if isinstance(curve, dict) and curve.get("points") else None


def last_step_verdict(points: list[Mapping[str, Any]]) -> str:
    """Whether the curve still rises at the right, read fold by fold: every point is scored on
    the same folds, so the last step's gain has a paired interval, and a gain inside the folds'
    spread is not called a rise."""
    if len(points) < 2:
        return "One point only: nothing to read a trend from."
    before, last = points[-2], points[-1]
    gain = num(last.get("roc_auc")) - num(before.get("roc_auc"))
    sizes = (f"From {fmt_int(before.get('rows'))} to {fmt_int(last.get('rows'))} training rows "
             "per fold")
    if np.isnan(gain):
        return sizes + ": ROC-AUC is not known at both sizes."
    if is_constant(before) or is_constant(last):
        return sizes + (": at one of the two sizes fold models gave every row the same score, "
                        "so the curve cannot tell whether more rows of this kind pay.")
    step = f"{sizes}, the pooled out-of-fold ROC-AUC moved {fmt_signed(gain, 4)}"
    folds_before = before.get("fold_roc_auc") or []
    folds_last = last.get("fold_roc_auc") or []
    differences = ([num(b) - num(a) for a, b in zip(folds_before, folds_last, strict=True)]
                   if len(folds_before) == len(folds_last) else [])
    interval = paired_interval(differences)
    if interval["low"] is None:
        return step + " (no interval: fewer than two folds recorded at both sizes)."
    step += (f" (mean over the {interval['k']} folds {fmt_signed(interval['mean'], 4)}, 95% "
             f"interval {fmt_signed(interval['low'], 4)} to {fmt_signed(interval['high'], 4)})")
    said = verdict(interval)
    if said == "gain":
        return step + ": still rising, so more labelled rows of this kind should help."
    if said == "loss":
        return step + ": it fell at the full size, so more rows of this kind are unlikely to help."
    if interval["high"] <= WORTHWHILE_AUC_GAIN:
        return step + (": flat within the folds' spread, so more rows of this kind are unlikely "
                       "to pay much.")
    return step + (": within the folds' spread, which allows no gain as well as one of "
                   f"{fmt_signed(interval['high'], 4)}, so the curve cannot tell whether more rows "
                   "of this kind pay (more folds narrow the interval).")


def share_of_rows(fraction: Any) -> str:
    """A point's share of each fold's rows as the caption and train's summary say it ('10%'),
    where the table read 0.10; a share given finer than a whole percent keeps one decimal
    ('12.5%'), so two close --curve-fractions are told apart."""
    x = num(fraction)
    whole = not np.isnan(x) and abs(100 * x - round(100 * x)) < 1e-9
    return fmt_pct(fraction, 0 if whole else 1)


def constant_point_words(point: Mapping[str, Any]) -> str:
    """Why a point whose fold models scored every row alike is left off the plot."""
    return (f"At {fmt_pct(point.get('fraction'), 0)} of the rows ({fmt_int(point.get('rows'))} "
            f"training rows per fold), {constant_folds_words(point)} gave every row the same "
            f"score (too few rows to learn from), so its ROC-AUC ({fmt(point.get('roc_auc'))}) "
            "and F1 measure no model: the point is left off the plot (a larger share in "
            "--curve-fractions measures one).")


def learning_curve_section(curve: Mapping[str, Any] | None) -> str:
    """OOF ROC-AUC (with its per-fold interval when given) and F1 against training rows."""
    if not curve:
        return ""
    points = sorted((p for p in curve.get("points") or [] if isinstance(p, Mapping)),
                    key=lambda p: num(p.get("rows")))
    if not points:
        return ""
    rows = np.array([num(p.get("rows")) for p in points])
    # a point whose fold models scored every row alike is no measurement: left off the plot
    measured = np.array([not is_constant(p) for p in points])
    auc = np.where(measured, [num(p.get("roc_auc")) for p in points], np.nan)
    f1 = np.where(measured, [num(p.get("f1")) for p in points], np.nan)
    base = np.array([num(p.get("baseline_f1")) for p in points])
    intervals = [paired_interval(p.get("fold_roc_auc") or [], bounds=AUC) for p in points]

    fig, (ax_auc, ax_f1) = charts.new_figure(charts.WIDE, 3.4, ncols=2)
    # one row axis for both: with the smaller shares' points left off (constant scores) the
    # ROC-AUC panel spanned 150-300 rows beside an F1 panel (its baseline at every share) of
    # 30-300, so a tick stood for other rows in each
    ax_auc.sharex(ax_f1)
    ok = ~np.isnan(auc)
    ax_auc.plot(rows[ok], auc[ok], "o-", color=charts.AUC_COLOR, label="OOF ROC-AUC")
    for x, iv, shown in zip(rows, intervals, measured, strict=True):
        if iv["low"] is not None and shown:
            ax_auc.plot([x, x], [iv["low"], iv["high"]], color=charts.AUC_COLOR, linewidth=1.4)
    ok_f1 = ~np.isnan(f1)
    ax_f1.plot(rows[ok_f1], f1[ok_f1], "o-", color=charts.MODEL_COLOR, label="OOF F1")
    okb = ~np.isnan(base)
    ax_f1.plot(rows[okb], base[okb], "x--", color=charts.BASELINE_COLOR, label="all-positive F1")
    both = np.concatenate([f1, base])
    both = both[~np.isnan(both)]
    if both.size:  # a 0.0001 spread must not fill the panel and look like a trend
        pad = max(0.02, float(both.max() - both.min()) * 0.3)
        ax_f1.set_ylim(float(both.min()) - pad, float(both.max()) + pad)
    for ax, name in ((ax_auc, "ROC-AUC"), (ax_f1, "F1")):
        ax.set_xlabel("training rows per fold")
        ax.set_ylabel(name)
        # rows as the table beside prints them (57,600, not 60000), at most four ticks
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.locator_params(axis="x", nbins=4)
    # below both panels: in a panel's lower right it hid a last point that came out lowest
    fig.legend(handles=[*ax_auc.get_lines()[:1], *ax_f1.get_lines()[:2]],
               loc="outside lower center", ncols=3, fontsize=charts.LEGEND_SIZE, frameon=False)
    table_rows = "".join(
        f"<tr><th>{share_of_rows(p.get('fraction'))}</th><td>{fmt_int(p.get('rows'))}</td>"
        f"<td>{fmt(p.get('roc_auc'))}{'' if shown else ' (constant)'}</td>"
        f"<td>{fmt(p.get('f1'))}{'' if shown else ' (constant)'}</td>"
        f"<td>{fmt(p.get('baseline_f1'))}</td></tr>"
        for p, shown in zip(points, measured, strict=True))
    table = table_wrap(
        '<table class="groups"><thead><tr><th>share of rows</th><th>rows</th><th>ROC-AUC</th>'
        f"<th>F1</th><th>all-positive F1</th></tr></thead><tbody>{table_rows}</tbody></table>",
        "learning curve")
    caption = ("Out-of-fold ROC-AUC pooled over all rows (dots; bars: 95% interval of the mean "
               "over folds, where recorded, so a bar need not be centred on its dot) and F1 "
               "against the training rows of each fold model. F1 here is at each point's best "
               "out-of-fold threshold (tuned on the rows it scores, so optimistic; compare the "
               "points with each other, not with the verdict). "
               + "".join(f"{constant_point_words(p)} " for p, shown in
                         zip(points, measured, strict=True) if not shown)
               + last_step_verdict(points))
    return ('<section id="learning-curve"><h2>Learning curve</h2>'
            + charts.figure_block(charts.svg(fig, "lc", "Learning curve: out-of-fold ROC-AUC and "
                                                      "F1 against training rows"), caption)
            + table + "</section>")
