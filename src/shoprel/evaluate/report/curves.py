"""Charts drawn from the out-of-fold scores: ROC, calibration, precision–recall, F1 against
threshold and score distributions.

Each answers one question a reader has before trusting the headline: does the score rank
relevant above irrelevant (ROC), can its values be read as probabilities (calibration), what
precision does it buy over the positive rate (PR), is the threshold near a flat optimum
(F1 vs t), and where do the classes overlap (distributions). Curves with one point per distinct
score are thinned, so file size does not grow with the number of rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from shoprel.augment.languages import by_rows
from shoprel.evaluate.report.fmt import (
    esc,
    fmt_threshold,
    legend_label,
    mpl_text,
    note,
    num,
    short_label,
)
from shoprel.evaluate.report.svg import (
    BASELINE_COLOR,
    BLACK,
    LEGEND_SIZE,
    MODEL_COLOR,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    WIDE,
    figure_block,
    legend_above,
    new_figure,
    probability_density_axes,
    svg,
)

MAX_THRESHOLD_LANGUAGES = 6  # thin per-language lines in the F1-vs-threshold plot
# each language line's dash pattern and marker: colour alone told them apart, which neither
# a colour-blind reader nor a greyscale print can (the reference lines carry no markers)
LANGUAGE_STYLES = (("-", "o"), ((0, (5, 2)), "s"), ((0, (1, 1.5)), "^"),
                   ((0, (6, 2, 1, 2)), "D"), ((0, (3, 1, 1, 1, 1, 1)), "v"), ((0, (8, 3)), "x"))
LANGUAGE_MARK_EVERY = 10  # a marker every 0.1 of threshold
MAX_CURVE_POINTS = 400
CALIBRATION_BINS = 10
THRESHOLD_GRID = np.linspace(0.0, 1.0, 101)
HIST_BINS = np.linspace(0.0, 1.0, 41)
NEEDS_BOTH = "Needs out-of-fold rows with both labels."


def clean_oof(oof: pd.DataFrame | None) -> pd.DataFrame:
    """OOF rows usable for curves: probability and label present, label as int 0/1."""
    if oof is None or len(oof) == 0 or not {"probability", "label"} <= set(oof.columns):
        return pd.DataFrame({"probability": [], "label": []})
    df = oof.dropna(subset=["probability", "label"])
    return df.assign(
        probability=df["probability"].astype(float).clip(0.0, 1.0),
        label=df["label"].astype(int),
    )


def has_both_classes(labels: np.ndarray) -> bool:
    """Curves only mean something when both labels occur."""
    return labels.size > 0 and 0 < int(labels.sum()) < labels.size


def thin_indices(n: int, max_points: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Evenly spaced indices (always keeping both ends) to cap a curve's point count."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def f1_by_threshold(
    probability: np.ndarray, label: np.ndarray, thresholds: np.ndarray = THRESHOLD_GRID
) -> np.ndarray:
    """F1 of the rule ``probability >= t`` for every t, vectorised.

    Uses sorted scores + searchsorted (O(n log n), O(n) memory) rather than an n x t boolean
    matrix, so it stays cheap for millions of rows.  F1 is NaN where it is undefined (no
    positives at all).
    """
    probability = np.asarray(probability, dtype=float)
    label = np.asarray(label).astype(bool)
    thresholds = np.asarray(thresholds, dtype=float)
    pos = np.sort(probability[label])
    neg = np.sort(probability[~label])
    tp = pos.size - np.searchsorted(pos, thresholds, side="left")
    fp = neg.size - np.searchsorted(neg, thresholds, side="left")
    fn = pos.size - tp
    denom = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)


def calibration_bins(probability: np.ndarray, label: np.ndarray,
                     bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Equal-width probability bins: mean predicted probability, observed positive rate, n."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, bins - 1)
    frame = pd.DataFrame({"bin": index, "p": probability, "y": label})
    out = frame.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"),
                                   n=("y", "size"))
    return out.reset_index()


def _operating_point(rows: pd.DataFrame) -> tuple[float, float, float]:
    """(false-positive rate, recall, precision) of the reported predictions."""
    if "prediction" not in rows.columns:
        return math.nan, math.nan, math.nan
    pred, y = rows["prediction"].to_numpy() == 1, rows["label"].to_numpy() == 1
    tp, fp = float((pred & y).sum()), float((pred & ~y).sum())
    fpr = fp / max(int((~y).sum()), 1)
    recall = tp / max(int(y.sum()), 1)
    precision = tp / pred.sum() if pred.any() else math.nan
    return fpr, recall, precision


def roc_calibration_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """ROC curve and reliability diagram side by side: ranking quality and probability quality."""
    df = clean_oof(rows)
    head = '<section id="roc"><h2>ROC curve and calibration (out-of-fold)</h2>'
    if not has_both_classes(df["label"].to_numpy()):
        return head + note(NEEDS_BOTH) + "</section>"
    p, y = df["probability"].to_numpy(), df["label"].to_numpy()
    fpr_op, recall_op, _ = _operating_point(df)
    auc = num((metrics.get("overall") or {}).get("roc_auc"))
    roc = figure_block(
        roc_svg([("model", p, y, MODEL_COLOR)], (fpr_op, recall_op), "roc"),
        f"ROC-AUC {auc:.3f}. The diagonal is chance (AUC 0.5), which is also where the "
        "all-positive baseline sits; the dot is the reported operating point.")
    table = calibration_bins(p, y)
    brier = float(np.mean((p - y) ** 2))
    rate = float(y.mean())
    cal = figure_block(
        _calibration_svg(table, brier),
        f"Mean predicted probability against the observed share of relevant rows in "
        # scores spanning 0.4-0.9 leave half the bins empty: "10 bins" over five dots read
        # as points missing
        f"{CALIBRATION_BINS} equal-width bins; a dot for each bin with rows ({len(table)} "
        "here, marker area ∝ rows). On the diagonal, a score "
        f"of 0.8 means 80 % relevant. Brier score {brier:.3f}; guessing the positive rate for "
        f"every row scores {rate * (1 - rate):.3f}.")
    return head + f'<div class="grid2">{roc}{cal}</div></section>'


def roc_svg(series, operating_point: tuple[float, float] | None, prefix: str) -> str:
    """ROC curves of (name, probability, label, colour) series over the chance diagonal."""
    fig, (ax,) = new_figure(4.6, 4.2)
    styles = ("-", "--", "-.", ":")
    for i, (name, p, y, colour) in enumerate(series):
        fpr, tpr, _ = roc_curve(y, p)
        keep = thin_indices(len(fpr))
        ax.plot(fpr[keep], tpr[keep], color=colour, linewidth=1.8, linestyle=styles[i % 4],
                label=f"{mpl_text(legend_label(name))} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color=BASELINE_COLOR, linestyle="--", linewidth=1,
            label="chance / all-positive")
    if operating_point and not any(math.isnan(v) for v in operating_point):
        ax.plot([operating_point[0]], [operating_point[1]], "o", color=BLACK, markersize=6,
                label="reported threshold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate (recall)")
    ax.legend(loc="lower right", fontsize=LEGEND_SIZE)
    names = ", ".join(str(s[0]) for s in series)
    return svg(fig, prefix, f"ROC curve (true- against false-positive rate): {names}")


def _calibration_svg(table: pd.DataFrame, brier: float) -> str:
    fig, (ax,) = new_figure(4.6, 4.2)
    ax.plot([0, 1], [0, 1], color=BASELINE_COLOR, linestyle="--", linewidth=1,
            label="perfect calibration")
    sizes = 20 + 180 * table["n"].to_numpy() / max(int(table["n"].max()), 1)
    ax.plot(table["predicted"], table["observed"], color=MODEL_COLOR, linewidth=1.2)
    ax.scatter(table["predicted"], table["observed"], s=sizes, color=MODEL_COLOR, zorder=3,
               label=f"model (Brier {brier:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed share relevant")
    ax.legend(loc="upper left", fontsize=LEGEND_SIZE)
    return svg(fig, "cal", "Calibration (reliability) plot: observed share relevant against "
                           "mean predicted probability per bin")


def pr_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """PR curve: how much precision the model buys over the all-positive precision (the
    positive rate) at each recall, and where the reported operating point sits."""
    df = clean_oof(rows)
    head = '<section id="pr"><h2>Precision–recall curve (out-of-fold)</h2>'
    if not has_both_classes(df["label"].to_numpy()):
        return head + note(NEEDS_BOTH) + "</section>"
    p, y = df["probability"].to_numpy(), df["label"].to_numpy()
    precision, recall, _ = precision_recall_curve(y, p)
    keep = thin_indices(len(recall))
    ap = float(average_precision_score(y, p))
    rate = float(y.mean())
    _, op_recall, op_precision = _operating_point(df)

    fig, (ax,) = new_figure(WIDE, 4.0)
    ax.plot(recall[keep], precision[keep], color=MODEL_COLOR, linewidth=1.6,
            label=f"model (AP {ap:.3f})")
    ax.axhline(rate, color=BASELINE_COLOR, linestyle="--", linewidth=1.2,
               label=f"all-positive precision {rate:.3f}")
    if not (math.isnan(op_recall) or math.isnan(op_precision)):
        ax.plot([op_recall], [op_precision], "o", color=BLACK, markersize=7,
                label="reported threshold")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(max(0.0, min(rate, float(precision[keep].min())) - 0.05), 1.01)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    legend_above(ax)  # lower left hid the baseline, and a curve that starts low
    caption = (
        f"Average precision {ap:.3f} against its baseline, the positive rate {rate:.3f} (dashed:"
        " the precision of predicting everything relevant). The dot is the reported operating "
        "point (each fold cut at its nested threshold)."
    )
    return head + figure_block(svg(fig, "pr", "Precision against recall"), caption) + "</section>"


def threshold_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """F1 over thresholds: whether the chosen threshold is near the OOF optimum, how flat the
    optimum is, and whether languages would want different thresholds."""
    df = clean_oof(rows)
    head = '<section id="threshold"><h2>F1 against threshold</h2>'
    if not has_both_classes(df["label"].to_numpy()):
        return head + note(NEEDS_BOTH) + "</section>"
    p, y = df["probability"].to_numpy(), df["label"].to_numpy()
    overall_f1 = f1_by_threshold(p, y)
    best = int(np.nanargmax(overall_f1))
    threshold = num(metrics.get("threshold"))
    rate = float(y.mean())
    baseline = 2 * rate / (1 + rate)

    fig, (ax,) = new_figure(WIDE, 4.2)
    if "language" in df.columns:
        language = df["language"].astype(str).to_numpy()
        names, counts = np.unique(language, return_counts=True)
        rows = dict(zip(names.tolist(), counts.tolist(), strict=True))
        # the first languages of every language listing: most rows first, untagged last
        largest = by_rows(rows)[:MAX_THRESHOLD_LANGUAGES]
        for i, lang in enumerate(largest):
            mask = language == lang
            if y[mask].sum() == 0:
                continue
            dashes, marker = LANGUAGE_STYLES[i]
            # markers staggered so that two lines' marks do not sit on one another
            ax.plot(THRESHOLD_GRID, f1_by_threshold(p[mask], y[mask]), linewidth=0.9,
                    alpha=0.8, linestyle=dashes, marker=marker, markersize=4,
                    markevery=(2 * i, LANGUAGE_MARK_EVERY), label=mpl_text(short_label(lang)))
    ax.plot(THRESHOLD_GRID, overall_f1, color=BLACK, linewidth=2.4, label="all rows")
    ax.axhline(baseline, color=BASELINE_COLOR, linestyle="--", linewidth=1.2,
               label=f"all-positive F1 {baseline:.3f}")
    if not math.isnan(threshold):
        ax.axvline(threshold, color=BLACK, linestyle=":", linewidth=1.4,
                   label=f"final threshold {fmt_threshold(threshold)}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("threshold t (relevant when probability ≥ t)")
    ax.set_ylabel("F1")
    # above: in the lower left it hid a language whose F1 starts low (its all-positive F1)
    legend_above(ax, ncols=3)
    caption = (
        "F1 of the rule probability ≥ t on a grid of 101 thresholds (thick: all rows; thin, "
        "each with its own dash pattern and marker: the largest languages). Dotted: the final "
        "threshold "
        f"{esc(fmt_threshold(threshold))}; dashed: all-positive F1. Best F1 on the grid: "
        f"{overall_f1[best]:.3f} at t = {THRESHOLD_GRID[best]:.2f} — in-sample, so optimistic."
    )
    return head + figure_block(svg(fig, "thr", "F1 against decision threshold"),
                               caption) + "</section>"


def distribution_section(metrics: Mapping[str, Any], rows: pd.DataFrame) -> str:
    """Score histograms by label: overlap is what limits AUC; the threshold line shows which
    negatives get through and which positives are lost."""
    df = clean_oof(rows)
    head = '<section id="scores"><h2>Score distributions</h2>'
    if not has_both_classes(df["label"].to_numpy()):
        return head + note(NEEDS_BOTH) + "</section>"
    p, y = df["probability"].to_numpy(), df["label"].to_numpy()
    fig, (ax,) = new_figure(WIDE, 3.5)
    for value, color, hatch, name in ((0, NEGATIVE_COLOR, "//", "label 0 (irrelevant)"),
                                      (1, POSITIVE_COLOR, "", "label 1 (relevant)")):
        scores = p[y == value]
        ax.hist(scores, bins=HIST_BINS, density=True, histtype="stepfilled", alpha=0.3,
                color=color, hatch=hatch, label=f"{name}, n={scores.size:,}")
        ax.hist(scores, bins=HIST_BINS, density=True, histtype="step", color=color,
                linewidth=1.3)
    threshold = num(metrics.get("threshold"))
    if not math.isnan(threshold):
        ax.axvline(threshold, color=BLACK, linewidth=1.2,
                   label=f"final threshold {fmt_threshold(threshold)}")
    probability_density_axes(ax)
    caption = ("Density histograms of the out-of-fold probability for irrelevant (hatched) and "
               "relevant rows; the vertical line is the final threshold.")
    return head + figure_block(svg(fig, "hist", "Histograms of out-of-fold probability by "
                                                "label"), caption) + "</section>"
