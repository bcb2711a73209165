"""`shoprel train`: cross-validate, tune the threshold, write a run directory."""

from __future__ import annotations

import time

import click

from shoprel.cli.options import (
    IntegerRange,
    NumberList,
    NumberRange,
    config_option,
    input_path,
    note,
    output_path,
    quiet_option,
    task_option,
)
from shoprel.evaluate.console import (
    all_relevant_line,
    all_relevant_words,
    constant_scores_line,
    far_pairs_line,
    learning_curve_lines,
    metrics_table,
    missing_encoder_line,
    timing_words,
)
from shoprel.models.model_words import model_words
from shoprel.training.defaults import FOLDS_MAX, FOLDS_MIN


def _folds_set(folds, config_file, config):
    """How this user sets the number of folds, for the small-folds note: the config file's key
    where the file sets it and --folds does not (a rerun reads the file again), else --folds
    (a preset named alone too: the package's file is not the user's to edit)."""
    from shoprel.folds.small import folds_key, folds_option
    from shoprel.training.presets import names_preset

    if (folds is None and config_file is not None and "k" in config.folds.model_fields_set
            and not names_preset(config_file)):
        return folds_key(config_file)
    return folds_option


@click.command()
@click.argument("train_file", type=input_path())
@click.option("--out", "out_dir", required=True, type=output_path(),
              help="Run directory to create.")
@config_option("--config", "config_file",
               help="YAML config (defaults are used for whatever it leaves out), or a "
                    "preset shipped with shoprel named alone: fast, biencoder, embed-use, "
                    "cross-e5-small, ... (the error of a missing file lists them).")
@click.option("--folds", type=IntegerRange(FOLDS_MIN, FOLDS_MAX),
              help="Number of cross-validation folds (overrides config).")
@task_option()
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--learning-curve", "curve", is_flag=True,
              help="Also fit every fold on 10/25/50% of its rows and plot OOF ROC-AUC and F1 "
                   "against rows in the report (each share also scores every validation "
                   "fold again: about as long again as the CV, 1.2x on the whole Home Depot "
                   "file).")
@click.option("--curve-fractions", default=None, metavar="SHARES",
              type=NumberList(NumberRange(0, 1, min_open=True, max_open=True), "0.1,0.25,0.5"),
              help="Shares for --learning-curve, comma-separated (default 0.1,0.25,0.5).")
@click.option("--student/--no-student", "student", default=None,
              help="Also distil a fast student (the config's `student:`, else USE-multilingual) "
                   "into RUN/student for `predict/serve --scorer student` (config "
                   "`student: {}`); off unless asked.")
@quiet_option("No progress bars, nor notes (rows with an empty text, languages trained on "
              "only as translations, a stage-0 file sharing queries, a busy machine, a tag "
              "that is probably a country code: kr, se, br, validation folds too small to "
              "measure, a student of the run's own model, what the student's figures are "
              "worth, noise.flagged ids chosen from these rows); warnings still print.")
def train(train_file, out_dir, config_file, folds, task, overwrite, curve, curve_fractions,
          student, quiet):
    """Cross-validate, tune the threshold, fit the final model and write a run directory.

    TRAIN_FILE is JSON lines, CSV, TSV or Parquet by its suffix; a text one may be compressed
    (train.jsonl.gz, .bz2, .xz), as every command's input file may."""
    from shoprel.errors import ConfigError
    from shoprel.models.base import config_class
    from shoprel.training.config_reading import load_config, located
    from shoprel.training.runner import train as run_training
    from shoprel.training.student import StudentInterrupted
    from shoprel.utils.threads import BusyMachineNote, OwnCpu, busy_machine_note

    if curve_fractions and not curve:  # one error line, as predict's options given alone
        raise ConfigError("--curve-fractions: only with --learning-curve (the shares of each "
                          "fold's rows the curve fits)")
    overrides = {}
    if folds is not None:
        overrides["folds.k"] = folds
    if task is not None:
        overrides["data.task"] = task.upper()
    if student is False:
        overrides["student"] = None
    options = {"folds.k": "--folds", "data.task": "--task"}
    config = load_config(config_file, overrides, options=options)
    if student:
        config = config.with_student()
    fractions = None
    if curve:
        from shoprel.training.curve import DEFAULT_FRACTIONS, check_fractions

        fractions = (check_fractions(curve_fractions) if curve_fractions
                     else list(DEFAULT_FRACTIONS))
    # checked as the fits start and before the final fit, after the checks: a command that
    # fails on its input keeps its one error line; the load this run's own threads make is
    # taken off (OwnCpu), else a 2-thread run on a quiet 2-core machine was called busy
    n_jobs = config.model.params.get("n_jobs")
    users = getattr(config_class(config.model.family), "n_jobs_threads", ("LightGBM",))
    own = OwnCpu()
    busy = BusyMachineNote(lambda: busy_machine_note(n_jobs, users, own.cores()),
                           lambda line: note(line, quiet))
    started = time.perf_counter()
    try:
        result = run_training(train_file, out_dir, config, overwrite=overwrite,
                              progress=not quiet, curve_fractions=fractions, before_fits=busy,
                              set_folds=_folds_set(folds, config_file, config),
                              say=lambda line: note(f"note: {line}", quiet))
    except ConfigError as exc:  # a key found wrong only now: said where the file writes it
        raise located(exc, config_file) from None
    except StudentInterrupted as stop:
        # the run is in place and whole: its figures are printed still (a stdout sent to a
        # log kept none of them), then the stop's own line says why it has no student
        from shoprel.run.folder import Run

        _summary(Run.open(stop.run_dir).metrics(), stop.run_dir,
                 time.perf_counter() - started, quiet, student_stopped=True)
        raise
    _summary(result.metrics, result.run_dir, time.perf_counter() - started, quiet)
    busy()  # the load came during the run: said now, unless said already


def _summary(m: dict, run_dir, run_seconds: float, quiet: bool,
             student_stopped: bool = False) -> None:
    """What train prints of a written run (`m`: its metrics.json); `student_stopped`: a stop
    while its student was distilled, which the stop's line tells, not a warning here."""
    from shoprel.data.empty_texts import empty_texts_note

    click.echo(f"task {m['task']}  rows {m['overall']['n']}  threshold {m['threshold']:.4f}  "
               + timing_words(m, run_seconds))
    click.echo(metrics_table(m))
    if constant := constant_scores_line(m):  # a warning: on stderr, even under --quiet
        click.echo(constant, err=True)
    if everything := all_relevant_line(m):  # so is this one
        click.echo(everything, err=True)
    if missing := missing_encoder_line(m):  # a warning: on stderr, even under --quiet
        click.echo(missing, err=True)
    data = m["data"]
    kept = "dropped" if data["dropped"] else "kept"
    if empty := empty_texts_note(data, data["train_file"], f"{kept}; see data.empty_text"):
        note(empty, quiet)
    from shoprel.evaluate.run_metrics import translated_only_note

    if translated := translated_only_note(m):
        note(f"note: {translated}", quiet)
    from shoprel.training.stage0_rows import shared_queries_note

    if shared := shared_queries_note(m.get("stage0")):
        note(shared, quiet)
    if m.get("far_pairs"):
        click.echo(far_pairs_line(m["far_pairs"]))
    for line in learning_curve_lines(m.get("learning_curve") or {}):
        click.echo(line)
    carried = None if student_stopped else m.get("student")
    if carried and "error" in carried:
        click.echo(f"warning: the run carries no student, its distillation failed: "
                   f"{carried['error']} (the run itself is complete)", err=True)
    elif carried:
        ours, theirs = carried["student_oof"], carried["teacher_oof"]
        far = ""
        if ours.get("far_pairs_called_relevant") is not None and \
                theirs.get("far_pairs_called_relevant") is not None:
            far = (f", far pairs called relevant {ours['far_pairs_called_relevant']:.1%} (run: "
                   f"{theirs['far_pairs_called_relevant']:.1%})")
        click.echo(f"student ({model_words(carried['family'], carried.get('backbone'))}) in "
                   f"{carried['seconds']:.0f} s: OOF AUC {ours['roc_auc']:.4f} F1 "
                   f"{ours['f1']:.4f} (run: AUC {theirs['roc_auc']:.4f} F1 {theirs['f1']:.4f})"
                   f"{far}{all_relevant_words(ours)}; score with --scorer student")
        if carried.get("caveat"):  # what its OOF beside the run's is worth, as distill says
            note(f"note: {carried['caveat']}", quiet)
    if (m.get("noise") or {}).get("oof_optimistic"):  # flags chosen from these very rows
        note(f"note: {m['noise']['caveat']}", quiet)
    click.echo(f"run written to {run_dir} (report: {run_dir / 'report.html'})")


COMMANDS = (train,)
