"""`shoprel cache list` and `shoprel cache prune` as one call each (cache_inventory finds the
entries and removes them), so the command and the Python API list, choose and free the same."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shoprel.errors import ConfigError
from shoprel.models.backbones.cache import cache_root
from shoprel.models.cache_inventory import (
    CacheEntry,
    KeptOverBudget,
    inventory,
    kept_over_budget,
    remove,
    select,
    to_fit,
)


@dataclass(frozen=True)
class CacheListing:
    """Every entry of the cache at `root`, by kind then name."""

    root: Path
    entries: list[CacheEntry]

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries)

    @property
    def stale(self) -> list[CacheEntry]:
        """The entries nothing current can use (what `prune --stale` frees)."""
        return [entry for entry in self.entries if entry.stale]


@dataclass(frozen=True)
class PruneResult:
    """What a prune chose, and removed unless it was a dry run. `left`: the bytes the cache
    holds (or would hold) without them; `kept`: why that is still over the `keep_under` size
    (None when within it, or when no size was given)."""

    root: Path
    chosen: list[CacheEntry]
    dry_run: bool
    freed: int  # bytes freed (0 on a dry run)
    left: int
    keep_under: int | None
    kept: KeptOverBudget | None


def list_cache(cache_dir: str | os.PathLike | None = None) -> CacheListing:
    """The cache folder (`cache_dir`, else $SHOPREL_CACHE, else ~/.cache/shoprel) and what
    shoprel wrote in it."""
    return CacheListing(cache_root(cache_dir), inventory(cache_dir))


def prune_cache(cache_dir: str | os.PathLike | None = None, *, stale: bool = False,
                kinds: tuple[str, ...] = (), older_than_days: float | None = None,
                keep_under: int | None = None, dry_run: bool = False) -> PruneResult:
    """Remove the entries meeting every condition given (at least one: never everything by
    accident); with `keep_under` (bytes), the least recently used of them until the cache
    takes at most that, built backbones and exports only when `kinds` names them."""
    if not stale and not kinds and older_than_days is None and keep_under is None:
        raise ConfigError("say what to remove: --stale, --kind, --older-than or --keep-under "
                          "(`shoprel cache list` shows what there is)")
    root = cache_root(cache_dir)
    entries = inventory(cache_dir)
    conditions = {"stale": stale, "kinds": tuple(kinds), "older_than_days": older_than_days}
    chosen = (select(entries, **conditions) if keep_under is None
              else to_fit(entries, keep_under, **conditions))
    left = sum(e.size for e in entries) - sum(e.size for e in chosen)
    kept = (kept_over_budget(entries, chosen, **conditions)
            if keep_under is not None and left > keep_under else None)
    freed = 0 if dry_run else remove(chosen)
    return PruneResult(root, chosen, dry_run, freed, left, keep_under, kept)
