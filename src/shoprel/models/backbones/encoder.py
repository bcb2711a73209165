"""Sentence embeddings from an encoder backbone: mean-pooled over real tokens, unit length.

Texts are sorted by token count and padded per batch, so short queries are not padded to the
length of the longest category path in the set; a batch holds at most `batch_size` rows and
`batch_tokens` padded tokens (batching.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

import numpy as np

from shoprel.models.backbones.batching import BATCH_TOKENS, check_batching, token_batches
from shoprel.models.backbones.resolve import Backbone, resolve_backbone
from shoprel.models.backbones.torch_load import load_transformer
from shoprel.utils.progress import bar_delay, bars_allowed, progress_bar
from shoprel.utils.threads import torch_threads

Kind = Literal["query", "passage"]
PLURAL = {"query": "queries", "passage": "passages"}


class Encoder:
    def __init__(self, backbone: Backbone, batch_size: int = 64, max_length: int = 512,
                 num_threads: int | None = None, show_progress: bool = False,
                 batch_tokens: int = BATCH_TOKENS):
        check_batching(batch_size, batch_tokens)
        self.backbone = backbone
        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        self.max_length = max_length
        self.num_threads = num_threads
        self.show_progress = show_progress
        loaded = load_transformer(backbone, num_threads)
        self.model, self.tokenizer = loaded.model, loaded.tokenizer
        # started random (a broken checkpoint): the embed model's fit records them for a warning
        self.missing_encoder_weights: list[str] = loaded.missing_encoder
        self.dim = int(self.model.config.hidden_size)

    @classmethod
    def from_name(cls, name: str, cache_dir: str | os.PathLike | None = None,
                  **kwargs) -> Encoder:
        return cls(resolve_backbone(name, cache_dir), **kwargs)

    def prefix(self, kind: Kind) -> str:
        if kind == "query":
            return self.backbone.query_prefix
        if kind == "passage":
            return self.backbone.passage_prefix
        raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")

    def encode(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        """(n, dim) float32, L2-normalised; e5 backbones get their "query: "/"passage: " prefix."""
        import torch

        prefix = self.prefix(kind)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        ids = self.tokenizer([prefix + str(t) for t in texts], truncation=True,
                             max_length=self.max_length)["input_ids"]
        lengths = np.array([len(x) for x in ids])
        order = np.argsort(lengths, kind="stable")
        bar = progress_bar(total=len(texts), unit="text", desc=f"embedding {PLURAL[kind]}",
                           disable=not (self.show_progress and bars_allowed()), delay=bar_delay())
        with bar, torch_threads(self.num_threads), torch.inference_mode():
            for batch in token_batches(lengths, order, self.batch_size, self.batch_tokens):
                padded = self.tokenizer.pad({"input_ids": [ids[i] for i in batch]},
                                            return_tensors="pt")
                mask = padded["attention_mask"]
                hidden = self.model(input_ids=padded["input_ids"], attention_mask=mask)[0]
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
                out[batch] = pooled.numpy()
                bar.update(len(batch))
        return out
