"""The comparison page: runs on the same rows and folds side by side, in one offline file.

It leads with the paired verdict of every run against the reference (interval and fold wins),
then the per-fold table a reader can check, the ROC and precision–recall curves overlaid,
each run's per-language figures and the paired differences, and what each run costs to
train and keep. Every F1 stands beside the all-positive F1 of the same rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import rc_context
from sklearn.metrics import average_precision_score, precision_recall_curve

from shoprel.evaluate.compare import (
    MAX_LANGUAGES,
    MIN_GROUP_ROWS,
    Comparison,
    compare_runs,
    interval_text,
)
from shoprel.evaluate.console import TIMED_STAGES
from shoprel.evaluate.intervals import verdict
from shoprel.evaluate.metrics import grouped_metrics
from shoprel.evaluate.report.curves import roc_svg, thin_indices
from shoprel.evaluate.report.far_pairs import FIGURE_HEADERS, figure_cells
from shoprel.evaluate.report.fmt import (
    esc,
    fmt,
    fmt_int,
    fmt_pct,
    fmt_signed,
    legend_label,
    minus_signs,
    mpl_text,
    num,
)
from shoprel.evaluate.report.groups import dot_plot_svg, left_out_words
from shoprel.evaluate.report.page import check_page_replaceable, document, table_wrap
from shoprel.evaluate.report.svg import (
    BASELINE_COLOR,
    PLOT_RC,
    SERIES,
    figure_block,
    legend_above,
    new_figure,
    svg,
)


def render_comparison(comparison: Comparison) -> str:
    """One self-contained HTML document comparing the runs."""
    names = [s.name for s in comparison.runs]
    title = f"shoprel {comparison.task} comparison — {' vs '.join(names)}"
    with rc_context(PLOT_RC):
        sections = [
            _verdict(comparison, title),
            _runs_section(comparison),
            _fold_section(comparison),
            _curves_section(comparison),
            _language_section(comparison),
            _far_pairs_section(comparison),
            _cost_section(comparison),
        ]
    return document(title, "\n".join(s for s in sections if s))


def write_comparison(run_dirs: list[str | Path], out_file: str | Path,
                     overwrite: bool = False) -> tuple[Path, Comparison]:
    """Compare the runs and write the page atomically; returns (path, comparison). The page
    may not land inside one of the runs it reads (a run folder holds only what training wrote)
    nor replace an existing file without `overwrite`, nor with it one shoprel did not write
    (page.check_page_replaceable).
    """
    from shoprel.utils.atomic import atomic_file
    from shoprel.utils.outputs import check_html_name, check_output_file

    check_output_file(out_file, runs=run_dirs, overwrite=overwrite, guard=_compare_guard)
    check_html_name(out_file)
    comparison = compare_runs(run_dirs)
    text = render_comparison(comparison)
    target = Path(out_file)
    # kept if made meanwhile, or (with `overwrite`) if no page shoprel wrote
    with atomic_file(target, replace=overwrite, durable=True, guard=_compare_guard) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return target, comparison


def _compare_guard(out: Path) -> None:
    check_page_replaceable(out, "compare")


def _verdict(c: Comparison, title: str) -> str:
    states = [verdict(p["delta_auc"]) for p in c.pairs]
    state = "gain" if all(s == "gain" for s in states) else (
        "loss" if all(s == "loss" for s in states) else "unclear")
    items = "".join(_pair_item(p, c.folds) for p in c.pairs)
    return (
        f"<header><h1>{esc(title)}</h1></header>"
        f'<section id="verdict" class="verdict verdict-{state}" aria-label="verdict">'
        f'<p class="headline"><strong>{c.rows:,} {esc(c.task)} rows, {c.folds} folds, '
        f"reference: {esc(c.runs[0].name)}</strong></p><ul>{items}</ul>"
        + "".join(f'<p class="hint"><strong>Caveat:</strong> {esc(line)}</p>'
                  for line in c.caveats) +
        '<p class="hint">Differences are run minus reference on the same held-out rows of each '
        "fold; the figure is their mean over folds (the curves' AUC and AP are pooled over all "
        "out-of-fold rows, so their difference can differ from it), the interval a Student t "
        "interval over the paired per-fold differences, and a difference counts only when its "
        "whole interval excludes 0. F1 uses each run's reported predictions (each fold cut at "
        "its own nested threshold).</p></section>"
    )


def _pair_item(pair: dict, folds: int) -> str:
    """One pair's verdict; ΔAUC and ΔF1 coloured each by its own interval."""
    words = {"gain": "better", "loss": "worse", "unclear": "no clear difference"}
    parts = [f"<strong>{esc(pair['b'])} − {esc(pair['a'])}</strong>, mean over folds:"]
    for key, name, wins in (("delta_auc", "ΔAUC", "auc_better_folds"),
                            ("delta_f1", "ΔF1", "f1_better_folds")):
        state = verdict(pair[key])
        parts.append(f'{name} <span class="{state}">{esc(minus_signs(interval_text(pair[key])))}, '
                     f"{words[state]}</span>; higher on {pair[wins]}/{folds} folds.")
    return f"<li>{' '.join(parts)}</li>"


def _runs_section(c: Comparison) -> str:
    """Each run's own figures, pooled over all out-of-fold rows, as the terminal summary
    prints them: the differences above say which run is better, not how good either is."""
    body = "".join(_run_row(side) for side in c.runs)
    return ('<section id="runs"><h2>Runs</h2><p class="hint">Each run pooled over all '
            "out-of-fold rows, each fold cut at its own nested threshold.</p>" + table_wrap(
                "<table><thead><tr><th>run</th><th>ROC-AUC</th><th>F1</th>"
                "<th>all-positive F1</th><th>Δ F1</th><th>predicted relevant</th></tr></thead>"
                f"<tbody>{body}</tbody></table>", "runs") + "</section>")


def _run_row(side) -> str:
    o = side.overall
    f1, baseline = o.get("f1"), o.get("baseline_all_positive_f1")
    return (f"<tr><th>{esc(side.name)}</th><td>{fmt(o.get('roc_auc'))}</td><td>{fmt(f1)}</td>"
            f"<td>{fmt(baseline)}</td><td>{fmt_signed(num(f1) - num(baseline))}</td>"
            f"<td>{fmt_pct(o.get('predicted_positive_rate'))}</td></tr>")


def _fold_section(c: Comparison) -> str:
    parts = ['<section id="folds"><h2>Per fold</h2><p class="hint">All-positive F1: the F1 of '
             "calling every row of the fold relevant, the same for both runs, the figure each "
             "F1 must beat.</p>"]
    for pair in c.pairs:
        a, b = esc(pair["a"]), esc(pair["b"])
        # each figure to the 4 decimals of its difference, so a row's subtraction reads
        # (0.584 and 0.688 beside a ΔAUC of -0.1038 did not)
        body = "".join(
            f"<tr><th>{r['fold']}</th><td>{fmt_int(r['n'])}</td><td>{fmt(r['auc_a'], 4)}</td>"
            f"<td>{fmt(r['auc_b'], 4)}</td><td>{fmt_signed(r['delta_auc'], 4)}</td>"
            f"<td>{fmt(r['f1_a'], 4)}</td><td>{fmt(r['f1_b'], 4)}</td>"
            f"<td>{fmt_signed(r['delta_f1'], 4)}</td><td>{fmt(r.get('baseline_f1'), 4)}</td>"
            "</tr>" for r in pair["per_fold"])
        parts.append(f"<h3>{b} against {a}</h3>" + table_wrap(
            # a run's name may wrap: a long one (no spaces) pushed the table out of its box
            f'<table><thead><tr><th>fold</th><th>n</th><th class="name">AUC {a}</th>'
            f'<th class="name">AUC {b}</th><th>ΔAUC</th><th class="name">F1 {a}</th>'
            f'<th class="name">F1 {b}</th><th>ΔF1</th><th>all-positive F1</th></tr></thead>'
            f"<tbody>{body}</tbody></table>", f"per-fold {pair['b']} against {pair['a']}"))
    return "".join(parts) + "</section>"


def _curves_section(c: Comparison) -> str:
    y = c.base["label"].to_numpy()
    if not 0 < int(y.sum()) < len(y):
        return ""
    series = [(s.name, c.probabilities[:, i], y, SERIES[i % len(SERIES)])
              for i, s in enumerate(c.runs)]
    roc = figure_block(roc_svg(series, None, "roc"),
                       "Out-of-fold ROC curves of every run on the same rows, the AUC in the "
                       "legend pooled over all of them; the diagonal is chance.")
    pr = figure_block(_pr_overlay(series), "Out-of-fold precision–recall curves, the AP in the "
                                           "legend pooled over all rows; dashed: the positive rate "
                                           "(precision of all-positive).")
    return ('<section id="curves"><h2>ROC and precision–recall curves</h2>'
            f'<div class="grid2">{roc}{pr}</div></section>')


def _pr_overlay(series) -> str:
    fig, (ax,) = new_figure(4.6, 4.2)
    styles = ("-", "--", "-.", ":")
    rate = float(np.mean(series[0][2]))
    for i, (name, p, y, colour) in enumerate(series):
        precision, recall, _ = precision_recall_curve(y, p)
        keep = thin_indices(len(recall))
        ax.plot(recall[keep], precision[keep], color=colour, linestyle=styles[i % 4],
                linewidth=1.6,
                label=f"{mpl_text(legend_label(name))} (AP {average_precision_score(y, p):.3f})")
    ax.axhline(rate, color=BASELINE_COLOR, linestyle="--", linewidth=1,
               label=f"positive rate {rate:.3f}")
    ax.set_xlim(0, 1.01)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    legend_above(ax)
    names = ", ".join(str(s[0]) for s in series)
    return svg(fig, "pr", f"Precision against recall: {names}")


def _language_section(c: Comparison) -> str:
    parts = []
    for i, pair in enumerate(c.pairs):
        langs = pair.get("per_language") or {}
        if not langs:
            continue
        # ΔF1 left, ΔROC-AUC right, as the run report's per-language chart and tables
        chart = dot_plot_svg(
            langs,
            [("delta_f1", "ΔF1", 0.0, [(0.0, "--", "zero")]),
             ("delta_auc", "ΔROC-AUC", 0.0, [(0.0, "--", "zero")])],
            f"lang{i}", f"Per-language ΔF1 and ΔROC-AUC of {pair['b']} over {pair['a']} "
                        "with 95% intervals")
        parts.append(f"<h3>{esc(pair['b'])} against {esc(pair['a'])}</h3>" + figure_block(
            chart, f"Languages with at least {MIN_GROUP_ROWS} rows (at most {MAX_LANGUAGES}: past "
                   "that, those with most rows, untagged rows counted as a language)."
                   + left_out_words(c.base, langs, fate="not charted")
                   # which way a difference points: the axes say only "ΔF1"
                   + f" Dot: mean paired per-fold difference, {esc(pair['b'])} minus "
                     f"{esc(pair['a'])} (right of 0: {esc(pair['b'])} scores higher); bar: 95% "
                     "interval; circle = above 0, square = below, diamond = includes 0."))
    if not parts:
        return ""
    charted = next(pair["per_language"] for pair in c.pairs if pair.get("per_language"))
    return ('<section id="languages"><h2>Per language</h2>' + _language_table(c, list(charted))
            + "".join(parts) + "</section>")


def _language_table(c: Comparison, languages: list[str]) -> str:
    """Each run's own figures in each charted language, pooled over its out-of-fold rows (each
    fold cut at its nested threshold), beside the language's all-positive F1: the charts below
    give only differences, so how good either run is in a language was nowhere on the page."""
    groups = c.base["language"].astype(str).to_numpy()
    labels = c.base["label"].to_numpy()
    per_run = [grouped_metrics(labels, c.predictions[:, i], c.probabilities[:, i], groups)
               for i in range(len(c.runs))]
    body = []
    for name in languages:
        scored = [run[name] for run in per_run]
        body.append(f"<tr><th>{esc(name)}</th><td>{fmt_int(scored[0]['n'])}</td>"
                    f"<td>{fmt(scored[0]['baseline_all_positive_f1'])}</td>"
                    + "".join(f"<td>{fmt(m['f1'])}</td>" for m in scored)
                    + "".join(f"<td>{fmt(m['roc_auc'])}</td>" for m in scored) + "</tr>")
    heads = ("".join(f'<th class="name">F1 {esc(s.name)}</th>' for s in c.runs)
             + "".join(f'<th class="name">ROC-AUC {esc(s.name)}</th>' for s in c.runs))
    return ('<p class="hint">Each run pooled over the language\'s out-of-fold rows, each fold '
            "cut at its own nested threshold; all-positive F1: calling every row of the "
            "language relevant (ROC-AUC's reference is chance, 0.5).</p>" + table_wrap(
                '<table><thead><tr><th>language</th><th>n</th><th>all-positive F1</th>'
                f"{heads}</tr></thead><tbody>{''.join(body)}</tbody></table>",
                "each run per language"))


def _far_pairs_section(c: Comparison) -> str:
    """Each run's far-pairs check side by side (same rows, folds and seed: the same pairs)."""
    if not any(s.far_pairs for s in c.runs):
        return ""
    body = "".join(f"<tr><th>{esc(s.name)}</th>{figure_cells(s.far_pairs)}</tr>" for s in c.runs)
    missing = [s.name for s in c.runs if not s.far_pairs]
    # a row of dashes said nothing of why (an ensemble's always: it has no fold models)
    why = (f" No check recorded for {esc(', '.join(missing))} (dashes): an ensemble has no fold "
           "models of its own to score far pairs with, and a run trained without the check "
           "gains it with <code>shoprel far-pairs RUN</code>." if missing else "")
    return ('<section id="far-pairs"><h2>Far pairs</h2><p class="hint">Pairs of a relevant '
            "row's query with a target far from it, scored by each fold's model (the report's "
            "far-pairs section); fewer called relevant is better, at the same recall of the "
            f"relevant rows.{why}</p>" + table_wrap(
                f"<table><thead><tr><th>run</th>{FIGURE_HEADERS}</tr></thead>"
                f"<tbody>{body}</tbody></table>", "far pairs") + "</section>")


def _cost_section(c: Comparison) -> str:
    """CV seconds, then a column for each other stage a run recorded (stage 0, learning curve,
    final fit, student: the stages and order of train's summary line)."""
    stages = list(dict.fromkeys(name for s in c.runs for name in s.cost["stage_seconds"]))
    stages.sort(key=TIMED_STAGES.index)
    body = "".join(
        f'<tr><th>{esc(s.name)}</th><td class="word">{esc(s.folder)}</td>'
        f"<td>{fmt(s.cost['cv_seconds'], 1)}</td>"
        + "".join(f"<td>{fmt(s.cost['stage_seconds'].get(name), 1)}</td>" for name in stages)
        + f"<td>{fmt_int(s.cost['rows_per_second_cv'])}</td>"
        f'<td>{fmt(s.cost["size_bytes"] / 1e6, 1)}</td><td class="word">{esc(s.threshold_method)}'
        "</td></tr>"
        for s in c.runs)
    stage_heads = "".join(f"<th>{esc(name)} seconds</th>" for name in stages)
    return ('<section id="cost"><h2>Cost</h2>' + table_wrap(
        '<table><thead><tr><th>run</th><th class="word">folder</th><th>CV seconds</th>'
        # a short head: "size on disk (MB; an ensemble's with its members')" pushed the
        # last column out of a 1,280 px window's box; the hint below says it instead
        f"{stage_heads}<th>CV rows/s</th><th>size on disk (MB)</th>"
        f'<th class="word">threshold method</th></tr></thead><tbody>{body}</tbody></table>',
        "cost")
        + '<p class="hint">Timings as recorded by each run on the machine that trained it; '
          "runs trained on different machines or under different load are not comparable "
          "on time. An ensemble's size on disk counts its members'.</p></section>")
