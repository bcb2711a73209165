"""Where shoprel keeps what it builds once per machine (backbones, embeddings), and checksums."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CACHE_ENV = "SHOPREL_CACHE"
META_FILE = "shoprel-backbone.json"  # what a built-in backbone folder records about its build


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """An explicit folder wins, then $SHOPREL_CACHE, then ~/.cache/shoprel."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "shoprel"


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def files_sha256(paths: list[Path]) -> str:
    """One digest over several files (name and content), for folders with sharded weights."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def read_meta(folder: Path) -> dict | None:
    """A backbone folder's build record, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(folder) / META_FILE).read_text())
    except (OSError, ValueError):
        return None
