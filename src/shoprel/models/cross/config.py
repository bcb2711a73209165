"""The cross-encoder's params: the shared fine-tuning ones and its own two."""

from __future__ import annotations

from typing import Literal

from shoprel.models.hf.config import HFConfig

ENGINES = ("auto", "torch", "onnx", "onnx-fp32", "onnx-int8")


class CrossConfig(HFConfig):
    freeze_word_embeddings: bool = True
    # what a loaded model scores with: torch, or the ONNX export (auto: the export when present)
    engine: Literal[ENGINES] = "auto"
