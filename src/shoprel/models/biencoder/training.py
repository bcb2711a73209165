"""One bi-encoder fit through the Hugging Face Trainer, stopped early on held-out groups.

The Trainer runs the steps (schedule, warm-up, clipping, seeds, GPU when there is one); a
callback scores the held-out rows every `eval_steps` steps and before the first, keeps the best
tuned weights in memory (only the top layers and head: no checkpoint of the frozen rest is
written) and stops after `patience` scores without a better ROC-AUC.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from shoprel.models.biencoder.config import BiEncoderConfig
from shoprel.models.biencoder.scorer import pad
from shoprel.models.hf import trainer as hft
from shoprel.utils.progress import bars_allowed, progress_bar


class PairRows(torch.utils.data.Dataset):
    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return {"row": int(self.rows[i])}


def collator(q_states, t_states, labels: np.ndarray):
    def collate(features: list[dict]) -> dict:
        rows = [f["row"] for f in features]
        q, q_mask = pad([q_states[r] for r in rows])
        t, t_mask = pad([t_states[r] for r in rows])
        return {"q_states": q, "q_mask": q_mask, "t_states": t, "t_mask": t_mask,
                "labels": torch.tensor(labels[rows], dtype=torch.float32)}
    return collate


def pair_cosines(scorer, q_states, t_states, rows: np.ndarray, batch_size: int):
    """A function giving the scorer's current cosine of each pair in `rows`, each distinct text
    embedded once per call."""
    def distinct(states):
        index: dict[int, int] = {}
        unique = []
        for r in rows:
            key = id(states[r])  # the store hands out one tensor per distinct text
            if key not in index:
                index[key] = len(unique)
                unique.append(states[r])
        return unique, np.array([index[id(states[r])] for r in rows])

    q_unique, q_pos = distinct(q_states)
    t_unique, t_pos = distinct(t_states)

    def embed(unique):
        out = []
        for start in range(0, len(unique), batch_size):
            states, mask = pad(unique[start:start + batch_size])
            out.append(scorer.vectors(states, mask))
        return np.concatenate(out)

    def cosines() -> np.ndarray:
        was_training = scorer.training
        scorer.eval()
        with torch.no_grad():
            q, t = embed(q_unique), embed(t_unique)
        scorer.train(was_training)
        return (q[q_pos] * t[t_pos]).sum(1)
    return cosines


def holdout_scorer(scorer, q_states, t_states, labels: np.ndarray, rows: np.ndarray,
                   batch_size: int):
    """ROC-AUC of the scorer's cosine on `rows`."""
    cosines = pair_cosines(scorer, q_states, t_states, rows, batch_size)
    return lambda: float(roc_auc_score(labels[rows], cosines()))


def calibrate(scorer, cosines: np.ndarray, labels: np.ndarray) -> None:
    """Set the scale and bias by a logistic regression of the labels on the cosine.

    CoSENT trains only the order of the cosines, so scale and bias keep their initial values
    and the probabilities would mean nothing; ensembles average probabilities, so they are
    fitted once training is done (held-out rows when there are some: on rows it was trained
    on the cosine separates better than it will on new ones)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4).fit(cosines.reshape(-1, 1), labels.astype(int))
    with torch.no_grad():
        scorer.scale.fill_(float(fit.coef_[0, 0]))
        scorer.bias.fill_(float(fit.intercept_[0]))


def early_stopping(score, tensors: dict, eval_steps: int, patience: int):
    from transformers import TrainerCallback

    class EarlyStopping(TrainerCallback):
        def __init__(self):
            self.best, self.best_step, self.bad, self.stopped = -1.0, 0, 0, False
            self.first = self.best_state = None
            self.history: list[list[float]] = []

        def check(self, step: int, control) -> None:
            auc = score()
            self.history.append([step, round(auc, 4)])
            if self.first is None:
                self.first = auc
            if auc > self.best + 1e-5:
                self.best, self.best_step, self.bad = auc, step, 0
                self.best_state = {k: v.detach().clone() for k, v in tensors.items()}
            else:
                self.bad += 1
                if self.bad >= patience and control is not None:
                    control.should_training_stop = self.stopped = True

        def on_train_begin(self, args, state, control, **kwargs):
            self.check(0, None)

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step % eval_steps == 0:
                self.check(state.global_step, control)

        def on_train_end(self, args, state, control, **kwargs):
            if state.global_step % eval_steps:
                self.check(state.global_step, None)
            with torch.no_grad():
                for k, v in tensors.items():
                    v.copy_(self.best_state[k])
    return EarlyStopping()


def step_bar(show: bool):
    """A bar of optimizer steps (the Trainer's own prints a dict a line; it shows instead when
    `training.progress` is set)."""
    from transformers import TrainerCallback

    class StepBar(TrainerCallback):
        bar = None

        def on_train_begin(self, args, state, control, **kwargs):
            self.bar = progress_bar(total=state.max_steps, unit="step", desc="tuning top layers",
                                    disable=not show)

        def on_step_end(self, args, state, control, **kwargs):
            self.bar.update(1)

        def on_train_end(self, args, state, control, **kwargs):
            self.bar.close()
    return StepBar()


def fit_scorer(scorer, split, q_states, t_states, labels: np.ndarray, train: np.ndarray,
               holdout: np.ndarray, config: BiEncoderConfig) -> dict:
    """Train the scorer's top layers, head, scale and bias in place; returns what happened."""
    from transformers import Trainer

    from shoprel.models.biencoder.model import tuned_tensors

    args = config.training
    for p in scorer.parameters():
        p.requires_grad_(False)
    layers = [p for m in [*split.tuned_modules().values(), *scorer.heads] for p in m.parameters()]
    for p in [*layers, scorer.scale, scorer.bias]:
        p.requires_grad_(True)
    optimiser = torch.optim.AdamW([
        {"params": layers, "lr": args.learning_rate, "weight_decay": args.weight_decay},
        {"params": [scorer.scale, scorer.bias], "lr": config.head_learning_rate,
         "weight_decay": 0.0}])
    callbacks = [step_bar(bars_allowed() and not args.progress)]
    stopper = None
    if len(holdout):
        score = holdout_scorer(scorer, q_states, t_states, labels, holdout,
                               args.inference_batch_size)
        stopper = early_stopping(score, tuned_tensors(scorer, split), config.eval_steps,
                                 config.patience)
        callbacks.append(stopper)
    budget = hft.time_budget_callback(args.time_budget_minutes) if args.time_budget_minutes \
        else None
    if budget is not None:
        callbacks.append(budget)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="shoprel-biencoder-") as folder:
        arguments = dataclasses.replace(
            hft.training_arguments(args, folder), save_strategy="no",
            train_sampling_strategy="random")
        trainer = Trainer(model=scorer, args=arguments, train_dataset=PairRows(train),
                          data_collator=collator(q_states, t_states, labels),
                          optimizers=(optimiser, None), callbacks=callbacks)
        hft.bar_without_log_lines(trainer)  # with or without a bar: no log dicts on stdout
        scorer.train()
        trainer.train()
        scorer.eval()
    for p in scorer.parameters():
        p.requires_grad_(False)
    calibrated_on = None
    if config.loss == "cosent" and len(np.unique(labels[train])) == 2:
        rows, calibrated_on = (holdout, "holdout") if len(holdout) else (train, "training")
        calibrate(scorer, pair_cosines(scorer, q_states, t_states, rows,
                                       args.inference_batch_size)(), labels[rows])
    stats = {"steps": int(trainer.state.global_step), "calibrated_on": calibrated_on,
             "seconds": round(time.perf_counter() - started, 1),
             "stopped_by_time_budget": bool(budget and budget.stopped_early)}
    if stopper is not None:
        stats.update({"holdout_roc_auc_start": round(stopper.first, 4),
                      "holdout_roc_auc_best": round(stopper.best, 4),
                      "best_step": stopper.best_step, "holdout_curve": stopper.history,
                      "stopped_early": stopper.stopped})
    return stats
