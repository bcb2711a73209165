"""Keep the best adapter seen during training, judged by F1 on a held-out slice.

The winners evaluated every 500 steps and kept the best checkpoint. Only the LoRA matrices and
the head train, so the best state is a few MB: it is copied in memory when an evaluation beats
the last best, and put back when training ends, without touching the Trainer's checkpoints.
"""

from __future__ import annotations

import numpy as np
from transformers import TrainerCallback

from shoprel.models import hf_training


def best_f1(labels: np.ndarray, scores: np.ndarray) -> float:
    """Positive-class F1 at its best threshold (the runner tunes the threshold the same way)."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(np.asarray(labels)[order] == 1)
    positives = int(np.sum(labels == 1))
    if positives == 0:
        return 0.0
    predicted = np.arange(1, len(order) + 1)
    return float(np.max(2 * hits / (predicted + positives)))


class BestByF1(TrainerCallback):
    def __init__(self, input_ids: list[list[int]], labels, tokenizer, batch_size: int,
                 every: int):
        self.input_ids = input_ids
        self.labels = np.asarray(labels)
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.every = every
        self.best: dict | None = None
        self._best_state: dict | None = None
        self._last_step = -1

    def _scores(self, model) -> np.ndarray:
        encodings = {"input_ids": self.input_ids,
                     "attention_mask": [[1] * len(x) for x in self.input_ids]}
        return hf_training.score_encoded(encodings, self.tokenizer, self.batch_size,
                                         hf_training.torch_positive(model))

    def _evaluate(self, model, step: int) -> None:
        if step == self._last_step:
            return
        self._last_step = step
        was_training = model.training
        model.eval()
        f1 = best_f1(self.labels, self._scores(model))
        if was_training:
            model.train()
        if self.best is None or f1 > self.best["f1"]:
            self.best = {"f1": round(f1, 6), "step": step}
            self._best_state = {name: p.detach().clone()
                                for name, p in model.named_parameters() if p.requires_grad}

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if model is not None and state.global_step % self.every == 0:
            self._evaluate(model, state.global_step)
        return control

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if model is None:
            return control
        self._evaluate(model, state.global_step)
        if self._best_state is not None:
            params = dict(model.named_parameters())
            for name, value in self._best_state.items():
                params[name].data.copy_(value)
        self._best_state = None
        return control
