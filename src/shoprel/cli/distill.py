"""`shoprel distill`: parse, call training.distill, print teacher vs student."""

from __future__ import annotations

import click

from shoprel.cli.options import (
    IntegerRange,
    NumberRange,
    config_option,
    input_path,
    note,
    output_path,
    quiet_option,
)
from shoprel.evaluate.console import metrics_table
from shoprel.training.defaults import DEFAULT_HARD_WEIGHT, SPEED_ROWS
from shoprel.utils.counted_noun import counted_noun


@click.command("distill")
@click.argument("teacher_dir", type=input_path())
@config_option("--student", "config_file",
               help="Run config YAML of the student model (its folds come from the teacher), or "
                    "a preset named alone (fast, embed-use). "
                    "Left out: the student TEACHER_DIR's config names (its student: section, "
                    "else train --student's default), on the run's data, threshold and check, "
                    "as train --student distils it; --hard-weight is still this command's.")
@click.option("--out", "out_dir", required=True, type=output_path(),
              help="Run directory to create for the student.")
@click.option("--hard-weight", type=NumberRange(0.0, 1.0), default=DEFAULT_HARD_WEIGHT,
              show_default=True,
              help="Share of the 0/1 label in each target; the rest is the teacher's OOF "
                   "probability. On pairs of new queries a USE student of the default ranked "
                   "better at 1.0: ROC-AUC 0.7463 against 0.7345 at 0.3 (1,897 pairs), 0.7255 "
                   "against 0.7177 (another split), 0.7427 against 0.7354 with --unlabeled "
                   "(960 pairs); a fast student of the default ranked as well or better at 0.3: "
                   "0.6779 against 0.6744, 0.6766 against 0.6710 with --unlabeled (960 pairs; "
                   "docs/measurements-qc.md). At 1.0 the teacher only scores --unlabeled pairs; "
                   "--nested is refused.")
@click.option("--speed-rows", type=IntegerRange(min=0), default=SPEED_ROWS, show_default=True,
              help="Rows both models score to compare their speed, in turns until each is "
                   "timed for a second (0: skip).")
@click.option("--nested", is_flag=True,
              help="Honest student OOF: refit the teacher without each student fold "
                   "(k·(k−1)/2 extra fits per teacher model, one per pair of folds).")
@click.option("--unlabeled", "unlabeled", multiple=True, type=input_path(),
              help="Pairs without labels that the teacher scores for the student to learn too "
                   "(a label column there is not read); repeatable. On these very pairs the "
                   "student repeats the teacher: score other files with it.")
@click.option("--train", "train_file", type=input_path(),
              help="The teacher's training file, where it has moved since the run was trained "
                   "(another machine, a renamed folder): accepted only when it holds the same "
                   "data (the digest metrics.json records).")
@click.option("--stage0-train", "stage0_train", type=input_path(),
              help="With --nested: the file the teacher's stage 0 was fitted on, where it has "
                   "moved since (metrics.json stage0.train_file); the refits read it to tell "
                   "whether stage 0 learnt this file's rows. Accepted only when it holds the "
                   "same data (stage0.train_sha256).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@quiet_option("No progress bars, nor notes (what the student's figures are worth, the "
              "student config's parts not used, a student of the teacher's own model, a "
              "stage 0 the --nested refits start without, --unlabeled rows with an empty "
              "text); warnings still print.")
def distill(teacher_dir, config_file, out_dir, hard_weight, speed_rows, nested, unlabeled,
            train_file, stage0_train, overwrite, quiet):
    """Train a student run on TEACHER_DIR's out-of-fold probabilities (a run or ensemble)."""
    from shoprel.cli.bare_query import bare_query_said, rows_said
    from shoprel.cli.language_counts import warn_naming_languages
    from shoprel.data.empty_texts import empty_texts_note
    from shoprel.errors import ConfigError
    from shoprel.training.config_reading import located
    from shoprel.training.distill import TEACHES_NOTHING
    from shoprel.training.distill import distill as run_distill

    if hard_weight >= 1.0 and not unlabeled and not nested:  # (nested is refused at 1.0)
        note(f"note: {TEACHES_NOTHING}", quiet)
    try:
        result = run_distill(teacher_dir, config_file, out_dir, hard_weight,
                             overwrite=overwrite, progress=not quiet, speed_rows=speed_rows,
                             nested=nested, unlabeled=list(unlabeled),
                             say=lambda line: note(f"note: {line}", quiet),
                             train_file=train_file, stage0_train=stage0_train)
    except ConfigError as exc:  # a key of the student's config found wrong only now
        raise located(exc, config_file) from None
    block = result.metrics["distillation"]
    for who in ("teacher", "student"):
        m = block[f"{who}_oof"]
        far = m.get("far_pairs_called_relevant")
        all_relevant = f"; {block['all_relevant']}" if who == "student" and \
            "all_relevant" in block else ""  # as train --student says it
        click.echo(f"{who} OOF: F1 {m['f1']:.4f}  AUC {m['roc_auc']:.4f}"
                   + ("" if far is None else f"  far pairs called relevant {far:.1%}")
                   + all_relevant)
    if "unlabeled" in block:
        unlabeled = block["unlabeled"]
        left = unlabeled.get("left_out", {})
        left_text = ", ".join(f"{n:,} {what}" for what, n in (
            ("of the teacher's training pairs", left.get("teacher_training_pairs", 0)),
            ("repeated", left.get("repeated_pairs", 0))) if n)
        click.echo(f"learnt from {unlabeled['rows']} teacher-scored unlabelled "
                   f"{counted_noun(unlabeled['rows'], 'pair')}"
                   + (f" (left out: {left_text})" if left_text else ""))
        for path, counts in unlabeled.get("empty_texts", {}).items():  # as train says its own
            kept = "dropped" if counts.get("dropped") else "kept"
            note(empty_texts_note(counts, path, f"{kept}; see the student config's "
                                                "data.empty_text"), quiet)
        hinted: set[str] = set()  # one 'kr' hint for every file of 'kr' pairs
        for path, bare in unlabeled.get("bare_query", {}).items():  # said even under --quiet
            warn_naming_languages(
                f"the teacher scored {rows_said(bare['pairs'])} of {path} "
                + bare_query_said(path, bare["languages"], bare["translation_column"], "it"),
                bare["languages"], hinted)
    speed = block.get("speed")
    if speed:
        click.echo(speed_line(speed))
    if "speed_skipped" in block:  # asked for (--speed-rows), not given: said under --quiet too
        click.echo(f"warning: scoring speeds not compared, {block['speed_skipped']}", err=True)
    click.echo(metrics_table(result.metrics))
    note(f"note: {block['caveat']}", quiet)
    for line in block.get("ignored", []):
        note(f"note: {line}", quiet)
    click.echo(f"student run written to {result.run_dir}")


def speed_line(speed: dict) -> str:
    """The scoring line: both models' pairs/s and the speed-up, or why the passes cannot say
    it (too quick to time, too noisy)."""
    teacher, student = speed["teacher"], speed["student"]
    if speed.get("speed_up") is None:
        return f"scoring: speed-up not said, {speed['speed_up_unknown']}"
    low, high = speed["speed_up_range"]
    where = (f"on {student['rows']:,} of the training file's rows, whose texts the embedding "
             "caches may hold already: new queries, which must be embedded, may score otherwise")
    return (f"scoring: teacher {teacher['pairs_per_second']:.0f} pairs/s, "
            f"student {student['pairs_per_second']:.0f} pairs/s (speed-up "
            f"{speed['speed_up']:.2f}x {where}; fastest of {teacher['passes']} and "
            f"{student['passes']} passes, {low:.2f}–{high:.2f}x resampled)")


COMMANDS = (distill,)
