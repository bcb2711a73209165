"""The cross-entropy of one optimizer step, however Trainer splits the step's batch.

Trainer (transformers 5) takes a model whose forward has **kwargs (every *ForSequenceClassification
and *ForMaskedLM shoprel trains) to divide its summed loss by `num_items_in_batch`, the labelled
items of the step's whole batch: every accumulated micro-batch, every process. So it multiplies
the loss by the number of processes and leaves out the division by the accumulation steps.
Those models' own losses are plain means of one micro-batch, so k accumulated micro-batches
stepped with k x the gradients and N processes with N x (before clipping, which then cut them
to another step). Given to Trainer as its `compute_loss_func`, `summed_cross_entropy` is what
that scaling expects: the micro-batch's summed loss over the step's count, so a step has the
gradients of one batch of all its rows, and one micro-batch alone the model's own mean.
"""

from __future__ import annotations

from collections.abc import Callable

IGNORED = -100  # a label the loss skips (an unmasked token), as torch and Trainer skip it


def labelled_weight(labels, class_weights=None):
    """What a batch's labels weigh in a step's loss: how many are not IGNORED, or with
    `class_weights` (a tensor, one per class) the sum of their classes' weights, as torch's
    weighted mean divides by it."""
    labels = labels.reshape(-1)
    kept = labels[labels != IGNORED]
    if class_weights is None:
        return (labels != IGNORED).sum()
    return class_weights.to(kept.device)[kept].sum()


def summed_cross_entropy(class_weights=None) -> Callable:
    """Trainer's `compute_loss_func`: the cross-entropy of the labelled items (a classifier's
    rows, a masked-LM's masked tokens) summed and divided by `num_items_in_batch`, the items of
    the step's whole batch (every micro-batch and process); without it, by this batch's own:
    torch's mean. With `class_weights` (a float tensor, one per class) each item's loss counts
    times its class's weight and the divisor is what the step's items weigh (`labelled_weight`;
    Trainer counts items, so a trainer with class weights must give their weights instead):
    torch's weighted mean of this batch times its share of that weight, exactly torch's own
    loss when the step is one batch. The logits' last axis is the classes."""

    def loss(outputs, labels, num_items_in_batch=None):
        import torch.nn.functional as F

        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        labels = labels.to(logits.device)
        rows, classes = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
        if class_weights is None:
            total = F.cross_entropy(rows, classes, ignore_index=IGNORED, reduction="sum")
            return total / (labelled_weight(labels) if num_items_in_batch is None
                            else num_items_in_batch)
        weight = class_weights.to(device=logits.device, dtype=logits.dtype)
        mean = F.cross_entropy(rows, classes, weight=weight, ignore_index=IGNORED)
        if num_items_in_batch is None:
            return mean
        # the share is computed as the step's weight is (same function, values and device),
        # so it is exactly 1 for a step of one batch: that is the unaccumulated loss unchanged
        return mean * (labelled_weight(labels, class_weights) / num_items_in_batch)

    return loss
