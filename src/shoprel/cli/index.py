"""`shoprel index RUN FILE`: embed a taxonomy or catalogue ahead of scoring."""

from __future__ import annotations

import click

from shoprel.cli.options import input_path, output_path, quiet_option


@click.command("index")
@click.argument("run_dir", type=input_path())
@click.argument("input_file", type=input_path())
@click.option("--out", type=output_path(), default=None,
              help="Index folder elsewhere (then give it to predict/serve with --index); "
                   "default: the run's own index, used with no flag.")
@quiet_option("No progress bar.")
def index(run_dir, input_file, out, quiet):
    """Embed the targets of INPUT_FILE (a pairs file, JSON lines with category_path or
    item_title, or text with one target per line) so that scoring embeds only queries.
    Rerun after a kill: finished parts are kept."""
    from shoprel.predict.index import build_index

    result = build_index(run_dir, input_file, out, progress=not quiet)
    # "new": a text indexed already, or repeated, is added once; a stopped build's finished
    # parts are told apart, taken over without embedding (a rerun said 4,000 texts added, as
    # if embedded, where 1,536 had been kept)
    texts = ("targets and their category paths' level names" if result.level_names
             else "targets")
    took = f"in {result.seconds:.1f} s"
    if result.resumed:
        took += (f" ({result.added - result.resumed:,} embedded now, {result.resumed:,} kept "
                 "from a stopped build)")
    read = f"{_counted(result.targets, 'target')} read"
    if result.distinct != result.targets:  # a pairs file names a target once per pair
        read += f" ({result.distinct:,} distinct)"
    click.echo(f"{read}; {_counted(result.added, 'new text')} added to the index ({texts}) "
               f"{took} → {result.folder}")


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


COMMANDS = (index,)
