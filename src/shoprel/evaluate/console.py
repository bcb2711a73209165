"""Plain-text views of metrics for the terminal (the commands print these)."""

from __future__ import annotations

import math

from shoprel.utils.scalars import recorded_number


def _fmt(value) -> str:
    return "–" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))


def metrics_table(metrics: dict) -> str:
    """A plain-text table: overall, then each language, model next to the all-positive baseline.
    The languages take the order of every language listing (augment.languages.by_rows: most
    rows first, ties by code, untagged last), as the report's tables do, whatever order
    metrics.json keeps them in."""
    from shoprel.augment.languages import by_rows

    header = f"{'slice':<14}{'n':>7}{'F1':>8}{'base F1':>9}{'AUC':>8}{'prec':>8}{'recall':>8}"
    lines = [header, "-" * len(header)]
    languages = metrics.get("per_language", {})
    slices = [("overall", metrics["overall"])] + [
        (name, languages[name]) for name in by_rows({k: m["n"] for k, m in languages.items()})]
    for name, m in slices:
        lines.append(f"{name[:14]:<14}{m['n']:>7}{_fmt(m['f1']):>8}"
                     f"{_fmt(m['baseline_all_positive_f1']):>9}{_fmt(m['roc_auc']):>8}"
                     f"{_fmt(m['precision']):>8}{_fmt(m['recall']):>8}")
    return "\n".join(lines)


# the stages of a run timed beyond its cross-validation, in the order they run
TIMED_STAGES = ("stage 0", "learning curve", "final fit", "student")


def timing_parts(metrics: dict) -> list[tuple[str, float]]:
    """The run's time beyond its cross-validation as metrics.json records it, in the order it
    was spent: stage 0, the learning curve, the final fit, the carried student (a failed one's
    too: its time was spent). A part not recorded, not a number, or under 0.05 s is left out."""
    timing, stage0, student = (metrics.get(key) for key in ("timing", "stage0", "student"))
    recorded = (_seconds(stage0, "seconds"), _seconds(timing, "curve_seconds"),
                _seconds(timing, "final_fit_seconds"), _seconds(student, "seconds"))
    return [(name, seconds) for name, seconds in zip(TIMED_STAGES, recorded, strict=True)
            if seconds is not None and round(seconds, 1) > 0]


def _seconds(block, key: str) -> float | None:
    """A stage's recorded seconds, or None (no object around it: recorded_seconds)."""
    return recorded_seconds(block.get(key) if isinstance(block, dict) else None)


def recorded_seconds(value) -> float | None:
    """Seconds as metrics.json records them, or None: a hand-edited metrics.json holding text
    or null there was a TypeError in `shoprel report` and a ValueError in `shoprel compare`;
    it is left out, as the report leaves out any value it cannot read as a number."""
    seconds = recorded_number(value)
    return None if math.isnan(seconds) else seconds


def time_spent_words(cv_seconds: float | None, parts: list[tuple[str, float]],
                     run_seconds: float | None = None) -> str:
    """"cv 40.1s (stage 0 7.3s, final fit 12.0s)", the whole run's time after the cv's where
    the caller measured it ("cv 40.1s  run 60.2s (...)"); "cv –" where none was recorded."""
    words = "cv –" if cv_seconds is None else f"cv {cv_seconds:.1f}s"
    if not parts:
        return words
    each = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in parts)
    return words + (f"  run {run_seconds:.1f}s ({each})" if run_seconds is not None
                    else f" ({each})")


def timing_words(metrics: dict, run_seconds: float | None = None) -> str:
    """The cross-validation's time, then the whole run's where it held more (timing_parts):
    a run whose summary said "cv 40.1s" had spent minutes more on its final fit and student.
    `run_seconds`: the whole run's wall time, measured by the caller."""
    timing = metrics.get("timing") or {}
    return time_spent_words(recorded_seconds(timing.get("cv_seconds")), timing_parts(metrics),
                            run_seconds)


def constant_scores_line(metrics: dict, named: str = "") -> str | None:
    """A warning when every out-of-fold probability is the same: the figures then describe a
    constant answer, not a model. `named` goes before it ("QC: ") where one command trains
    several runs (the demo, both tasks)."""
    value = metrics.get("constant_probability")
    if value is None:
        return None
    return (f"warning: {named}every out-of-fold probability is {value:.4f}: the models learnt "
            "nothing that tells these rows apart (too few rows, or features that do not "
            "separate them), so ROC-AUC is 0.5 and F1 is a constant answer's")


def missing_encoder_line(metrics: dict) -> str | None:
    """A warning when a fit's backbone lacked encoder weights (a broken checkpoint): they
    started random, which the silenced load report no longer says. The LLM family's backbone
    is a decoder, and the line says so; the embed family's is never fine-tuned but embeds with
    them, and it loads its backbone only for texts its embedding cache lacks, so a run whose
    texts were all embedded before (by a run that warned) says nothing."""
    from shoprel.models.hf.head_loading import missing_encoder_warning

    records = [*(metrics.get("fine_tuning") or []), metrics.get("stage0") or {}]
    missing = sorted({name for record in records
                      for name in record.get("missing_encoder_weights") or []})
    if not missing:
        return None
    model = metrics.get("model") or {}
    backbone = model.get("params", {}).get("backbone", "(default)")
    family = model.get("family")
    consequence = ("the run's models were fitted on embeddings from those random weights"
                   if family == "embed" else
                   "the run's models were fine-tuned from those random weights")
    return missing_encoder_warning(f"model.params.backbone {backbone}", missing, consequence,
                                   part="decoder" if family == "llm" else "encoder")


def learning_curve_lines(curve: dict) -> list[str]:
    """The learning curve's points (one whose fold models scored every row alike said to
    measure nothing), then why the 100% point's F1 is not the F1 above it: each
    point's F1 is cut at that point's own best out-of-fold threshold (as the report says),
    while the run's F1 is nested."""
    from shoprel.evaluate.curve_points import constant_folds_words

    points = curve.get("points") or []
    lines = []
    for p in points:
        lines.append(f"learning curve: {p['fraction']:>5.0%} ({p['rows']:.0f} rows/fold)  AUC "
                     f"{p['roc_auc']:.4f}  best-cut F1 {p['f1']:.4f}")
        if constant := constant_folds_words(p):
            lines[-1] += "  (constant scores: not a measurement)"
            lines.append(f"learning curve: at {p['fraction']:.0%} {constant} gave every row "
                         "the same score (too few rows to learn from), so that point's AUC and "
                         "F1 measure nothing; a larger share in --curve-fractions measures one")
    if lines:
        lines.append("learning curve: best-cut F1 is cut at each point's own best out-of-fold "
                     "threshold (optimistic): compare the points with each other, not with the "
                     "F1 above")
    return lines


def all_relevant_note(figures: dict, who: str = "it") -> str | None:
    """"it calls every row relevant, ..." where OOF figures (a run's overall, a distillation
    block's student_oof) record that every row was predicted relevant, else None: such an F1 is
    the all-positive answer's, and beside a model's (a run's) it read as the better one. The one
    check and wording behind train's warning on the run and its --student line, the report's
    verdict and student fact, and the notes metrics.json carries (all_relevant_entry). `who`
    says whose figures they are where "it" would not ("the run")."""
    if figures.get("predicted_positive_rate") != 1.0:
        return None
    return f"{who} calls every row relevant, so its F1 is the all-positive answer's, not a model's"


def all_relevant_words(figures: dict) -> str:
    """all_relevant_note as the end of a line of figures ("; it calls ..."), else ""."""
    note = all_relevant_note(figures)
    return "" if note is None else f"; {note}"


def all_relevant_entry(figures: dict) -> dict:
    """The `all_relevant` note a metrics block carries where its figures call every row
    relevant (a run's metrics.json, distill's `distillation`, a run's `student`), else {}."""
    note = all_relevant_note(figures)
    return {} if note is None else {"all_relevant": note}


def all_relevant_line(metrics: dict) -> str | None:
    """A warning when the run's own out-of-fold predictions call every row relevant (its F1 in
    the table is then its base F1): a small file's fast model, cut at its best threshold, did
    so with nothing but the base-F1 column to tell. constant_scores_line's warning stands
    alone where every score is the same (a constant answer's F1, said once)."""
    note = all_relevant_note(metrics.get("overall") or {}, who="the run")
    if note is None or constant_scores_line(metrics) is not None:
        return None
    return f"warning: {note}"


def evaluation_notes(metrics: dict) -> list[str]:
    """What the table alone does not say: what "base F1" is, a model that called every row
    relevant, and why ROC-AUC is missing. Only QC files have figures per category for
    `--json` to show: a QI file's note does not point there."""
    overall = metrics["overall"]
    notes = ["base F1: the F1 of answering 1 (relevant) for every row"
             + ("; per category: --json" if "per_category" in metrics else "")]
    if overall.get("predicted_positive_rate") == 1.0:
        notes.append("note: every row is predicted relevant, so F1 is the all-positive "
                      "baseline's: no better than answering 1 everywhere")
    if overall.get("roc_auc") is None:
        notes.append("note: no ROC-AUC: the predictions have no probability column"
                     if "probability" not in metrics.get("prediction_columns", ["probability"])
                     else "note: no ROC-AUC: the gold labels are all one class")
    return notes


def far_pairs_line(block: dict) -> str:
    """The far-pairs check in one terminal line (metrics.json's `far_pairs` block)."""
    auc = block.get("roc_auc_relevant_vs_far")
    return (f"far pairs: {block['called_relevant']:.1%} of {block['n']} called relevant "
            f"(relevant rows {block['relevant_rows_called_relevant']:.1%}); ROC-AUC relevant "
            f"vs far {'-' if auc is None else format(auc, '.4f')}")


def far_pairs_replaced_line(earlier: dict, block: dict) -> str:
    """What `far-pairs RUN` replaced in metrics.json: the check recorded there before (by
    train, or an earlier far-pairs), beside the new one, so a different count is not missed."""
    return (f"note: replaces the check of {earlier['n']:,} pairs recorded in metrics.json "
            f"({earlier['called_relevant']:.1%} called relevant) with this one of "
            f"{block['n']:,} pairs ({block['called_relevant']:.1%} called relevant)")
