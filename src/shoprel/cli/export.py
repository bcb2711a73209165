"""`shoprel export RUN_DIR --onnx [--int8]`: add ONNX models to a run's cross-encoders."""

from __future__ import annotations

from pathlib import Path

import click

from shoprel.cli.options import input_path, quiet_option


@click.command("export")
@click.argument("run_dir", type=input_path())
@click.option("--onnx", "to_onnx", is_flag=True,
              help="Export each cross-encoder (folds and full) to ONNX.")
@click.option("--int8", is_flag=True,
              help="Also quantise the weights to int8 (dynamic); predict then uses int8.")
@click.option("--int8-weights", type=click.Choice(["uint8", "int8"]), default="uint8",
              show_default=True, help="Weight type for --int8 (uint8 avoids saturation on "
              "CPUs without VNNI).")
@quiet_option("No progress bar.")
def export(run_dir: Path, to_onnx: bool, int8: bool, int8_weights: str, quiet: bool) -> None:
    """Export a run's cross-encoders so `predict` and `serve` score them with onnxruntime."""
    from shoprel.cli.options import given
    from shoprel.errors import ConfigError
    from shoprel.export.onnx import export_run

    if not to_onnx:
        raise ConfigError("export: say which format (--onnx)")
    # as the user wrote it: given without --int8 it is refused, not ignored
    done = export_run(run_dir, int8=int8, int8_weights=int8_weights if given("int8_weights")
                      else None, progress=not quiet)
    kind = "ONNX int8 (+ fp32)" if int8 else "ONNX fp32"
    for folder in done:
        click.echo(f"exported {kind}: {folder}")


COMMANDS = (export,)
