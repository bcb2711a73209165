"""A file's SHA-256, read in blocks: what tells a file edited since a run read it, even when
the edit kept its size and row count (a changed label)."""

from __future__ import annotations

import hashlib
import os


def sha256_of_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of the file's bytes, read `chunk` bytes at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
