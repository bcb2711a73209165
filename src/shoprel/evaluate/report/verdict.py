"""The first screen of a report: what the run is worth, with its uncertainty, then the facts.

A model that calls 97 % of rows relevant can sit a hair above the all-positive baseline; a
single green "+0.003" would read as a win. So the verdict leads with the paired per-fold
interval of F1 over all-positive and of ROC-AUC over chance, and colours a difference as a
gain only when its whole interval lies above zero. Beside it: how many rows the model calls
relevant, average precision and Brier score next to what a constant guess scores, and how the
threshold was chosen (a threshold tuned on the very rows it is scored on flatters F1).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from shoprel.evaluate.console import all_relevant_note, all_relevant_words, timing_parts
from shoprel.evaluate.intervals import (
    AUC_OVER_CHANCE,
    DIFFERENCE,
    f1_over_all_positive,
    paired_interval,
    verdict,
)
from shoprel.evaluate.optimistic import optimistic_members
from shoprel.evaluate.report.fmt import (
    MISSING,
    esc,
    fmt,
    fmt_int,
    fmt_pct,
    fmt_signed,
    fmt_threshold,
    num,
)
from shoprel.models.model_words import model_words
from shoprel.run.data import recorded_field

NEAR_ALL_POSITIVE = 0.9  # predicted positive rate above which the model is nearly all-positive
FAR_PAIRS_FLAG = 0.5  # share of far pairs called relevant above which the verdict flags it

_HEADLINES = {
    "gain": "Beats predicting everything relevant",
    "loss": "Worse than predicting everything relevant",
    "unclear": "No clear gain over predicting everything relevant",
}


def fold_intervals(metrics: Mapping[str, Any]) -> dict[str, dict]:
    """ΔF1 (model − all-positive) and ΔAUC (AUC − 0.5) from the per-fold rows of metrics.json,
    recomputed here so runs saved before metrics.json carried them get the same verdict."""
    folds = [f for f in metrics.get("per_fold") or [] if isinstance(f, Mapping)]
    f1 = [f1_over_all_positive(f) for f in folds]
    auc = [num(f.get("roc_auc")) - 0.5 for f in folds]
    return {"delta_f1": paired_interval(f1, bounds=DIFFERENCE),
            "delta_auc": paired_interval(auc, bounds=AUC_OVER_CHANCE)}


def interval_text(interval: Mapping[str, Any]) -> str:
    """'+0.012 (95% interval −0.004 to +0.028, 5 folds)', or what is missing."""
    if interval.get("mean") is None:
        return MISSING
    if interval.get("low") is None:
        return f"{fmt_signed(interval['mean'])} (one fold: no interval)"
    level = round(100 * float(interval.get("confidence", 0.95)))
    return (f"{fmt_signed(interval['mean'])} ({level}% interval {fmt_signed(interval['low'])} "
            f"to {fmt_signed(interval['high'])}, {interval['k']} folds)")


def verdict_section(metrics: Mapping[str, Any], title: str) -> str:
    """Title and verdict box: the part that must fit in the first screen."""
    overall = metrics.get("overall") or {}
    intervals = fold_intervals(metrics)
    state = verdict(intervals["delta_f1"])
    auc_state = verdict(intervals["delta_auc"])
    rate, predicted = num(overall.get("positive_rate")), num(overall.get("predicted_positive_rate"))
    f1, baseline = overall.get("f1"), overall.get("baseline_all_positive_f1")
    items = [
        f"<li>Pooled out-of-fold: F1 {fmt(f1)} against all-positive {fmt(baseline)} (ΔF1 "
        f"{fmt_signed(num(f1) - num(baseline))}). Mean over folds: ΔF1 "
        f'<span class="{state}">{esc(interval_text(intervals["delta_f1"]))}</span></li>',
        f"<li>Pooled out-of-fold: ROC-AUC {fmt(overall.get('roc_auc'))}. Mean over folds: "
        f"ΔAUC over chance (0.5) "
        f'<span class="{auc_state}">{esc(interval_text(intervals["delta_auc"]))}</span></li>',
        *member_items(metrics),
        f"<li>Predicted relevant: {fmt_pct(predicted)} of rows (labels: {fmt_pct(rate)})"
        + _all_positive_flag(overall, predicted) + "</li>",
        *far_pairs_items(metrics),
        *([f'<li><span class="flag">Every out-of-fold probability is '
           f'{fmt(metrics["constant_probability"])}</span>: the models learnt nothing that '
           "tells these rows apart (too few rows?)</li>"]
          if metrics.get("constant_probability") is not None else []),
        f"<li>Average precision {fmt(overall.get('average_precision'))} (baseline: the "
        f"positive rate {fmt(rate)})</li>",
        f"<li>Brier score {fmt(overall.get('brier'))} (a constant guess of the positive rate: "
        f"{fmt(rate * (1 - rate) if not math.isnan(rate) else None)}; lower is better)</li>",
        f"<li>{threshold_text(metrics)}</li>",
        *distillation_items(metrics),
        *noise_items(metrics),
    ]
    return (
        f"<header><h1>{esc(title)}</h1></header>\n"
        f'<section id="verdict" class="verdict verdict-{state}" aria-label="verdict">'
        f'<p class="headline"><strong>{_HEADLINES[state]}</strong></p>'
        f"<ul>{''.join(items)}</ul>"
        '<p class="hint">Pooled out-of-fold: computed once over all out-of-fold rows, each fold '
        "cut at its own threshold, as in the tables below (average precision and Brier score "
        "too). Mean over folds: the mean of the paired per-fold differences (the fold table's "
        "mean row) with a Student t interval over the folds, so it can differ from the pooled "
        "difference; a difference is marked a gain only when its whole interval lies above 0. "
        "The all-positive baseline predicts 1 for every row.</p></section>"
    )


def _all_positive_flag(overall: Mapping[str, Any], predicted: float) -> str:
    """The flag beside the share called relevant: every row (train's warning, the note
    metrics.json's `all_relevant` carries), else nearly every row."""
    if note := all_relevant_note(dict(overall), who="the run"):
        return f' — <span class="flag">{esc(note)}</span>'
    return (' — <span class="flag">nearly everything is called relevant</span>'
            if predicted >= NEAR_ALL_POSITIVE else "")


def member_items(metrics: Mapping[str, Any]) -> list[str]:
    """An ensemble's members beside it, pooled out-of-fold on the same rows: an ensemble that
    ranks below one of its members is worth less than that member alone."""
    members = [m for m in metrics.get("members") or [] if isinstance(m, Mapping)]
    if not members:
        return []
    figures = "; ".join(f"{esc(m.get('name', MISSING))} ROC-AUC {fmt(m.get('roc_auc'))}, "
                        f"F1 {fmt(m.get('f1'))}" for m in members)
    auc = num((metrics.get("overall") or {}).get("roc_auc"))
    best = max(members, key=lambda m: _or_minus_one(num(m.get("roc_auc"))))
    flag = ""
    if round(num(best.get("roc_auc")), 3) > round(auc, 3):  # below as the figures print
        # only the words in the flag: it does not wrap, and a phone is narrow
        flag = (f' — <span class="flag">ranks below its member {esc(best.get("name"))}</span> '
                f"(ROC-AUC {fmt(auc)} against {fmt(best.get('roc_auc'))})")
    # a leaky student among them: the ensemble's figures above inherit the leak
    leaky = [f'<li>Member {esc(name)}: <span class="flag">its OOF figures are optimistic'
             f"</span>, and so are the ensemble's ({esc(why)})</li>"
             for name, why in optimistic_members(metrics)]
    return [f"<li>Members, pooled out-of-fold on the same rows: {figures}{flag}</li>", *leaky]


def _or_minus_one(x: float) -> float:
    return -1.0 if math.isnan(x) else x


def distillation_items(metrics: Mapping[str, Any]) -> list[str]:
    """A distilled student says so, with its teacher and what its OOF figures are worth."""
    block = metrics.get("distillation")
    if not isinstance(block, Mapping):
        return []
    teacher = block.get("teacher") or {}
    theirs = block.get("teacher_oof") or {}
    return [f"<li>A student distilled from {esc(teacher.get('name', MISSING))} (its OOF "
            f"ROC-AUC {fmt(theirs.get('roc_auc'))}, F1 {fmt(theirs.get('f1'))}; hard weight "
            f"{fmt(block.get('hard_weight'), 2)}): {esc(block.get('caveat') or MISSING)}</li>"]


def noise_items(metrics: Mapping[str, Any]) -> list[str]:
    """A run trained with noise.flagged ids chosen from a run over its own rows says so: its OOF
    figures are optimistic (training/noise_filter.py records why)."""
    block = metrics.get("noise")
    if not isinstance(block, Mapping) or not block.get("oof_optimistic"):
        return []
    return [f'<li><span class="flag">Its OOF figures are optimistic</span>: '
            f"{esc(block.get('caveat') or MISSING)}</li>"]


def far_pairs_items(metrics: Mapping[str, Any]) -> list[str]:
    """The far-pairs check in one line, flagged when most plainly irrelevant pairs pass."""
    far = metrics.get("far_pairs")
    if not isinstance(far, Mapping):
        # an ensemble's page left the check out unsaid: a reader of its members' pages looked
        # for it here
        return (["<li>Far pairs: no check of its own (an ensemble has no fold models to score "
                 "them with; each member's report has its own)</li>"]
                if metrics.get("members") else [])
    called = num(far.get("called_relevant"))
    flag = (' — <span class="flag">most plainly irrelevant pairs are called relevant</span>'
            if called >= FAR_PAIRS_FLAG else "")
    return [f'<li>Far pairs (<a href="#far-pairs">below</a>): {fmt_pct(called)} of '
            f"{fmt_int(far.get('n'))} called relevant{flag}</li>"]


def threshold_text(metrics: Mapping[str, Any]) -> str:
    """How the threshold was chosen, and which figure each threshold produced."""
    selection = metrics.get("threshold_selection") or {}
    final = fmt_threshold(metrics.get("threshold"))
    if not selection:
        return (f"Threshold {esc(final)}; method not recorded: this run predates nested "
                "thresholds, so its F1 is scored at a threshold tuned on the same rows "
                "(optimistic). Retrain or re-run to get the nested figure.")
    cuts = [num(v) for v in (selection.get("fold_thresholds") or {}).values()]
    cuts = [c for c in cuts if not math.isnan(c)]
    spread = (f"; per-fold thresholds {fmt_threshold(min(cuts))}–{fmt_threshold(max(cuts))}"
              if cuts and selection.get("method") != "fixed" else "")
    in_sample = (selection.get("in_sample") or {}).get("f1")
    languages = metrics.get("per_language_thresholds") or {}
    used = ("used by predict for languages without their own cut; per-language cuts below"
            if languages.get("used_by_predict") else "used by predict")
    scored = (f"F1 at that cut: {fmt(in_sample)}" if selection.get("method") == "fixed" else
              f"F1 at the final threshold on the same rows it was tuned on: {fmt(in_sample)} "
              "(optimistic)")
    return (f"Threshold: {esc(selection.get('description', selection.get('method', '?')))}. "
            f"Final threshold {esc(final)} ({used}){spread}; {scored}.")


def facts_section(metrics: Mapping[str, Any], oof_rows: int) -> str:
    """What was run, folded below the verdict; file names only, never the training machine's
    absolute paths."""
    model = metrics.get("model") or {}
    params = model.get("params") or {}
    params_text = ", ".join(
        f"{k}={json.dumps(v, default=str, ensure_ascii=False)}" for k, v in params.items()
    )
    overall = metrics.get("overall") or {}
    timing = metrics.get("timing") or {}
    facts = [
        ("task", metrics.get("task", MISSING)),
        ("model family", model.get("family", MISSING)),
        ("model params", params_text or MISSING),
        ("run name", metrics.get("run_name", MISSING)),
        ("created", metrics.get("created", MISSING)),
        ("threshold", fmt_threshold(metrics.get("threshold"))),
        ("rows (metrics)", fmt_int(overall.get("n"))),
        ("rows (out-of-fold file)", fmt_int(oof_rows)),
        ("folds", len(metrics.get("per_fold") or []) or MISSING),
    ]
    timing_text = _timing_fact(metrics, timing)
    if timing_text:
        facts.append(("timing", timing_text))
    facts.extend(_data_facts(metrics))
    student = metrics.get("student")
    if isinstance(student, Mapping):
        facts.append(("carried student", _student_text(student)))
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    return (
        '<section id="facts"><details><summary>Run facts (model, parameters, timing, '
        f'data)</summary><div class="table-wrap"><table class="facts">{rows}</table></div>'
        "</details></section>"
    )


def _data_facts(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The training file's name and the augmented rows (when any): one value, or one per
    member where an ensemble's members differ (run/data.py)."""
    facts = []
    files = [(name, PurePath(str(file)).name)
             for name, file in recorded_field(dict(metrics), "train_file") if file]
    if files:
        facts.append(("training file", _per_member(files)))
    augmented = recorded_field(dict(metrics), "augmented_rows")
    if any(n for _, n in augmented):
        facts.append(("augmented rows", _per_member([(name, fmt_int(n))
                                                      for name, n in augmented])))
    return facts


def _per_member(values: list[tuple[str, str]]) -> str:
    """The value all members share, else "a: value; b: value"."""
    if len({value for _, value in values}) == 1:
        return values[0][1]
    return "; ".join(f"{name}: {value}" for name, value in values)


def _student_text(student: Mapping[str, Any]) -> str:
    """The distilled student the run carries (RUN/student), its OOF figures beside the run's."""
    if student.get("error"):
        return f"none: its distillation failed ({student['error']})"
    ours = student.get("student_oof") or {}
    theirs = student.get("teacher_oof") or {}
    took = _timing_text("distilled_in_seconds", student.get("seconds"))
    return (f"{model_words(student.get('family', MISSING), student.get('backbone'))} in "
            f"{student.get('folder', 'student')}/: OOF ROC-AUC {fmt(ours.get('roc_auc'))}, "
            f"F1 {fmt(ours.get('f1'))} (this run: {fmt(theirs.get('roc_auc'))}, "
            f"{fmt(theirs.get('f1'))}; {_student_oof_worth(student)})"
            f"{all_relevant_words(ours)}; {took}; predict/serve --scorer student")


def _student_oof_worth(student: Mapping[str, Any]) -> str:
    """What the student's OOF is worth, as its distillation judged it (`caveat`, from
    training/distill.py's oof_caveat); a student recorded without one learnt soft targets."""
    caveat = student.get("caveat")
    if isinstance(caveat, str) and caveat:
        return caveat
    return "the student's OOF is optimistic: its soft targets saw its validation rows"


_STAGE_KEYS = ("cv_seconds", "rows_per_second_cv", "curve_seconds", "final_fit_seconds")


def _timing_fact(metrics: Mapping[str, Any], timing: Mapping[str, Any]) -> str:
    """The cross-validation's time and rate, then each later stage in the order it was spent
    and named as train's summary and compare name it (console.timing_parts): the fact read
    "cv: 396.9 s, final fit: 84.1 s, rows per second cv: 120, curve: 700.6 s", the learning
    curve last under a name of its own, and left out stage 0's time. Keys it does not know
    follow as recorded."""
    words = []
    if "cv_seconds" in timing:
        words.append(_timing_text("cv_seconds", timing["cv_seconds"]))
        rate = num(timing.get("rows_per_second_cv"))
        if not math.isnan(rate):
            words[-1] += f" ({rate:,.0f} rows/s)"
    elif "rows_per_second_cv" in timing:
        words.append(_timing_text("rows_per_second_cv", timing["rows_per_second_cv"]))
    words += [f"{name}: {seconds:.1f} s" for name, seconds in timing_parts(dict(metrics))
              if name != "student"]  # the carried student's fact gives its own time
    words += [_timing_text(k, v) for k, v in timing.items() if k not in _STAGE_KEYS]
    return ", ".join(words)


def _timing_text(key: str, value: Any) -> str:
    """One timing entry: '*_seconds' keys as 'cv: 31.2 s', other rates as plain numbers."""
    x = num(value)
    if key.endswith("_seconds"):
        name = key.removesuffix("_seconds").replace("_", " ")
        return f"{name}: {MISSING if math.isnan(x) else f'{x:.1f} s'}"
    return f"{key.replace('_', ' ')}: {MISSING if math.isnan(x) else f'{x:,.0f}'}"
