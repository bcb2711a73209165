"""Scoring a fine-tuned classifier exported to ONNX (`shoprel export --onnx`) with onnxruntime.

A saved model folder may hold `onnx/` beside its Hugging Face weights: `model.onnx` (fp32),
optionally `model.int8.onnx`, and `export.json` saying which one scoring should use. The
exporter (export/onnx.py) writes these files; this module only reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoprel.models.hf.trainer import softmax_positive

ONNX_FOLDER = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
META_FILE = "export.json"


@dataclass(frozen=True)
class ExportedModel:
    path: Path
    precision: str  # "fp32" or "int8"


def exported_model(model_folder: str | Path, precision: str | None = None) -> ExportedModel | None:
    """The ONNX file a model folder's export says to score with (or the given precision's),
    or None when there is none."""
    folder = Path(model_folder) / ONNX_FOLDER
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    precision = precision or meta["preferred"]
    if precision not in meta["files"]:
        return None
    path = folder / meta["files"][precision]
    return ExportedModel(path, precision) if path.is_file() else None


class OnnxScorer:
    """An onnxruntime session that turns padded batches into positive-class probabilities."""

    def __init__(self, path: str | Path, n_threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if n_threads:
            options.intra_op_num_threads = n_threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def positive(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        feed = {name: batch[name].astype(np.int64) for name in self.inputs}
        (logits,) = self.session.run(["logits"], feed)
        return softmax_positive(logits)
