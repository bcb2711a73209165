"""The far-pairs check (training/far_pairs.py): does the model tell a plainly irrelevant pair
from a logged candidate, or does it call nearly everything relevant?

Drawn from metrics.json's `far_pairs` block (the far pairs' scores kept as a histogram) and the
out-of-fold rows, so a rewritten report shows what training saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shoprel.evaluate.report.fmt import (
    esc,
    fmt,
    fmt_int,
    fmt_pct,
    fmt_threshold,
    language_groups,
    num,
)
from shoprel.evaluate.report.page import table_wrap
from shoprel.evaluate.report.svg import (
    BLACK,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    WIDE,
    figure_block,
    new_figure,
    probability_density_axes,
    svg,
)

FAR_COLOR = "#7a4fa0"
# a far-pairs block's figures as table columns: the report's languages, the comparison's runs
FIGURE_HEADERS = ("<th>far pairs</th><th>far called relevant</th>"
                  "<th>relevant rows called relevant</th><th>ROC-AUC relevant vs far</th>")


def figure_cells(block: Mapping[str, Any] | None) -> str:
    """The FIGURE_HEADERS cells of one block (dashes where it is missing)."""
    block = block or {}
    return (f"<td>{fmt_int(block.get('n'))}</td><td>{fmt_pct(block.get('called_relevant'))}</td>"
            f"<td>{fmt_pct(block.get('relevant_rows_called_relevant'))}</td>"
            f"<td>{fmt(block.get('roc_auc_relevant_vs_far'))}</td>")


def far_pairs_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    far = metrics.get("far_pairs")
    if not isinstance(far, Mapping):
        return ""
    threshold = num(far.get("threshold"))
    head = ('<section id="far-pairs"><h2>Far pairs</h2>'
            f"<p>Each fold's model also scored {fmt_int(far.get('n'))} pairs built from its "
            "validation rows: a relevant row's query with a target far from it (QC: a path "
            "from another branch of the taxonomy; QI: another query's title), taken as "
            "irrelevant. Logged candidates are all plausible, so a model can score well on "
            "them and still call such pairs relevant; a search system would then show them. "
            f"At the threshold {esc(fmt_threshold(threshold))}: "
            f"<strong>{fmt_pct(far.get('called_relevant'))}</strong> of the far pairs are "
            f"called relevant, against {fmt_pct(far.get('relevant_rows_called_relevant'))} of "
            "the relevant validation rows; ROC-AUC of the relevant rows against the far pairs "
            f"{fmt(far.get('roc_auc_relevant_vs_far'))} (1: every far pair below every "
            "relevant row). <code>augment.easy_negatives</code> trains on such pairs; "
            "<code>check.far_pairs: 0</code> turns this check off.</p>")
    return head + _histogram(far, rows, threshold) + _language_table(far, metrics) + "</section>"


def _histogram(far: Mapping[str, Any], rows: pd.DataFrame, threshold: float) -> str:
    histogram = far.get("histogram") or {}
    edges = np.asarray(histogram.get("edges") or [], dtype=float)
    counts = np.asarray(histogram.get("counts") or [], dtype=float)
    if len(edges) != len(counts) + 1 or counts.sum() <= 0:
        return ""
    widths = np.diff(edges)
    fig, (ax,) = new_figure(WIDE, 3.3)
    for value, color, name in ((0, NEGATIVE_COLOR, "label 0 rows"),
                               (1, POSITIVE_COLOR, "label 1 rows")):
        scores = rows.loc[rows["label"] == value, "probability"].to_numpy() \
            if len(rows) else np.array([])
        if scores.size:
            seen, _ = np.histogram(scores, bins=edges)
            ax.stairs(seen / (seen.sum() * widths), edges, color=color, linewidth=1.3,
                      label=f"{name}, n={scores.size:,}")
    ax.stairs(counts / (counts.sum() * widths), edges, color=FAR_COLOR, fill=True, alpha=0.35,
              label=f"far pairs, n={int(counts.sum()):,}")
    if not np.isnan(threshold):
        # its value, as the other charts name their threshold line
        ax.axvline(threshold, color=BLACK, linewidth=1.2,
                   label=f"threshold {fmt_threshold(threshold)}")
    probability_density_axes(ax)
    caption = ("Density of the fold models' scores: far pairs (filled) beside the labelled "
               "validation rows; far pairs right of the line are called relevant.")
    return figure_block(svg(fig, "far", "Score densities of far pairs and labelled rows"),
                        caption)


def _language_table(far: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    """Far pairs per language, the languages in the report's order (by their rows, not by
    their far pairs: the per-language table's order)."""
    languages = far.get("per_language") or {}
    if not isinstance(languages, Mapping) or not languages:
        return ""
    rows = {str(k): v.get("n") for k, v in (metrics.get("per_language") or {}).items()
            if isinstance(v, Mapping)}
    blocks = {k: v for k, v in languages.items() if isinstance(v, Mapping)}
    body = "".join(f"<tr><th>{esc(language)}</th>{figure_cells(block)}</tr>"
                   for language, block in language_groups(blocks, rows or None))
    return table_wrap(
        f'<table class="groups"><thead><tr><th>language</th>{FIGURE_HEADERS}</tr></thead>'
        f"<tbody>{body}</tbody></table>", "far pairs by language")
