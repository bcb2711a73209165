"""transformers' `TrainingArguments` with a warm-up that never takes every step.

The linear warm-up starts at a learning rate of 0: with `warmup_ratio` 0.06 and one step in
all (`pretrain --max-steps 1`, or a tiny file for one epoch) the warm-up is ceil(0.06) = 1
step, the only one, so the weights never changed. Capped at steps − 1, the last step always
learns. In a module of its own, imported only where transformers is: Trainer pickles its
arguments into checkpoints, which needs the class at module level.
"""

from __future__ import annotations

from transformers import TrainingArguments


class CappedWarmupArguments(TrainingArguments):
    def get_warmup_steps(self, num_training_steps: int) -> int:
        return min(super().get_warmup_steps(num_training_steps), max(num_training_steps - 1, 0))
