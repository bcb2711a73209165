"""How each fine-tuned fit trained: did the held-out score rise, where did it peak, did early
stopping or the time budget end it? A fit that peaks at its first steps and then falls is
memorising its groups; one still rising when stopped wanted more steps.

metrics.json's ``fine_tuning`` holds one record per fit (each fold's, then the final model's):
``{"fit", "steps" | "global_step", "seconds", "best_step", "holdout_roc_auc_start",
"holdout_roc_auc_best", "holdout_curve": [[step, roc_auc], ...], ...}`` as the family wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from shoprel.evaluate.report.fmt import esc, fmt, fmt_int, mpl_text, note, num
from shoprel.evaluate.report.page import table_wrap
from shoprel.evaluate.report.svg import (
    LEGEND_SIZE,
    SERIES,
    WIDE,
    figure_block,
    new_figure,
    svg,
)

COLUMNS = (  # (heading, key(s) in the record, formatter)
    ("rows", ("rows",), fmt_int),
    ("steps", ("steps", "global_step"), fmt_int),
    ("best step", ("best_step",), fmt_int),
    ("held-out ROC-AUC at step 0", ("holdout_roc_auc_start",), fmt),
    ("best held-out ROC-AUC", ("holdout_roc_auc_best",), fmt),
    ("seconds", ("seconds",), lambda v: fmt(v, 0)),
)


def _value(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((record[k] for k in keys if record.get(k) is not None), None)


def _curve(record: Mapping[str, Any]) -> np.ndarray:
    """The (step, ROC-AUC) points of a record as an (n, 2) array; empty when malformed."""
    points = [p for p in record.get("holdout_curve") or []
              if isinstance(p, list | tuple) and len(p) == 2]
    values = np.array([[num(s), num(a)] for s, a in points], dtype=float).reshape(-1, 2)
    return values[~np.isnan(values).any(axis=1)]


def fine_tuning_section(metrics: Mapping[str, Any]) -> str:
    # a record of the broken backbone alone (the embed family's: it fine-tunes nothing) is
    # not a fit that trained
    records = [r for r in metrics.get("fine_tuning") or [] if isinstance(r, Mapping)
               and set(r) - {"fit", "missing_encoder_weights"}]
    if not records:
        return ""
    curves = [(str(r.get("fit", i)), _curve(r)) for i, r in enumerate(records)]
    plot = ""
    if any(len(c) for _, c in curves):
        fig, (ax,) = new_figure(WIDE, 3.2)
        for i, (name, curve) in enumerate(c for c in curves if len(c[1])):
            color = SERIES[i % len(SERIES)]
            ax.plot(curve[:, 0], curve[:, 1], "o-", color=color, markersize=3, linewidth=1.2,
                    label=mpl_text(name))
            best = int(np.argmax(curve[:, 1]))
            ax.plot(curve[best, 0], curve[best, 1], "*", color=color, markersize=11)
        ax.set_xlabel("training step")
        ax.set_ylabel("held-out ROC-AUC")
        ax.legend(loc="lower right", fontsize=LEGEND_SIZE, ncol=2)
        plot = figure_block(
            svg(fig, "tune", "Held-out ROC-AUC against training steps, one line per fit"),
            "Each fit scores rows of groups it does not train on (the same kind of split as the "
            "folds) every few steps; the star marks the weights it kept. A line that falls "
            "after its first points means the fit memorises what it trains on; one still "
            "rising at its end wanted more steps.")
    shown = [c for c in COLUMNS if any(_value(r, c[1]) is not None for r in records)]
    heads = "".join(f"<th>{esc(h)}</th>" for h, _, _ in shown)
    body = "".join(
        f"<tr><th>{esc(r.get('fit', i))}</th>"
        + "".join(f"<td>{esc(render(_value(r, keys)))}</td>" for _, keys, render in shown)
        + f"<td>{esc(_ended(r))}</td></tr>"
        for i, r in enumerate(records))
    table = table_wrap(f'<table class="groups"><thead><tr><th>fit</th>{heads}<th>ended by</th>'
                       f"</tr></thead><tbody>{body}</tbody></table>", "fine-tuning")
    if not plot:
        table += note("The fits kept no held-out scores (no early-stopping rows).")
    return ('<section id="fine-tuning"><h2>Fine-tuning</h2>' + plot + table + "</section>")


def _ended(record: Mapping[str, Any]) -> str:
    if record.get("stopped_by_time_budget"):
        return "time budget"
    return "early stopping" if record.get("stopped_early") else "schedule"
