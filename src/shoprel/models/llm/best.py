"""Keep the best adapter seen during training, judged by F1 on a held-out slice.

The winners evaluated every 500 steps and kept the best checkpoint. Only the LoRA matrices and
the head train, so the best state is a few MB: it is copied in memory when an evaluation beats
the last best (F1 at its best threshold, as the runner tunes it), and put back when training
ends, without touching the Trainer's checkpoints.
"""

from __future__ import annotations

import numpy as np
from transformers import TrainerCallback

from shoprel.evaluate.metrics import best_f1_threshold
from shoprel.models.hf import trainer as hft


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
        return hft.score_encoded(encodings, self.tokenizer, self.batch_size,
                                 hft.torch_positive(model))

    def _evaluate(self, model, step: int) -> None:
        if step == self._last_step:
            return
        self._last_step = step
        was_training = model.training
        model.eval()
        _, f1 = best_f1_threshold(self.labels, self._scores(model))
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
