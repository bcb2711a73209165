"""Rows per language as a warning says them."""

from __future__ import annotations

SHOWN = 8  # languages named before "..."


def language_counts(counts: dict[str, int]) -> str:
    """"xx 2, yy 1": the first SHOWN languages, then "..."."""
    shown = ", ".join(f"{lang} {n}" for lang, n in list(counts.items())[:SHOWN])
    return shown + (", ..." if len(counts) > SHOWN else "")
