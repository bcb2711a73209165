"""A resolved backbone as torch modules (the embed family's torch encoder): on `n_threads`
threads, a folder it cannot use one ConfigError (`resolve.loading`), transformers' load report
silenced, and the encoder weights the checkpoint lacks (they start random: a broken
checkpoint) handed back for `shoprel train`'s one `warning:` line, as the cross-encoder's are
(hf/head_loading.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoprel.models.backbones.resolve import Backbone, loading
from shoprel.utils.threads import torch_threads


@dataclass
class TorchBackbone:
    model: Any  # a transformers encoder, in eval mode
    tokenizer: Any
    missing_encoder: list[str] = field(default_factory=list)  # started random: broken?


def load_transformer(backbone: Backbone, n_threads: int | None = None) -> TorchBackbone:
    """A plain transformers encoder and its tokenizer (`AutoModel`, `AutoTokenizer`), with the
    encoder weights its checkpoint lacks (its pooler, which mean pooling never reads, aside)."""
    from transformers import AutoModel, AutoTokenizer

    from shoprel.models.hf.head_loading import load_under_head

    with torch_threads(n_threads), loading(backbone):
        tokenizer = AutoTokenizer.from_pretrained(backbone.source)
        loaded = load_under_head(AutoModel, backbone.source, **backbone.model_kwargs)
    loaded.model.eval()
    return TorchBackbone(loaded.model, tokenizer, loaded.missing_encoder)


def load_backbone(backbone: Backbone):
    """(model in eval mode, tokenizer) of `load_transformer`, for callers that need no more."""
    loaded = load_transformer(backbone)
    return loaded.model, loaded.tokenizer

