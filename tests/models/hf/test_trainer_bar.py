"""The Trainer's progress bar (cross-encoder, bi-encoder and pretrain fits) in a log."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest

pytest.importorskip("transformers")


def test_a_logged_trainer_bar_draws_compact_counts(monkeypatch):
    """Hugging Face's ProgressCallback drew tqdm's full bar and rate into a log at each redraw
    ('  0%|          | 0/3 [00:00<?, ?it/s]') after every other shoprel bar had moved to the
    logged format: the bar bar_without_log_lines leaves is now shoprel's own."""
    from transformers.trainer_callback import ProgressCallback

    from shoprel.models.hf.trainer import bar_without_log_lines

    class FakeTrainer:
        def __init__(self):
            self.callbacks = [ProgressCallback()]

        def remove_callback(self, kind):
            self.callbacks = [c for c in self.callbacks if not isinstance(c, kind)]

        def pop_callback(self, kind):
            found = next((c for c in self.callbacks if isinstance(c, kind)), None)
            self.remove_callback(kind)
            return found

        def add_callback(self, kind):
            self.callbacks.append(kind())

    trainer = FakeTrainer()
    bar_without_log_lines(trainer)
    (callback,) = trainer.callbacks
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    state = SimpleNamespace(is_world_process_zero=True, max_steps=3, global_step=0)
    callback.on_train_begin(None, state, None)
    for step in (1, 2, 3):
        state.global_step = step
        callback.on_step_end(None, state, None)
    callback.on_log(None, state, None, logs={"loss": 0.5})  # written nowhere
    callback.on_train_end(None, state, None)
    lines = [line for line in log.getvalue().replace("\r", "\n").splitlines() if line.strip()]
    assert lines and lines[-1].strip().startswith("training steps: 3/3 [")
    assert not any("%|" in line or "it/s" in line or "loss" in line for line in lines), lines
