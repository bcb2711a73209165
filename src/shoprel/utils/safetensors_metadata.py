"""A safetensors file's metadata, read without its arrays: what a saved model noted beside
them (where the vectors it keeps only keys or places of are held)."""

from __future__ import annotations

from pathlib import Path

from safetensors import safe_open


def saved_metadata(source: Path) -> dict[str, str]:
    """The string metadata in the header of the safetensors file `source`; {} when it has none
    (safetensors' own errors for a missing or damaged file pass through)."""
    with safe_open(str(source), "np") as saved:
        return saved.metadata() or {}
