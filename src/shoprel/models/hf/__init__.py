"""Shared parts of the families that fine-tune a Hugging Face model (cross, llm).

`config.py` the typed training arguments and the common params, `trainer.py` the Trainer
wiring, `step_loss.py` its loss over a step's micro-batches and processes (pretrain's too),
`checkpoints.py` checkpoint folders and resume, `family.py` the base class of such a
family, `onnx.py` scoring an exported model with onnxruntime, `head_loading.py` loading an
encoder under a new head without transformers' load report (pretrain uses it too).
"""
