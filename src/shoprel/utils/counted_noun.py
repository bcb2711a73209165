"""The noun after a count, singular for one: the commands' lines said "1 rows scored"."""

from __future__ import annotations


def counted_noun(count: int, singular: str, plural: str | None = None) -> str:
    """'row' for 1, 'rows' for 0 or 2 ('queries' where `plural` gives it); the caller writes
    the count in its own form ('1,000' or '1000')."""
    if count == 1:
        return singular
    return plural if plural is not None else f"{singular}s"
