"""Fold-to-fold spread: tells whether a gain over the baseline is larger than the noise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from shoprel.evaluate.intervals import verdict
from shoprel.evaluate.report.fmt import esc, fmt_threshold, mpl_text, note, num, with_delta
from shoprel.evaluate.report.page import table_wrap
from shoprel.evaluate.report.svg import (
    AUC_COLOR,
    BASELINE_COLOR,
    LEGEND_SIZE,
    MODEL_COLOR,
    WIDE,
    figure_block,
    new_figure,
    svg,
)
from shoprel.evaluate.report.tables import BY_SIGN, GROUP_COLUMNS, UNJUDGED, group_table
from shoprel.evaluate.report.verdict import fold_intervals


def fold_rows(metrics: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """Per-fold rows as (fold label, row), ordered by fold number."""
    folds = [dict(f) for f in metrics.get("per_fold") or [] if isinstance(f, Mapping)]
    folds.sort(key=lambda f: np.nan_to_num(num(f.get("fold")), nan=1e9))
    return [(str(f.get("fold", i)), f) for i, f in enumerate(folds)]


def fold_summary(rows: Sequence[tuple[str, Mapping[str, Any]]],
                 mean_colour: str = BY_SIGN) -> list[tuple[str, dict, str | None]]:
    """Mean and standard deviation rows over folds (nulls skipped), for the table footer; the
    mean's Δ F1 coloured `mean_colour` (the verdict of its interval, where the report has one)."""
    keys = [k for k, _, kind in GROUP_COLUMNS if kind != "int"]
    data = {k: np.array([num(with_delta(r).get(k)) for _, r in rows]) for k in keys}
    mean, std = {}, {}
    for k, v in data.items():
        v = v[~np.isnan(v)]
        mean[k] = float(v.mean()) if v.size else None
        std[k] = float(v.std(ddof=1)) if v.size > 1 else None
    mean["n"] = float(np.nansum([num(r.get("n")) for _, r in rows]))
    return [("mean (n: total)", mean, mean_colour), ("std", std, None)]


def fold_section(metrics: Mapping[str, Any]) -> str:
    """Per-fold dots and table, with each fold's nested threshold."""
    rows = fold_rows(metrics)
    head = '<section id="folds"><h2>Fold spread</h2>'
    if not rows:
        return head + note("No per-fold metrics in this run.") + "</section>"
    caption = (
        "Left: F1 per fold (dots), all-positive F1 per fold (grey crosses), mean F1 (dashed). "
        "Right: ROC-AUC per fold with its mean. Folds without an AUC are skipped."
    )
    # a fold's Δ F1 is one number, with no interval to tell it from noise: left uncoloured, as
    # the category tables leave a group with none (by its sign, one fold's +0.001 read as a gain)
    hint = ('<p class="hint">Each fold\'s Δ F1 is not coloured: one fold has no interval to tell '
            "it from fold-to-fold noise. The mean's is coloured by its 95% interval over the "
            "folds, as the verdict colours it.</p>")
    return (head + figure_block(_fold_svg(rows), caption) + hint
            + group_table(rows, "fold", split_small=False, others=UNJUDGED,
                          footer=fold_summary(rows, verdict(fold_intervals(metrics)["delta_f1"])))
            + _threshold_table(rows) + "</section>")


def _threshold_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """Each fold's nested threshold, one row per fold ('' where none was recorded). Two
    columns, so a phone never stacks it: one row of a column per fold was stacked there into
    "fold", "threshold", then "0 0.01219" and so on, which reads as no table."""
    cuts = [(name, r.get("threshold")) for name, r in rows if r.get("threshold") is not None]
    if not cuts:
        return ""
    body = "".join(f"<tr><th>{esc(name)}</th><td>{esc(fmt_threshold(t))}</td></tr>"
                   for name, t in cuts)
    # the words above the table, not in a caption: one as narrow as this table wrapped them
    # into three lines of two words
    return ('<p class="hint">Each fold\'s threshold, chosen on the other folds\' scores:</p>'
            + table_wrap('<table class="groups"><thead><tr><th>fold</th><th>threshold</th></tr>'
                         f"</thead><tbody>{body}</tbody></table>", "fold thresholds"))


def _fold_svg(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """Dot plots of per-fold F1 (vs baseline) and AUC, each with its mean line. The legend
    sits below both panels: inside one it hid the dot of a low last fold."""
    names = [mpl_text(name) for name, _ in rows]
    x = np.arange(len(rows), dtype=float)
    f1 = np.array([num(r.get("f1")) for _, r in rows])
    base = np.array([num(r.get("baseline_all_positive_f1")) for _, r in rows])
    auc = np.array([num(r.get("roc_auc")) for _, r in rows])
    fig, (ax_f1, ax_auc) = new_figure(WIDE, 3.5, ncols=2)
    panels = ((ax_f1, f1, MODEL_COLOR, "F1"), (ax_auc, auc, AUC_COLOR, "ROC-AUC"))
    handles = []
    for ax, values, color, name in panels:
        ok = ~np.isnan(values)
        handles += ax.plot(x[ok], values[ok], "o", color=color, markersize=7,
                           label=f"{name} per fold")
        if ok.any():
            mean = float(values[ok].mean())
            handles.append(ax.axhline(mean, color=color, linestyle="--", linewidth=1,
                                      label=f"mean {name} {mean:.3f}"))
        ax.set_xticks(x)
        ax.set_xticklabels(names)
        ax.set_xlabel("fold")
        ax.set_ylabel(name)
        ax.set_xlim(-0.5, len(rows) - 0.5)
    okb = ~np.isnan(base)
    handles += ax_f1.plot(x[okb], base[okb], "x", color=BASELINE_COLOR, markersize=7,
                          label="all-positive F1")
    _pad_ylim(ax_f1, np.concatenate([f1, base]))
    _pad_ylim(ax_auc, auc)
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=LEGEND_SIZE,
               frameon=False)
    return svg(fig, "fold", "F1 and ROC-AUC per cross-validation fold")


def _pad_ylim(ax, values: np.ndarray) -> None:
    """Zoom the y axis on the data (fold differences are small) but keep it inside [0, 1]."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        ax.set_ylim(0, 1)
        return
    lo, hi = float(values.min()), float(values.max())
    pad = max(0.02, (hi - lo) * 0.5)
    ax.set_ylim(max(0.0, lo - pad), min(1.0, hi + pad) + 0.005)
