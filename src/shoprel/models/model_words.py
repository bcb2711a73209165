"""How the commands, the refusals and the report name a model: 'fast', 'embed on
use-multilingual'. One wording: train's student line said "fast on -" where the report said
"fast"."""

from __future__ import annotations


def model_words(family: str, backbone: str | list | None) -> str:
    """'fast' for a family with no backbone, 'embed on use-multilingual', 'embed on a, b'."""
    if isinstance(backbone, list):
        backbone = ", ".join(map(str, backbone))
    return f"{family}{f' on {backbone}' if backbone else ''}"
