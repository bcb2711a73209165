"""`shoprel evaluate`, `report` and `compare`: metrics, HTML reports, run comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import click

from shoprel.cli.options import (
    NOTHING_TO_SILENCE,
    IntegerRange,
    input_path,
    note,
    output_path,
    quiet_option,
    task_option,
)
from shoprel.evaluate.console import evaluation_notes, metrics_table


@click.command()
@click.argument("predictions", type=input_path())
@click.argument("gold", type=input_path())
@click.option("--json", "as_json", is_flag=True, help="Print all metrics as JSON.")
@task_option()
@quiet_option(NOTHING_TO_SILENCE)
def evaluate(predictions, gold, as_json, task, quiet):
    """F1, precision, recall, ROC-AUC and the all-positive baseline, overall and per language.

    PREDICTIONS and GOLD may each be compressed (.gz, .bz2, .xz), a pipe or standard input
    (`-`), read once as predict reads its input."""
    from shoprel.evaluate.files import evaluate_files

    metrics = evaluate_files(predictions, gold, task)
    if as_json:
        click.echo(json.dumps(metrics, indent=2, ensure_ascii=False))
    else:
        click.echo(metrics_table(metrics))
        for line in evaluation_notes(metrics):
            click.echo(line)


@click.command()
@click.argument("run_dir", type=input_path())
@click.option("--out", "out_file", type=output_path(),
              help="Where to write the HTML (default: RUN_DIR/report.html).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing page that shoprel wrote (any other file is refused).")
@quiet_option(NOTHING_TO_SILENCE)
def report(run_dir, out_file, overwrite, quiet):
    """Write the run's self-contained HTML report."""
    from shoprel.evaluate.report import write_report_file

    path = write_report_file(run_dir, out_file, overwrite)
    click.echo(f"report written to {path}")


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=input_path())
@click.option("--out", "out_file", required=True, type=output_path(),
              help="The comparison page to write (HTML).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing page that shoprel wrote (any other file is refused).")
@quiet_option(NOTHING_TO_SILENCE)
def compare(run_dirs, out_file, overwrite, quiet):
    """Compare runs on the same rows and folds: paired per-fold differences with intervals.

    The first run is the reference; runs on different rows, labels or folds are refused.
    """
    from shoprel.evaluate.compare import summary_text
    from shoprel.evaluate.report.compare_page import write_comparison

    path, comparison = write_comparison(list(run_dirs), out_file, overwrite=overwrite)
    click.echo(summary_text(comparison))
    click.echo(f"comparison written to {path}")


@click.command("far-pairs")
@click.argument("run_dir", type=input_path())
@click.option("--pairs", type=IntegerRange(1), default=1000, show_default=True,
              help="Far pairs over the folds, as check.far_pairs in a training config.")
@click.option("--train", "train_file", type=input_path(),
              help="The run's training file, where it has moved since the run was trained "
                   "(another machine, a renamed folder): accepted only when it holds the same "
                   "data (the digest metrics.json records).")
@quiet_option("No progress bar, nor notes (the figures it replaces, fewer pairs than asked).")
def far_pairs(run_dir, pairs, train_file, quiet):
    """Add the far-pairs check to a run trained without it: its fold models score pairs of a
    query with an unrelated target; metrics.json and the report gain the figures (a check
    recorded there before is replaced)."""
    from shoprel.evaluate.console import far_pairs_line, far_pairs_replaced_line
    from shoprel.training.far_pairs_existing import add_far_pairs

    result = add_far_pairs(run_dir, pairs, progress=not quiet, train=train_file)
    if result.note is not None:
        note(f"note: {result.note}", quiet)
    block = result.far_pairs
    click.echo(far_pairs_line(block))
    if result.replaced is not None:
        note(far_pairs_replaced_line(result.replaced, block), quiet)
    if block["n"] < pairs:
        note(f"note: {block['n']} pairs, not {pairs}: one per row of the run at most", quiet)
    click.echo(f"written into {Path(run_dir) / 'metrics.json'} and its report.html")


COMMANDS = (evaluate, report, compare, far_pairs)
