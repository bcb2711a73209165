"""`shoprel cache`: what the cache folder holds, and freeing what nothing current can use."""

from __future__ import annotations

from pathlib import Path

import click

from shoprel.cli.options import (
    NOTHING_TO_SILENCE,
    NumberRange,
    note,
    output_path,
    quiet_option,
)
from shoprel.utils.sizes import format_size, parse_size

CACHE_DIR = click.option("--cache-dir", type=output_path(), default=None,
                         help="The cache folder (default: $SHOPREL_CACHE, else "
                              "~/.cache/shoprel).")


def entry_count(count: int) -> str:
    """'1 entry', '3 entries' ('1 entries' before)."""
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _rows(entries, root: Path) -> list[str]:
    return [f"{e.kind:<12} {format_size(e.size):>9} {e.age_days:7.1f} d  "
            f"{e.path.relative_to(root)}" + (f"  — stale: {e.stale}" if e.stale else "")
            for e in entries]


def _kept(kept, stale: bool, kinds: tuple[str, ...], older_than: float | None) -> str:
    """Why what a --keep-under prune leaves stays, and how to let it go."""
    why = []
    if kept.rebuilt:
        flags = " ".join(f"--kind {kind}" for kind in kept.kinds)
        why.append(f"{format_size(kept.rebuilt)} of it is built backbones and exports, kept "
                   f"since a size limit removes them only when --kind names them (to let them "
                   f"go too, name every kind: {flags})")
    if kept.unchosen:
        given = [name for name, on in (("--stale", stale), ("--kind", kinds),
                                        ("--older-than", older_than is not None)) if on]
        why.append(f"{format_size(kept.unchosen)} is entries {' and '.join(given)} "
                   f"{'leaves' if len(given) == 1 else 'leave'} out")
    return "; ".join(why)


@click.group("cache")
def cache() -> None:
    """Show and free the cache: built backbones, ONNX exports, embeddings, bi-encoder states."""


@cache.command("list")
@CACHE_DIR
@quiet_option(NOTHING_TO_SILENCE)
def list_cache(cache_dir, quiet):
    """Every entry with its size, age and whether anything current can still use it."""
    from shoprel.models import cache_upkeep

    listing = cache_upkeep.list_cache(cache_dir)
    click.echo(f"cache: {listing.root}")
    if not listing.entries:  # a mistyped $SHOPREL_CACHE names no folder: said, not just empty
        click.echo("empty" if listing.root.is_dir() else
                   "empty: no folder there yet (shoprel makes it on first use; check "
                   "$SHOPREL_CACHE if you meant an existing cache)")
        return
    click.echo(f"{'kind':<12} {'size':>9} {'age':>9}  path")
    for row in _rows(listing.entries, listing.root):
        click.echo(row)
    stale = listing.stale
    click.echo(f"{entry_count(len(listing.entries))}, {format_size(listing.size)}; "
               f"{len(stale)} stale, {format_size(sum(e.size for e in stale))}"
               + (" (`shoprel cache prune --stale` frees them)" if stale else ""))


@cache.command("prune")
@CACHE_DIR
@click.option("--stale", is_flag=True, help="Entries nothing current can use.")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["backbones", "onnx", "embeddings", "states", "checkpoints",
                                 "ablation", "checksums", "partial"]),
              help="Entries of this kind (repeatable); backbones and exports are rebuilt on "
                   "next use, which needs PyPI; checksums: the checksum memo's entries of files "
                   "that are gone.")
# NumberRange: nan and inf would quietly choose nothing (no entry is older than for ever)
@click.option("--older-than", "older_than", type=NumberRange(min=0), default=None,
              metavar="DAYS",
              help="Entries not used (read or written) for more than DAYS days.")
@click.option("--keep-under", "keep_under", default=None, metavar="SIZE",
              help="Remove the least recently used entries (of those the other conditions "
                   "choose) until the cache takes at most SIZE (500M, 20G, 1.5T); built "
                   "backbones and exports only when --kind names them.")
@click.option("--dry-run", is_flag=True, help="Say what would go; remove nothing.")
@quiet_option("No note on why the cache stays over the --keep-under size; what is removed, "
              "the totals and errors still print.")
def prune(cache_dir, stale, kinds, older_than, keep_under, dry_run, quiet):
    """Remove the entries meeting every condition given (at least one). Only a shoprel cache
    is pruned, and only what shoprel writes there; a linked-in folder loses its link, never its
    files. Run it while no other shoprel command uses the same cache."""
    from shoprel.models.cache_upkeep import prune_cache

    try:
        budget = None if keep_under is None else parse_size(keep_under)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--keep-under'") from None
    result = prune_cache(cache_dir, stale=stale, kinds=tuple(kinds), older_than_days=older_than,
                         keep_under=budget, dry_run=dry_run)
    if result.kept is not None:
        note(f"note: the cache {'would stay' if dry_run else 'stays'} at "
             f"{format_size(result.left)}, over {keep_under}: "
             f"{_kept(result.kept, stale, kinds, older_than)}", quiet)
    for row in _rows(result.chosen, result.root):
        click.echo(row)
    total = sum(e.size for e in result.chosen)
    if dry_run:
        click.echo(f"would remove {entry_count(len(result.chosen))}, {format_size(total)} "
                   "(dry run)")
        return
    click.echo(f"removed {entry_count(len(result.chosen))}, {format_size(result.freed)} freed from "
               f"{result.root}")


COMMANDS = (cache,)
