"""`shoprel translate` and `shoprel langid`: parse, call the augment API, print counts."""

from __future__ import annotations

import click

from shoprel.augment.backends import BACKENDS
from shoprel.cli.options import (
    IntegerRange,
    input_path,
    note,
    output_path,
    quiet_option,
    rows_output_help,
)


@click.command("translate")
@click.argument("input_file", type=input_path())
@click.option("--to", "target", default="en", show_default=True,
              help="Target language; with a region (pt-BR), Apertium's regional pair where "
                   "installed.")
@click.option("--backend", type=click.Choice(BACKENDS), default="apertium", show_default=True)
@click.option("--out", "out_file", required=True, type=output_path(),
              help=rows_output_help("Output file"))
@click.option("--cache", "cache_file", type=output_path(),
              help="SQLite cache: reruns translate nothing twice.")
@click.option("--table", "table_file", type=input_path(),
              help="Translations file for --backend table (text, source, target, translation).")
@click.option("--model", help="Model folder or local id for --backend hf.")
@click.option("--beams", type=IntegerRange(1), default=1, show_default=True,
              help="hf: beam size (1=greedy).")
@click.option("--device", default="cpu", show_default=True, help="hf: torch device.")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing output file that translate wrote (its translated_by "
                   "column names shoprel translate; any other file is refused).")
@quiet_option("No progress bar.")
def translate(input_file, target, backend, out_file, cache_file, table_file, model, beams,
              device, overwrite, quiet):
    """Add translated_query (and translated_by) columns; print translated / passed through /
    no route counts."""
    from shoprel.augment.translate_file import translate_file
    from shoprel.cli.options import given

    # --beams and --device as the user wrote them: their defaults are hf's own, and an option
    # given for a backend that never reads it is refused, not ignored
    report = translate_file(input_file, out_file, to=target, backend=backend, cache=cache_file,
                            table=table_file, model=model,
                            beams=beams if given("beams") else None,
                            device=device if given("device") else None,
                            overwrite=overwrite, progress=False if quiet else None)
    click.echo("\n".join(report.lines()))
    click.echo(report.summary(out_file))
    if report.cut_note():
        note(report.cut_note(), quiet)
    if report.region_fallback:  # not the language asked for: said even with --quiet
        click.echo(f"warning: {report.region_fallback}", err=True)
    # a table's rows that translated nothing, as above
    for line in (*report.unknown_sources, *report.unknown_targets):
        click.echo(f"warning: {line}", err=True)


@click.command("langid")
@click.argument("input_file", type=input_path())
@click.option("--out", "out_file", required=True, type=output_path(),
              help=rows_output_help("Output file with detected_language added"))
@click.option("--candidates", help="Comma-separated languages to choose among (e.g. en,es,fr).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing output file that langid wrote (its detected_by "
                   "column names shoprel langid; any other file is refused).")
@quiet_option("No progress bar.")
def langid(input_file, out_file, candidates, overwrite, quiet):
    """Detect each query's language; print, per given tag, how many rows disagree."""
    from shoprel.augment.langid import langid_file

    wanted = None if candidates is None else {c.strip() for c in candidates.split(",")
                                              if c.strip()}
    report = langid_file(input_file, out_file, candidates=wanted, overwrite=overwrite,
                         progress=False if quiet else None)
    click.echo("\n".join(report.lines()))
    click.echo(f"wrote {out_file}")


COMMANDS = (translate, langid)
