"""`shoprel <verb>`: parse the command line, call the Python API, print the outcome."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from shoprel.errors import ShoprelError


def _fmt(value) -> str:
    return "–" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))


def metrics_table(metrics: dict) -> str:
    """A plain-text table: overall, then each language, model next to the all-positive baseline."""
    header = f"{'slice':<14}{'n':>7}{'F1':>8}{'base F1':>9}{'AUC':>8}{'prec':>8}{'recall':>8}"
    lines = [header, "-" * len(header)]
    slices = [("overall", metrics["overall"])] + list(metrics.get("per_language", {}).items())
    for name, m in slices:
        lines.append(f"{name[:14]:<14}{m['n']:>7}{_fmt(m['f1']):>8}"
                     f"{_fmt(m['baseline_all_positive_f1']):>9}{_fmt(m['roc_auc']):>8}"
                     f"{_fmt(m['precision']):>8}{_fmt(m['recall']):>8}")
    return "\n".join(lines)


class _Group(click.Group):
    """Shows ShoprelErrors as one clear line and exit code 2, not a traceback."""

    def invoke(self, ctx):
        from shoprel.utils.signals import terminate_as_interrupt

        terminate_as_interrupt()  # temporary outputs are removed on SIGTERM too
        try:
            return super().invoke(ctx)
        except (ShoprelError, FileExistsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="shoprel")
def main() -> None:
    """Decide whether products fit shoppers' queries, in any language (QC and QI tasks)."""


@main.command()
@click.argument("train_file", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Run directory to create.")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="YAML config (defaults are used for whatever it leaves out).")
@click.option("--folds", type=int, help="Number of cross-validation folds (overrides config).")
@click.option("--task", type=click.Choice(["QC", "QI"], case_sensitive=False),
              help="Task, when the columns do not tell.")
@click.option("--overwrite", is_flag=True, help="Replace an existing run directory.")
@click.option("--learning-curve", "curve", is_flag=True,
              help="Also fit every fold on 10/25/50%% of its rows and plot OOF ROC-AUC and F1 "
                   "against rows in the report (about 0.85x the CV time more).")
@click.option("--curve-fractions", default=None,
              help="Shares for --learning-curve, comma-separated (default 0.1,0.25,0.5).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(train_file, out_dir, config_file, folds, task, overwrite, curve, curve_fractions,
          quiet):
    """Cross-validate, tune the threshold, fit the final model and write a run directory."""
    from shoprel.training.config import load_config
    from shoprel.training.runner import train as run_training

    overrides = {}
    if folds is not None:
        overrides["folds.k"] = folds
    if task is not None:
        overrides["data.task"] = task.upper()
    config = load_config(config_file, overrides)
    fractions = None
    if curve or curve_fractions:
        from shoprel.training.curve import DEFAULT_FRACTIONS, parse_fractions

        fractions = (parse_fractions(curve_fractions) if curve_fractions
                     else list(DEFAULT_FRACTIONS))
    result = run_training(train_file, out_dir, config, overwrite=overwrite, progress=not quiet,
                          curve_fractions=fractions)
    m = result.metrics
    click.echo(f"task {m['task']}  rows {m['overall']['n']}  threshold {m['threshold']:.4f}  "
               f"cv {m['timing']['cv_seconds']:.1f}s")
    click.echo(metrics_table(m))
    data = m["data"]
    if data["empty_query"] or data["empty_target"]:
        click.echo(f"note: {data['empty_query']} row(s) with an empty query and "
                   f"{data['empty_target']} with an empty target "
                   f"({'dropped' if data['dropped'] else 'kept'}; see data.empty_text)")
    for point in m.get("learning_curve", {}).get("points", []):
        click.echo(f"learning curve: {point['fraction']:>5.0%} ({point['rows']:.0f} rows/fold)"
                   f"  AUC {point['roc_auc']:.4f}  F1 {point['f1']:.4f}")
    click.echo(f"run written to {result.run_dir} (report: {result.run_dir / 'report.html'})")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("input_file", type=click.Path(path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path),
              help="Submission file (.jsonl/.txt, .csv, .tsv or .parquet).")
@click.option("--chunk-rows", default=20_000, show_default=True, help="Rows scored at a time.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process; ray: a pool of Ray actors, one model load each.")
@click.option("--address", default=None,
              help="Ray cluster to connect to (e.g. auto, ray://host:10001); default: start a "
                   "local Ray instance. Only with --engine ray.")
@click.option("--num-actors", type=int, default=None,
              help="Ray actors (default: one per CPU in the cluster). Only with --engine ray.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def predict(run_dir, input_file, out_file, chunk_rows, engine, address, num_actors, quiet):
    """Score INPUT_FILE with a run; write id, texts, prediction and probability."""
    if engine == "ray":
        from shoprel.predict.ray_engine import predict_file_ray

        # smaller batches than the local chunks, so that every actor gets work
        result = predict_file_ray(run_dir, input_file, out_file, address=address,
                                  num_actors=num_actors, batch_rows=min(chunk_rows, 5_000),
                                  progress=not quiet)
    else:
        from shoprel.predict.predictor import predict_file

        result = predict_file(run_dir, input_file, out_file, chunk_rows, progress=not quiet)
    click.echo(f"{result.rows} rows scored, {result.positives} predicted relevant "
               f"(threshold {result.threshold:.4f}) → {result.out_file}")


@main.command("check-submission")
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--input", "input_file", required=True, type=click.Path(path_type=Path),
              help="The file the submission answers.")
def check_submission_cmd(submission, input_file):
    """Check ids, order, count and 0/1 values of a submission against its input."""
    from shoprel.data.submission import check_submission

    check = check_submission(submission, input_file)
    if check.ok:
        click.echo(f"ok: {check.rows} rows match {input_file}")
        return
    for problem in check.problems:
        click.echo(problem, err=True)
    if check.more_problems:
        click.echo(f"... and {check.more_problems} more problem(s)", err=True)
    sys.exit(1)


@main.command()
@click.argument("predictions", type=click.Path(path_type=Path))
@click.argument("gold", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print all metrics as JSON.")
def evaluate(predictions, gold, as_json):
    """F1, precision, recall, ROC-AUC and the all-positive baseline, overall and per language."""
    from shoprel.evaluate.files import evaluate_files

    metrics = evaluate_files(predictions, gold)
    if as_json:
        click.echo(json.dumps(metrics, indent=2, ensure_ascii=False))
    else:
        click.echo(metrics_table(metrics))


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path),
              help="Where to write the HTML (default: RUN_DIR/report.html).")
def report(run_dir, out_file):
    """Write the run's self-contained HTML report."""
    from shoprel.evaluate.report import write_run_report
    from shoprel.runs import REPORT
    from shoprel.utils.outputs import check_output_file

    if out_file is not None:
        check_output_file(out_file, runs=[run_dir], own=[run_dir / REPORT])
    path = write_run_report(run_dir, out_file)
    click.echo(f"report written to {path}")


@main.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_file", required=True, type=click.Path(path_type=Path),
              help="The comparison page to write (HTML).")
def compare(run_dirs, out_file):
    """Compare runs on the same rows and folds: paired per-fold differences with intervals.

    The first run is the reference; runs on different rows, labels or folds are refused.
    """
    from shoprel.evaluate.compare import summary_text
    from shoprel.evaluate.report.compare_page import write_comparison

    path, comparison = write_comparison(list(run_dirs), out_file)
    click.echo(summary_text(comparison))
    click.echo(f"comparison written to {path}")


@main.command()
@click.option("--out", "out_dir", default=Path("runs/demo"), show_default=True,
              type=click.Path(path_type=Path), help="Folder for the demo's runs and outputs.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path),
              help="Folder of competition files (train_QC.txt, train_QI.txt, dev_*, test_*) "
                   "to use instead of the built-in demo set.")
@click.option("--folds", type=int, default=None, help="Cross-validation folds.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def demo(out_dir, data_dir, folds, quiet):
    """Train, predict, evaluate and report on the built-in demo set (or on --data)."""
    from shoprel.demo import run_demo

    summary = run_demo(out_dir, data_dir, folds=folds, progress=not quiet, echo=click.echo)
    click.echo("")
    for line in summary:
        click.echo(line)


def _register_subcommands() -> None:
    """Commands whose code lives beside the API they drive."""
    from shoprel.augment.cli import langid, translate
    from shoprel.ensemble.cli import ensemble, noise
    from shoprel.export.cli import export
    from shoprel.serve.cli import serve
    from shoprel.training.distill_cli import distill
    from shoprel.training.pretrain_cli import pretrain

    main.add_command(translate)
    main.add_command(langid)
    main.add_command(serve)
    main.add_command(ensemble)
    main.add_command(noise)
    main.add_command(export)
    main.add_command(pretrain)
    main.add_command(distill)


_register_subcommands()

if __name__ == "__main__":  # pragma: no cover
    main()
