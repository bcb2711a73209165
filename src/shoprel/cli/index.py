"""`shoprel index RUN FILE`: embed a taxonomy or catalogue ahead of scoring."""

from __future__ import annotations

from dataclasses import astuple

import click

from shoprel.cli.options import input_path, output_path, quiet_option
from shoprel.utils.counted_noun import counted_noun


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
    from shoprel.models.backbones.target_index import Added
    from shoprel.predict.index import build_index

    result = build_index(run_dir, input_file, out, progress=not quiet)
    # "new": a text indexed already, or repeated, is added once; a stopped build's finished
    # parts are told apart, taken over without embedding (a rerun said 4,000 texts added, as
    # if embedded, where 1,536 had been kept)
    texts = ("targets and their category paths' level names" if result.level_names
             else "targets")
    read = f"{_counted(result.targets, 'target')} read"
    if result.distinct != result.targets:  # a pairs file names a target once per pair
        read += f" ({result.distinct:,} distinct)"
    counts = list(result.backbones.values()) or [Added(result.added - result.resumed,
                                                       result.resumed)]
    took = f"in {result.seconds:.1f} s"
    if len(set(map(astuple, counts))) == 1:  # one backbone, or all alike
        added = f"{_counted(counts[0].total, 'new text')} added to the index"
        if len(counts) > 1:
            added += f" of each of {len(counts)} backbones"
        took += _kept(counts[0])
    else:  # a run of several backbones or its student's: each its own count
        names = short_names(list(result.backbones))
        added = "new texts added to the index: " + ", ".join(
            f"{count.total:,} for {names[slug]}{_kept(count)}"
            for slug, count in result.backbones.items())
    click.echo(f"{read}; {added} ({texts}) {took} → {result.folder}")


def _kept(added) -> str:
    """What of `added` a stopped build had embedded, where it had."""
    if not added.resumed:
        return ""
    return f" ({added.embedded:,} embedded now, {added.resumed:,} kept from a stopped build)"


def short_names(slugs: list[str]) -> dict[str, str]:
    """Each backbone's index sub-folder ('embeddinggemma-300m-1a2b3c4d5e6f7a8b') by its name
    alone where no other shown has that name."""
    bases = [slug.rsplit("-", 1)[0] for slug in slugs]
    return {slug: base if bases.count(base) == 1 else slug
            for slug, base in zip(slugs, bases, strict=True)}


def _counted(n: int, noun: str) -> str:
    return f"{n:,} {counted_noun(n, noun)}"


COMMANDS = (index,)
