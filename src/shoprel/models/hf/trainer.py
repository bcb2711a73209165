"""Hugging Face `Trainer` wiring shared by the families that fine-tune a transformer.

It turns the typed `TrainingArguments` (config.py) into transformers' own, stops cleanly on a
time budget, weights classes, resumes from the newest checkpoint of a fit's folder
(checkpoints.py), tokenizes (query side, target side) pairs, and scores them length-sorted with
per-batch padding. torch and transformers are imported inside functions, so importing this
module stays cheap.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shoprel.errors import ConfigError
from shoprel.models.hf.checkpoints import (
    TIME_FILE,
    checkpoint_step,
    latest_checkpoint,
    spent_seconds,
)
from shoprel.models.hf.config import TrainingArguments


def training_arguments(params: TrainingArguments, output_dir: str | Path):
    """`TrainingArguments` for a plain CPU/GPU fine-tune: no hub, no trackers, no eval loop;
    its warm-up leaves at least the last step to learn (warmup.py)."""
    from shoprel.models.hf.warmup import CappedWarmupArguments

    return CappedWarmupArguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=params.batch_size,
        gradient_accumulation_steps=params.grad_accumulation,
        learning_rate=params.learning_rate,
        lr_scheduler_type=params.lr_scheduler,
        warmup_steps=float(params.warmup_ratio),  # a float in [0, 1) is a ratio of all steps
        weight_decay=params.weight_decay,
        num_train_epochs=params.epochs,
        max_steps=params.max_steps if params.max_steps else -1,
        seed=params.seed,
        save_strategy="steps",
        save_steps=params.save_steps,
        save_total_limit=params.save_total_limit,
        logging_strategy="steps",
        logging_steps=params.logging_steps,
        eval_strategy="no",
        report_to=[],
        disable_tqdm=not params.progress,
        log_level="warning" if params.progress else "error",
        train_sampling_strategy="group_by_length" if params.group_by_length else "random",
        dataloader_num_workers=0,
        dataloader_pin_memory=_has_cuda(),
        remove_unused_columns=False,
    )


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def fit_device() -> str:
    """Where the Trainer puts a model it trains ("cuda" when torch sees a GPU): a family whose
    own code runs parts of the model outside the Trainer keeps them there too."""
    return "cuda" if _has_cuda() else "cpu"


def require_device(params: TrainingArguments) -> None:
    """A config written for a GPU (`device: cuda`) does not start hours of training on a CPU."""
    if params.device == "cuda" and not _has_cuda():
        raise ConfigError("model.params.device: cuda, but torch sees no CUDA GPU on this "
                          "machine; this config is written for one (hours on a CPU): on a CPU "
                          "use a CPU preset (configs/cross-e5-small.yaml, "
                          "configs/gemma3-270m-lora.yaml), or set device: auto to train here "
                          "anyway")


def time_budget_callback(minutes: float, spent_before: float = 0.0):
    """A callback that ends training once `minutes` of training time have passed.

    Time spent before a resume counts (read from the checkpoint), so an interrupted run does
    not get a fresh budget. Stopping is the Trainer's own clean stop: the step finishes, the
    loop ends, the model is usable.
    """
    from transformers import TrainerCallback

    class TimeBudget(TrainerCallback):
        def __init__(self):
            self.limit = minutes * 60.0
            self.spent_before = spent_before
            self.started = time.monotonic()
            self.stopped_early = False

        def spent(self) -> float:
            return self.spent_before + time.monotonic() - self.started

        def on_step_end(self, args, state, control, **kwargs):
            if _any_rank(self.spent() >= self.limit):
                control.should_training_stop = True
                self.stopped_early = state.global_step < state.max_steps
            return control

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                (folder / TIME_FILE).write_text(json.dumps({"seconds": self.spent()}))
            return control

    return TimeBudget()


def no_save_at_the_end_callback():
    """A callback that cancels the checkpoint Hugging Face writes at a fit's last step (with
    save_strategy "steps" it saves there whatever save_steps says), for a fit whose checkpoints
    are removed as soon as it ends: a whole model with its optimizer state, written for
    nothing. Checkpoints during the fit are still written, for a rerun to resume from; the
    finished model needs none (the family saves it, and BestByF1 keeps its best in memory)."""
    from transformers import TrainerCallback

    class NoSaveAtTheEnd(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if control.should_training_stop:  # the last step or the time budget's stop
                control.should_save = False
            return control

    return NoSaveAtTheEnd()


def _any_rank(flag: bool) -> bool:
    """True when any process of a distributed run says so: ranks read their own clocks, and a
    rank that stops a step before the others would leave them waiting in a gradient sync."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return flag
    device = "cpu"
    if dist.get_backend() == "nccl":
        device = f"cuda:{torch.cuda.current_device()}"
    vote = torch.tensor([int(flag)], device=device)
    dist.all_reduce(vote, op=dist.ReduceOp.MAX)
    return bool(vote.item())


def balanced_class_weights(labels: np.ndarray, n_classes: int = 2) -> np.ndarray:
    """n / (k · count_c), scikit-learn's "balanced"; a class that is absent gets weight 1."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    weights = np.ones(n_classes)
    present = counts > 0
    weights[present] = len(labels) / (n_classes * counts[present])
    return weights


def weighted_trainer_class():
    """A Trainer whose loss is cross-entropy with optional per-class weights, normalised over
    the optimizer step (step_loss.py): k accumulated micro-batches or N processes step with
    the gradients of one batch of all their rows, weighted: the sum of the rows' weighted
    losses over the sum of their weights, as torch's weighted mean of that one batch."""
    import torch
    from transformers import Trainer

    from shoprel.models.hf.step_loss import labelled_weight, summed_cross_entropy

    class WeightedTrainer(Trainer):
        def __init__(self, *args, class_weights: Sequence[float] | None = None, **kwargs):
            weights = (None if class_weights is None
                       else torch.tensor(list(class_weights), dtype=torch.float32))
            super().__init__(*args, compute_loss_func=summed_cross_entropy(weights), **kwargs)
            self.class_weights = weights

        def get_batch_samples(self, epoch_iterator, num_batches, device):
            """The step's micro-batches and what they weigh: Trainer counts their rows (over
            every process), the weighted loss divides by their class weights' sum."""
            batches, count = super().get_batch_samples(epoch_iterator, num_batches, device)
            if count is None or self.class_weights is None or self.args.n_gpu > 1:
                return batches, count  # n_gpu > 1: one process's DataParallel, left as it is
            # on `device`, as the loss computes each batch's share of it
            weight = sum(labelled_weight(batch["labels"].to(device), self.class_weights)
                         for batch in batches)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                weight = self.accelerator.gather(weight).sum()  # as Trainer gathers its count
            return batches, weight

    return WeightedTrainer


def encode_pairs(tokenizer, first: Sequence[str], second: Sequence[str],
                 max_length: int) -> dict[str, list[list[int]]]:
    """Token ids of each (first, second) pair, truncated to max_length, not padded."""
    return tokenizer(list(map(str, first)), list(map(str, second)), truncation=True,
                     max_length=max_length, padding=False)


class PairDataset:
    """Tokenized pairs with labels, as a map-style dataset for the Trainer (padding per batch)."""

    def __init__(self, tokenizer, first: Sequence[str], second: Sequence[str],
                 labels: Sequence[int], max_length: int):
        self.encodings = encode_pairs(tokenizer, first, second, max_length)
        self.labels = [int(y) for y in labels]
        self.keys = [k for k in self.encodings if k in tokenizer.model_input_names]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = {k: self.encodings[k][i] for k in self.keys}
        item["labels"] = self.labels[i]
        return item


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[np.ndarray]:
    """Row indices grouped into batches of similar length, so each batch pads little."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def score_encoded(encodings: dict[str, list[list[int]]], tokenizer, batch_size: int,
                  positive: Callable[[dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
    """Positive-class probability of every encoded pair, via `positive` on padded batches.

    `positive` gets numpy arrays (input_ids, attention_mask, ...) and returns one probability
    per row; the engines (torch, onnxruntime) differ only in that function.
    """
    keys = [k for k in encodings if k in tokenizer.model_input_names]
    n = len(encodings["input_ids"])
    out = np.zeros(n, dtype=np.float64)
    for batch in length_sorted_batches([len(x) for x in encodings["input_ids"]], batch_size):
        padded = tokenizer.pad({k: [encodings[k][i] for i in batch] for k in keys},
                               return_tensors="np")
        out[batch] = positive({k: padded[k].astype(np.int64) for k in keys})
    return out


def softmax_positive(logits: np.ndarray) -> np.ndarray:
    """P(class 1) from (n, 2) logits, computed stably."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e[:, 1] / e.sum(axis=1)


def torch_positive(model) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """A scoring function for `score_encoded` that runs a torch sequence classifier."""
    import torch

    device = next(model.parameters()).device

    def positive(batch: dict[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v).to(device) for k, v in batch.items()}
            logits = model(**inputs).logits
        return softmax_positive(logits.float().cpu().numpy())

    return positive


@contextlib.contextmanager
def quiet_transformers(quiet: bool = True, bars: bool = False):
    """Silence transformers' load reports and progress bars inside the block (unless asked);
    `bars`: leave its bars as they are, silencing the reports only."""
    from transformers.utils import logging as hf_logging

    if not quiet:
        yield
        return
    verbosity, enabled = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    if not bars:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if enabled and not bars:
            hf_logging.enable_progress_bar()


def bar_without_log_lines(trainer, desc: str = "training steps") -> None:
    """Keep `trainer`'s progress bar but drop the dicts Hugging Face writes under it on stdout
    ({'loss': ...}, the final {'train_runtime': ...}): shoprel's own summary says what matters,
    and stdout is for results. The bar is shoprel's (utils.progress.progress_bar), so a log
    reads compact counts as every other bar's does, where Hugging Face's tqdm drew its full
    bar and rate at each redraw; named `desc`, as every other bar is named (a pretrain's log
    read a bare '3/3 [00:51<00:00]')."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from shoprel.utils.progress import progress_bar

    class BarOnly(ProgressCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:  # as ProgressCallback's, with shoprel's bar
                self.training_bar = progress_bar(total=state.max_steps, desc=desc,
                                                 dynamic_ncols=True)
            self.current_step = 0

        def on_log(self, args, state, control, logs=None, **kwargs):
            return None

    trainer.remove_callback(PrinterCallback)  # without a bar: every log line as a dict
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(BarOnly)


@dataclass
class FitResult:
    global_step: int
    resumed_from_step: int
    seconds: float
    examples_per_second: float
    stopped_by_time_budget: bool


def run_trainer(model, tokenizer, dataset: PairDataset, params: TrainingArguments,
                checkpoint_dir: str | Path, class_weights: Sequence[float] | None = None,
                callbacks: list | None = None) -> FitResult:
    """Fine-tune `model` in place, resuming from the newest checkpoint in `checkpoint_dir`.

    Checkpoints (weights, optimizer, scheduler, RNG, data position and time spent) go to
    `checkpoint_dir` every `save_steps` optimizer steps; a rerun with the same folder goes on
    from the last one instead of starting over. The last step writes one only when
    `keep_checkpoints` asks to keep them (for a later rerun to train on from the end).
    """
    from transformers import DataCollatorWithPadding

    checkpoint_dir = Path(checkpoint_dir)
    resume = latest_checkpoint(checkpoint_dir)
    resumed_step = checkpoint_step(resume)
    budget = None
    extra = list(callbacks or [])
    if params.time_budget_minutes:
        budget = time_budget_callback(params.time_budget_minutes, spent_seconds(resume))
        extra.append(budget)
    if not params.keep_checkpoints:  # the family removes them when the fit ends
        extra.append(no_save_at_the_end_callback())  # last: after the stops are decided
    trainer = weighted_trainer_class()(
        model=model, args=training_arguments(params, checkpoint_dir), train_dataset=dataset,
        data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
        class_weights=class_weights, callbacks=extra)
    bar_without_log_lines(trainer)  # with or without a bar: no log dicts on stdout
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    seconds = time.perf_counter() - started
    steps_now = trainer.state.global_step - resumed_step
    examples = steps_now * params.batch_size * params.grad_accumulation
    model.eval()
    return FitResult(
        global_step=int(trainer.state.global_step), resumed_from_step=resumed_step,
        seconds=round(seconds, 2),
        examples_per_second=round(output.metrics.get("train_samples_per_second", 0.0)
                                  if not examples else examples / max(seconds, 1e-9), 2),
        stopped_by_time_budget=bool(budget and budget.stopped_early))
