"""`shoprel translate` and `shoprel langid`: parse, call the augment API, print counts."""

from __future__ import annotations

import click

from shoprel.augment.backends import BACKENDS
from shoprel.cli.options import IntegerRange, input_path, note, output_path, quiet_option
from shoprel.errors import ConfigError


@click.command("translate")
@click.argument("input_file", type=input_path())
@click.option("--to", "target", default="en", show_default=True, help="Target language.")
@click.option("--backend", type=click.Choice(BACKENDS), default="apertium", show_default=True)
@click.option("--out", "out_file", required=True, type=output_path(),
              help="Output file (format from its extension).")
@click.option("--cache", "cache_file", type=output_path(),
              help="SQLite cache: reruns translate nothing twice.")
@click.option("--table", "table_file", type=input_path(),
              help="Translations file for --backend table (text, source, target, translation).")
@click.option("--model", help="Model folder or local id for --backend hf.")
@click.option("--beams", type=IntegerRange(1), default=1, show_default=True,
              help="hf: beam size (1=greedy).")
@click.option("--device", default="cpu", show_default=True, help="hf: torch device.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@quiet_option("No progress bar.")
def translate(input_file, target, backend, out_file, cache_file, table_file, model, beams,
              device, overwrite, quiet):
    """Add a translated_query column; print translated / passed through / no route counts."""
    from shoprel.augment.backends import make_translator
    from shoprel.augment.translate_file import check_translate_paths, translate_file
    from shoprel.augment.translator import check_target_language

    target = check_target_language(target)  # 'pt-BR' is translated into, and said as, 'pt'
    _check_backend_options(click.get_current_context(), backend)
    check_translate_paths(input_file, out_file, table_file, cache_file, overwrite)
    options = {"num_beams": beams, "device": device} if backend == "hf" else {}
    translator = make_translator(backend, cache=cache_file, table=table_file, model=model,
                                 progress=False if quiet else None, **options)
    try:
        report = translate_file(input_file, out_file, translator, to=target, overwrite=overwrite)
    finally:
        if hasattr(translator, "close"):
            translator.close()
    click.echo("\n".join(report.lines()))
    click.echo(report.summary(out_file))
    if report.cut_note():
        note(report.cut_note(), quiet)


# options only one backend reads, and that backend
_BACKEND_OPTIONS = (("table_file", "--table", "table"), ("model", "--model", "hf"),
                    ("beams", "--beams", "hf"), ("device", "--device", "hf"))


def _check_backend_options(ctx: click.Context, backend: str) -> None:
    """Refuse an option the chosen backend never reads: `--table t.csv` without
    `--backend table` translated with Apertium, and the user took it for their table."""
    from click.core import ParameterSource

    for name, option, owner in _BACKEND_OPTIONS:
        if owner != backend and ctx.get_parameter_source(name) is not ParameterSource.DEFAULT:
            raise ConfigError(f"{option}: only read by --backend {owner} (this command "
                              f"translates with --backend {backend})")


@click.command("langid")
@click.argument("input_file", type=input_path())
@click.option("--out", "out_file", required=True, type=output_path(),
              help="Output file with detected_language added.")
@click.option("--candidates", help="Comma-separated languages to choose among (e.g. en,es,fr).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
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
