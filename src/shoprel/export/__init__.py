"""Exporting trained models to formats that score faster (ONNX, int8) without shoprel's torch."""
