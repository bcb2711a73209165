"""The masked-LM loss with the vocabulary projection made for the masked tokens alone.

A masked-LM model projects every token, padding included, onto its whole vocabulary and then
scores only the ~15% that are masked: for e5-small's 250k words that was 3 GB of logits per
batch of 64 texts, 175 s of a 204 s `shoprel pretrain` of 2 steps in its loss probes, and 6-8 s
of each training step of 16 or 32 texts, 1.3-2.2 s now (500 QC rows, load 3 on 2 cores). Here
the model's output embeddings (the decoder onto the vocabulary) get the masked tokens' hidden
states alone and the loss gets their labels alone: the probes' is the model's own mean over
the same tokens. The loss probes (`masked_lm_loss`) and the training steps
(`masked_lm_trainer`) both go through `masked_tokens_call`.

The training steps score the logits themselves (models/hf/step_loss.py, which the classifier
families' trainer uses too): Trainer takes a model whose forward has **kwargs (BertForMaskedLM's)
to divide its summed loss by the masked tokens of the whole accumulated, all-rank batch, so it
multiplies the loss by the number of processes and leaves out the division by the
gradient-accumulation steps; BERT's loss is a plain mean that ignores that count, so 2
processes gave 2x the gradients (before gradient clipping) and k accumulated micro-batches k x.
"""

from __future__ import annotations

from collections.abc import Callable

from shoprel.models.hf.step_loss import summed_cross_entropy


class _NotNarrowed(Exception):
    """The decoder's input is not shaped (batch, tokens, hidden): the model's own call runs."""


def masked_tokens_call(call: Callable[[dict], object], head_model, inputs: dict, labels):
    """`call(inputs and labels)` with the vocabulary projection made for the masked tokens
    alone (labels != -100): the labels passed are theirs, one per token, and the decoder gets
    their hidden states, one row each. A model whose head cannot be narrowed (no output
    embeddings, or hidden states not shaped like the labels) gets the whole labels and its own
    projection of every token. `head_model`: the model itself, not a wrapper (DDP's) that
    `call` may go through."""
    masked = labels != -100
    decoder = head_model.get_output_embeddings()
    if decoder is not None:
        def only_masked(module, args):
            hidden = args[0]
            if hidden.dim() != 3 or hidden.shape[:2] != masked.shape:
                raise _NotNarrowed
            return (hidden[masked], *args[1:])

        handle = decoder.register_forward_pre_hook(only_masked)
        try:
            return call({**inputs, "labels": labels[masked]})
        except _NotNarrowed:
            pass  # stopped before the decoder: no loss, no graph kept
        finally:
            handle.remove()
    return call({**inputs, "labels": labels})


def masked_lm_trainer(trainer_class):
    """A subclass of transformers' `trainer_class` whose training loss goes through
    `masked_tokens_call` and `summed_cross_entropy`: the masked tokens' logits alone, their
    summed loss divided by the masked tokens of the step's whole batch (every accumulated
    micro-batch, every rank), so the gradients are those of one batch's mean however the step
    is split. Evaluation, which wants the outputs whole, keeps the Trainer's own path through
    the same loss function."""

    class MaskedTokensTrainer(trainer_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, compute_loss_func=summed_cross_entropy(), **kwargs)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            parent = super().compute_loss
            if return_outputs or "labels" not in inputs:
                return parent(model, inputs, return_outputs=return_outputs,
                              num_items_in_batch=num_items_in_batch)
            rest = {name: value for name, value in inputs.items() if name != "labels"}
            return masked_tokens_call(
                lambda given: parent(model, given, num_items_in_batch=num_items_in_batch),
                self.accelerator.unwrap_model(model), rest, inputs["labels"])

    return MaskedTokensTrainer
