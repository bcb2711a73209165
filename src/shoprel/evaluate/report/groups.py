"""Per-language and per-category views: where the overall figure hides a weak market.

Per-language F1 bars of model and baseline are the same height at a 0–1 scale and say nothing;
what matters is the difference and whether it is larger than the fold-to-fold noise. So the
chart is a dot plot of ΔF1 over all-positive and of ROC-AUC per language, each with its paired
per-fold interval, computed from the out-of-fold rows; small languages are left out of the
chart and set apart in the tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from shoprel.augment.languages import by_rows
from shoprel.data.validate import UNKNOWN_LANGUAGE
from shoprel.evaluate.intervals import (
    AUC_OVER_CHANCE,
    DIFFERENCE,
    group_fold_intervals,
    verdict,
)
from shoprel.evaluate.metrics import binary_metrics, roc_auc
from shoprel.evaluate.report.fmt import (
    esc,
    fmt,
    fmt_int,
    fmt_threshold,
    language_groups,
    mpl_text,
    note,
    num,
    rows_in,
    short_label,
    sorted_groups,
)
from shoprel.evaluate.report.page import table_wrap
from shoprel.evaluate.report.svg import (
    BASELINE_COLOR,
    BLACK,
    LEGEND_SIZE,
    MODEL_COLOR,
    VERMILLION,
    WIDE,
    figure_block,
    new_figure,
    svg,
)
from shoprel.evaluate.report.tables import MIN_GROUP_ROWS, UNJUDGED, group_table
from shoprel.evaluate.run_metrics import translated_only_note

MAX_CHART_GROUPS = 20
MAX_CATEGORY_ROWS = 30

_MARKERS = {"gain": ("o", MODEL_COLOR, "interval above"),
            "loss": ("s", VERMILLION, "interval below"),
            "unclear": ("D", BASELINE_COLOR, "interval includes")}


def _delta_f1(rows: pd.DataFrame) -> float | None:
    m = binary_metrics(rows["label"], rows["prediction"])
    if m["f1"] is None or m["baseline_all_positive_f1"] is None or not m["positives"]:
        return None
    return m["f1"] - m["baseline_all_positive_f1"]


def _delta_auc(rows: pd.DataFrame) -> float | None:
    """ROC-AUC alone (binary_metrics would add average precision and Brier, a third of the
    per-language chart's time); None where the slice holds one class."""
    auc = roc_auc(rows["label"], rows["probability"])
    return None if auc is None else auc - 0.5


def delta_f1_intervals(rows: pd.DataFrame | None, column: str, max_groups: int | None = None,
                       order: Callable[[dict[str, int]], list[str]] | None = None,
                       ) -> dict[str, dict]:
    """Each large group's paired per-fold ΔF1 interval (largest first, or in ``order``, as
    group_fold_intervals takes it): what the per-language chart draws and what a table's
    Δ F1 colour says (delta_f1_verdicts)."""
    if rows is None or len(rows) == 0 or not {column, "fold", "prediction"} <= set(rows.columns):
        return {}
    # the four columns ΔF1 reads: each group's slice then copies no query and target texts
    narrow = rows[[column, "fold", "label", "prediction"]]
    return group_fold_intervals(narrow, column, _delta_f1, MIN_GROUP_ROWS, max_groups,
                                DIFFERENCE, order)


def language_intervals(rows: pd.DataFrame, column: str = "language",
                       delta_f1: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """Per charted language (the first MAX_CHART_GROUPS large ones in the order of every
    language listing, augment.languages.by_rows): the paired per-fold intervals of ΔF1 and
    ΔAUC (AUC − 0.5). ``delta_f1``: the languages' ΔF1 intervals where the caller already has
    them (delta_f1_intervals in that order, for the table beside the chart), so no slice's F1
    is computed twice."""
    if len(rows) == 0 or not {column, "fold", "prediction"} <= set(rows.columns):
        return {}
    if delta_f1 is None:
        delta_f1 = delta_f1_intervals(rows, column, MAX_CHART_GROUPS, by_rows)
    narrow = rows[[column, "fold", "label", "probability"]]  # no texts to copy
    auc = group_fold_intervals(narrow, column, _delta_auc, MIN_GROUP_ROWS, MAX_CHART_GROUPS,
                               AUC_OVER_CHANCE, by_rows)
    return {name: {"n": delta_f1[name]["n"], "delta_f1": delta_f1[name],
                   "delta_auc": auc[name]} for name in auc}


def left_out_words(rows: pd.DataFrame, charted: Mapping[str, Any], column: str = "language",
                   shown_names: int = 8, fate: str = "in the table, not the chart") -> str:
    """" 3 more languages of at least 30 rows (l21, l22, unk (rows with no language tag): 450
    rows) are in the table, not the chart.": past MAX_CHART_GROUPS the chart keeps the
    largest, and its caption says which it left out (HTML, names escaped); `fate`: where they
    are instead. "" when none."""
    counts = rows[column].astype(str).value_counts()
    left = by_rows({str(k): int(n) for k, n in counts.items()
                    if n >= MIN_GROUP_ROWS and str(k) not in charted})
    if not left:
        return ""
    names = [f"{name} (rows with no language tag)" if name == UNKNOWN_LANGUAGE else esc(name)
             for name in left[:shown_names]]
    more = f" and {len(left) - shown_names} more" if len(left) > shown_names else ""
    total = sum(int(counts[name]) for name in left)
    plural = "languages" if len(left) > 1 else "language"
    return (f" {len(left)} more {plural} of at least {MIN_GROUP_ROWS} rows "
            f"({', '.join(names)}{more}: {total:,} rows) "
            f"{'are' if len(left) > 1 else 'is'} {fate}.")


def delta_f1_verdicts(intervals: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The verdict of each group's ΔF1 interval (delta_f1_intervals), as the per-language
    chart judges its dots: a table colours a group's Δ F1 only where the difference is beyond
    its fold-to-fold noise (by its sign alone, +0.004 on one fold's luck read as a gain)."""
    return {name: verdict(iv) for name, iv in intervals.items()}


def judged_hint(what: str, judged: bool) -> str:
    """What the colour of a table's Δ F1 means, where only its interval colours it."""
    if not judged:
        return note(f"Δ F1 is not coloured: the out-of-fold rows carry no {what} per fold, so "
                    "no interval tells a difference from fold-to-fold noise.")
    return (f'<p class="hint">Δ F1 is coloured blue or orange only where its 95% interval over '
            f"the folds (paired per-fold differences, as the per-language chart) lies wholly "
            f"above or below 0, grey where it includes 0; a {what} group under "
            f"{MIN_GROUP_ROWS} rows is not coloured.</p>")


def dot_plot_svg(intervals: Mapping[str, Mapping[str, Any]], panels, prefix: str,
                 title: str, reference: str = "0") -> str:
    """Horizontal dot plot, one row per group, one panel per (key, axis label, offset, refs):
    dot = mean paired difference (+ offset), bar = its interval, shape/colour = verdict. The
    legend names the verdicts' `reference`: "0" where every panel is a difference, a word
    where a panel is judged against another value (ROC-AUC against chance, 0.5), which its
    axis label then names."""
    names = list(intervals)
    y = np.arange(len(names))[::-1].astype(float)
    labels = [f"{mpl_text(short_label(n))} (n={intervals[n]['n']:,})" for n in names]
    fig, axes = new_figure(WIDE, 1.6 + 0.3 * len(names), ncols=len(panels))
    drawn = set()
    for ax, (key, xlabel, offset, refs) in zip(axes, panels, strict=True):
        shown = [value for value, _, _ in refs]
        for yi, name in zip(y, names, strict=True):
            iv = intervals[name][key]
            if iv.get("mean") is None:
                continue
            drawn.add(verdict(iv))
            marker, colour, _ = _MARKERS[verdict(iv)]
            if iv.get("low") is not None:
                ax.plot([iv["low"] + offset, iv["high"] + offset], [yi, yi], color=colour,
                        linewidth=1.6)
                shown += [iv["low"] + offset, iv["high"] + offset]
            ax.plot([iv["mean"] + offset], [yi], marker, color=colour, markersize=6)
            shown.append(iv["mean"] + offset)
        for value, style, _ in refs:
            ax.axvline(value, color=BLACK if style == ":" else BASELINE_COLOR,
                       linestyle=style, linewidth=1)
        # every value on one point (a model that calls all rows relevant: ΔF1 0 everywhere):
        # a readable span around it, not an axis of rounding noise labelled "1e-17"
        if shown and max(shown) - min(shown) < 1e-6:
            middle = round(float(np.mean(shown)), 6)
            ax.set_xlim(middle - 0.05, middle + 0.05)
        ax.ticklabel_format(axis="x", useOffset=False)
        # at most five ticks, steps of 1, 2 or 5: six of "−0.02" ran together at WIDE
        ax.locator_params(axis="x", nbins=4, steps=[1, 2, 5, 10])
        ax.set_yticks(y)
        ax.set_yticklabels(labels if ax is axes[0] else [])
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    # only the markers drawn: a legend naming a square no language has sent readers looking
    handles = [axes[0].plot([], [], marker + "-", color=colour,
                            label=f"{text} {mpl_text(reference)}")[0]
               for state, (marker, colour, text) in _MARKERS.items() if state in drawn]
    # two columns: three ran past the figure's width and lost the last entry's end
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=2,
                   fontsize=LEGEND_SIZE, frameon=False)
    return svg(fig, prefix, title)


def language_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """Per-language ΔF1 and AUC with intervals, then the table (small languages folded)."""
    groups = language_groups(metrics.get("per_language"))
    head = '<section id="languages"><h2>Per language</h2>'
    translated = translated_only_note(metrics)
    tail = (note(esc(translated[0].upper() + translated[1:] + ".")) if translated else "") \
        + "</section>"
    if not groups:
        return head + note("No per-language metrics in this run.") + tail
    overall_auc = num((metrics.get("overall") or {}).get("roc_auc"))
    chart = ""
    # every large language's ΔF1 interval, once: the table's colours and the chart's left panel
    delta_f1 = delta_f1_intervals(rows, "language", order=by_rows)
    intervals = language_intervals(rows, delta_f1=delta_f1)
    if intervals:
        refs_auc = [(0.5, "--", "chance")]
        if not math.isnan(overall_auc):
            refs_auc.append((overall_auc, ":", "overall"))
        svg_text = dot_plot_svg(
            intervals,
            # each axis label on two lines: on one they ran into each other at WIDE
            [("delta_f1", "ΔF1 over all-positive\n(reference 0)", 0.0, [(0.0, "--", "zero")]),
             ("delta_auc", "ROC-AUC\n(reference: chance 0.5)", 0.5, refs_auc)],
            "lang", "Per-language ΔF1 over all-positive and ROC-AUC with 95% intervals",
            reference="reference")
        chart = figure_block(svg_text, (
            f"Languages with at least {MIN_GROUP_ROWS} rows (at most {MAX_CHART_GROUPS}: past "
            "that, those with most rows, untagged rows counted as a language; drawn in the "
            "table's order: most rows first, untagged last)."
            + left_out_words(rows, intervals) + " Dot: mean over folds; bar: "
            "95% interval of the paired per-fold values (stopped at 0 and 1 for ROC-AUC: "
            "with few folds it reaches past them); "
            "circle = whole interval above the reference, square = below, diamond = "
            "includes it. Left: F1 minus all-positive F1 (reference 0). Right: ROC-AUC "
            f"(dashed: chance 0.5; dotted: overall, pooled out-of-fold {fmt(overall_auc)})."))
    pooled = ("Table: each language pooled over its out-of-fold rows (each fold cut at its "
              "own threshold), as the verdict's pooled figures"
              + ("; the chart's dots are means over folds, so a language's Δ F1 there can "
                 "differ from its row here, though a charted language's colour is its dot's."
                 if chart else "."))
    # a +0.040 in the gain colour beside a grey diamond (interval across 0) contradicted it;
    # a language under MIN_GROUP_ROWS, or past the chart's MAX_CHART_GROUPS, kept its sign's
    return (head + chart + f'<p class="hint">{pooled}</p>'
            + _judged_table(groups, delta_f1_verdicts(delta_f1), "language", overall_auc)
            + tail)


def detected_language_section(metrics: Mapping[str, Any],
                              rows: pd.DataFrame | None = None) -> str:
    """Given tag against the language detected in the query: the tags name the market, so a
    model that does well on "en" may still fail on the Spanish queries tagged "en". ``rows``
    (the reported OOF rows) give each detected language's ΔF1 interval over the folds."""
    agreement = metrics.get("language_agreement") or {}
    groups = language_groups(metrics.get("per_detected_language"))
    if not agreement and not groups:
        return ""
    agreement_rows = "".join(_agreement_row(lang, row)
                             for lang, row in language_groups(agreement))
    table = table_wrap(
        '<table class="groups"><thead><tr><th>given language</th>'
        "<th>rows</th><th>detected the same</th><th>most often detected as</th></tr></thead>"
        f"<tbody>{agreement_rows}</tbody></table>", "given against detected language")
    overall_auc = num((metrics.get("overall") or {}).get("roc_auc"))
    return (
        '<section id="detected-languages"><h2>Given vs detected language</h2>'
        + note("Language detected from the query text (fastText lite model, script rules for "
               "Hangul, kana, Thai...). Short queries are hard to identify, so disagreement "
               "is an upper bound on mislabelled tags.")
        + table
        + (_judged_table(groups, delta_f1_verdicts(delta_f1_intervals(
            rows, "detected_language", len(groups))), "detected language", overall_auc)
           if groups else "")
        + "</section>")


def _judged_table(groups, verdicts: Mapping[str, str], key_header: str,
                  overall_auc: float) -> str:
    """A group table whose Δ F1 takes the colour of its per-fold interval, else none."""
    return (judged_hint(key_header, bool(verdicts))
            + group_table(groups, key_header, overall_auc=overall_auc, verdicts=verdicts,
                          others=UNJUDGED))


def _agreement_row(language: str, row: Mapping[str, Any]) -> str:
    others = ", ".join(f"{k} {v}" for k, v in (row.get("detected_as") or {}).items())
    share = num(row.get("agreement"))  # null for untagged rows: none to agree with
    return (f"<tr><th>{esc(language)}</th><td>{fmt_int(row.get('n'))}</td>"
            f"<td>{fmt(100 * share, 1) + '%' if share == share else '–'}</td>"
            f'<td class="text">{esc(others)}</td></tr>')


def category_section(metrics: Mapping[str, Any], rows: pd.DataFrame | None = None) -> str:
    """Per top-level category table (QC): which parts of the catalogue the model gets wrong.
    Omitted for other tasks when there is nothing to show. ``rows`` (the reported OOF rows)
    give each category's ΔF1 interval over the folds."""
    groups = sorted_groups(metrics.get("per_category"))
    head = '<section id="categories"><h2>Per top-level category</h2>'
    if not groups:
        if str(metrics.get("task", "")).upper() == "QC":
            return head + note("No per-category metrics in this run.") + "</section>"
        return ""
    shown = groups[:MAX_CATEGORY_ROWS]
    left = groups[len(shown):]
    # how much is left out: "30 largest of 32" over 15 rows and 15 folded read as all of them
    count = rows_in(left)
    rows_left = f"{count:,} {'row' if count == 1 else 'rows'}"
    others = (f"the other {len(left)} ({rows_left}) are" if len(left) > 1 else
              f"the other one ({rows_left}) is")
    more = (note(f"Showing the {len(shown)} largest of {len(groups)} categories; {others} not "
                 "listed.") if left else "")
    overall_auc = num((metrics.get("overall") or {}).get("roc_auc"))
    verdicts = delta_f1_verdicts(delta_f1_intervals(rows, "top_category", len(shown)))
    return (head + more + _judged_table(shown, verdicts, "top category", overall_auc)
            + "</section>")


def language_threshold_section(metrics: Mapping[str, Any]) -> str:
    """Per-language thresholds, where the run (or ensemble) has them: each language's shrunk
    cut beside the global one, and the nested F1 of both rules."""
    block = metrics.get("per_language_thresholds") or {}
    languages = block.get("languages") or {}
    if not languages:
        return ""
    rows = "".join(
        f"<tr><th>{esc(code)}</th><td>{fmt_int(r.get('n'))}</td>"
        f"<td>{fmt_threshold(r.get('best'))}</td><td>{fmt_threshold(r.get('threshold'))}</td></tr>"
        for code, r in language_groups(languages))
    used = block.get("used_by_predict")  # absent: recorded before it was said
    # thresholds as the verdict and the facts print them (0.5209, not 0.521)
    summary = (f"Global threshold {fmt_threshold(block.get('global_threshold'))}, shrinkage m = "
               f"{fmt(block.get('shrinkage'), 0)}. Nested F1: global cut "
               f"{fmt(block.get('global_f1_nested'))}, per-language cuts "
               f"{fmt(block.get('per_language_f1_nested'))}.")
    if used is False:
        summary += (" Not used: predict applies the global threshold to every row (an "
                    "ensemble uses these cuts when built with --per-language-thresholds).")
    elif used:
        summary += (" Used by predict: each row is cut at its language's shrunk cut, a "
                    "language not in the table at the global threshold.")
    column = {True: "shrunk cut (used)", False: "shrunk cut (not used)"}.get(used, "shrunk cut")
    return (
        '<section id="language-thresholds"><h2>Per-language thresholds</h2>'
        f'<p class="hint">{summary}</p>'
        + table_wrap('<table class="groups"><thead><tr><th>language</th><th>n</th>'
                     f"<th>best cut</th><th>{column}</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>", "per-language thresholds")
        + "</section>")
