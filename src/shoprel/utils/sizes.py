"""A number of bytes as `shoprel cache` shows it and as `--keep-under` reads it (binary units:
1 KB is 1,024 bytes), kept apart from the command so that what it prints can be told in advance
(the cache's tests) and a printed size reads back as the same bytes."""

from __future__ import annotations

import re

_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_SIZE = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


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


def parse_size(text: str) -> int:
    """Bytes of a size written like 500M, 20G, 1.5TB or 123456 (binary units)."""
    match = _SIZE.match(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not a size (e.g. 500M, 20G, 1.5T)")
    return int(float(match["n"]) * _UNITS[match["unit"].upper()])
