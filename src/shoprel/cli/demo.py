"""`shoprel demo`: train, predict, evaluate and report on the built-in demo set."""

from __future__ import annotations

from pathlib import Path

import click

from shoprel.cli.options import IntegerRange, input_path, note, output_path, quiet_option
from shoprel.data.compression import COMPRESSIONS
from shoprel.data.formats import FORMATS
from shoprel.training.defaults import FOLDS_MAX, FOLDS_MIN


@click.command()
@click.option("--out", "out_dir", default=Path("runs/demo"), show_default=True,
              type=output_path(), help="Folder for the demo's runs and outputs.")
@click.option("--data", "data_dir", type=input_path(),
              help="Folder of competition files to use instead of the built-in demo set: "
                   "train_QC.* and/or train_QI.*, and dev_QC.* / test_QC.* (QI alike) to "
                   f"predict, each in any format shoprel reads ({', '.join(sorted(FORMATS))}), "
                   f"compressed or not ({', '.join(sorted(COMPRESSIONS))}: "
                   "train_QC.parquet.gz too); "
                   "trained with the default model (`shoprel train --config` picks another).")
@click.option("--folds", type=IntegerRange(FOLDS_MIN, FOLDS_MAX), default=None,
              help="Cross-validation folds.")
@click.option("--overwrite", is_flag=True,
              help="With --data: replace the runs and predictions an earlier demo wrote in "
                   "--out (only those: listed in OUT/.shoprel-demo.json), as `train "
                   "--overwrite` replaces a run. The built-in demo replaces its own without it.")
@quiet_option("No progress bars, nor the lines naming each training or the --data files "
              "left alone, nor predict's notes on a file it scores (no rows, empty texts); "
              "the summary and warnings (rows in languages the run never saw) still print.")
def demo(out_dir, data_dir, folds, overwrite, quiet):
    """Train, predict, evaluate and report on the built-in demo set (or on --data)."""
    from shoprel.demo import DemoInterrupted, run_demo

    def progress_line(line: str) -> None:  # stderr with the bars (a note: or a task's header)
        note(line, quiet)

    def predicted(run_dir, source, result) -> None:  # as predict says it, the file named
        from shoprel.cli.predict import say_scored_input, warn_new_languages

        hinted = say_scored_input(result, source, quiet)
        warn_new_languages(result, run_dir, hinted, named=f"{source}: ")

    def print_summary(summary: list[str]) -> None:
        progress_line("")  # the summary apart from the progress above it
        for line in summary:
            click.echo(line)

    try:
        summary = run_demo(out_dir, data_dir, folds=folds, progress=not quiet,
                           echo=progress_line, warn=lambda line: click.echo(line, err=True),
                           overwrite=overwrite, on_predicted=predicted)
    except DemoInterrupted as stop:  # what was complete, as the end would have said it
        print_summary(stop.summary)
        raise
    print_summary(summary)


COMMANDS = (demo,)
