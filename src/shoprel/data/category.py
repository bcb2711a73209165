"""Category paths: levels joined by ',' where a level name may itself contain ', '."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# A separator is a comma not followed by a space: "automobiles, parts & accessories,exterior parts"
# has two levels, the first of which keeps its ", ".
_LEVEL_SEPARATOR = re.compile(r",(?! )")


def split_levels(path: str) -> list[str]:
    """Levels of a category path, outermost first; empty levels are dropped."""
    return list(_levels(path))


@lru_cache(maxsize=1 << 16)  # a taxonomy's paths recur in every batch a server scores
def _levels(path: str) -> tuple[str, ...]:
    return tuple(level.strip() for level in _LEVEL_SEPARATOR.split(path) if level.strip())


def join_levels(levels: Sequence[str]) -> str:
    return ",".join(levels)


def prefix(path: str, n_levels: int) -> str:
    """The first n levels, the node a path belongs to at that depth (e.g. for fold grouping)."""
    return join_levels(_levels(path)[:n_levels])


def top_level(path: str) -> str:
    levels = split_levels(path)
    return levels[0] if levels else ""


def node_prefixes(path: str) -> list[str]:
    """Every ancestor node of the path, from the top level down to the leaf."""
    levels = split_levels(path)
    return [join_levels(levels[: i + 1]) for i in range(len(levels))]
