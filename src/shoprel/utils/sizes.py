"""A number of bytes as `shoprel cache` shows it (binary units: 1 KB is 1,024 bytes), kept
apart from the command so that what it prints can be told in advance (the cache's tests)."""

from __future__ import annotations


def format_size(n: float) -> str:
    """`n` bytes in words: whole bytes below 1 KB, else one decimal of KB, MB or GB; a size
    that rounds to 1024 of a unit is said in the next one (1.0 MB, not 1024.0 KB)."""
    if round(n) < 1024:
        return f"{n:.0f} B"
    for unit in ("KB", "MB"):
        n /= 1024
        if round(n, 1) < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} GB"
