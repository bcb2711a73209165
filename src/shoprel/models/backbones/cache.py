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


def weights_stale_reason(folder: Path, meta: dict, verify: bool = True) -> str | None:
    """Why the weight files a build record lists cannot be used (missing, or a checksum that
    no longer matches), or None when they can."""
    weights = [Path(folder) / name for name in meta.get("weights_files", [])]
    missing = [p.name for p in weights if not p.is_file()]
    if not weights or missing:
        return f"weights missing: {', '.join(missing) or 'none recorded'}"
    if verify and files_sha256(weights) != meta["weights_sha256"]:
        return "weights do not match their recorded SHA-256"
    return None


def write_meta(folder: Path, name: str, build_format: int, sources, weights: list[Path],
               **extra) -> dict:
    """Record what built a backbone folder and its weight files' checksum (read_meta reads it,
    build_stale_reason checks it)."""
    meta = {"name": name, "build_format": build_format, "sources": sources,
            "weights_files": [str(Path(p).relative_to(folder)) for p in weights],
            "weights_sha256": files_sha256(weights), "query_prefix": "", "passage_prefix": "",
            "model_kwargs": {}, **extra}
    (Path(folder) / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta


def build_stale_reason(folder: Path, meta: dict | None, build_format: int, verify: bool = True,
                       sources=None) -> str | None:
    """Why a built folder cannot be used as it is (not built, another build format or source
    version when `sources` is known, changed weights), or None when it can."""
    if meta is None:
        return "not built yet"
    if meta.get("build_format") != build_format:
        return "built by another shoprel version"
    if sources and meta.get("sources") != sources:
        return "built by another source package version"
    return weights_stale_reason(folder, meta, verify)
