"""The learning-rate warm-up never takes every step: with one step in all it took that one,
at a learning rate of 0, and the model never changed."""

import pytest

pytest.importorskip("transformers")

from shoprel.models.hf.config import TrainingArguments  # noqa: E402
from shoprel.models.hf.trainer import training_arguments  # noqa: E402


@pytest.mark.parametrize("ratio, steps, warmup", [
    (0.06, 1, 0), (0.06, 2, 1), (0.06, 100, 6), (0.5, 3, 2), (0.9, 5, 4), (0.0, 1, 0),
])
def test_warmup_leaves_the_last_step_to_learn(tmp_path, ratio, steps, warmup):
    args = training_arguments(TrainingArguments(warmup_ratio=ratio, progress=False), tmp_path)
    assert args.get_warmup_steps(steps) == warmup


def test_the_learning_rate_of_a_one_step_run_is_not_zero(tmp_path):
    import torch
    from transformers import get_scheduler

    args = training_arguments(TrainingArguments(progress=False, learning_rate=1e-3), tmp_path)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args.learning_rate)
    scheduler = get_scheduler(args.lr_scheduler_type, optimizer,
                              num_warmup_steps=args.get_warmup_steps(1), num_training_steps=1)
    assert scheduler.get_last_lr() == [pytest.approx(1e-3)]
