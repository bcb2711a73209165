"""The names of a model's ONNX export, written once for its writer and scorer
(models/hf/onnx.py) and for --overwrite's check of a run holding one."""

from __future__ import annotations

# `shoprel export` writes these graphs and its record into a model's onnx/ (after the run's
# stamp, which then lists the folder as open); models/hf/onnx.py (the exporter's and the
# scorer's names) takes them from here, which sits below it
EXPORT_FOLDER = "onnx"
EXPORT_FP32, EXPORT_INT8, EXPORT_RECORD = "model.onnx", "model.int8.onnx", "export.json"
EXPORT_FILES = frozenset({EXPORT_FP32, EXPORT_INT8, EXPORT_RECORD})  # all such a folder holds
