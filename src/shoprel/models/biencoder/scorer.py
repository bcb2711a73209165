"""The trained part of the bi-encoder as one torch module: the backbone's top layers, its pooling
and dense head (sentence-transformers folders have one), and a scale and bias that turn the
pair's cosine into a logit. The Trainer sees it as any model: a batch in, a loss out."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

COSENT_SCALE = 20.0  # sentence-transformers' CoSENTLoss default


def pad(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Variable-length (tokens, hidden) states as one float32 batch and its attention mask."""
    longest = max(len(s) for s in states)
    batch = torch.zeros(len(states), longest, states[0].shape[1])
    mask = torch.zeros(len(states), longest, dtype=torch.long)
    for row, s in enumerate(states):
        batch[row, :len(s)] = s.float()
        mask[row, :len(s)] = 1
    return batch, mask


class PairScorer(nn.Module):
    def __init__(self, top: nn.Module, heads: list[nn.Module], loss: str = "bce"):
        super().__init__()
        self.top = top
        self.heads = nn.ModuleList(heads)
        self.loss_name = loss
        # Trainer reads it: whether the loss is summed over the step's pairs given their count
        # (BCE), so Trainer scales it for accumulation and processes as such a sum; CoSENT ranks
        # the pairs of one micro-batch against each other, no sum over pairs, and is averaged
        # over the step's micro-batches and processes like any mean (forward's **kwargs would
        # otherwise make Trainer take both for sums: 2 micro-batches stepped with 2 x)
        self.accepts_loss_kwargs = loss == "bce"
        self.scale = nn.Parameter(torch.tensor(10.0))
        self.bias = nn.Parameter(torch.tensor(0.0))

    def embed(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Unit vectors of texts from the hidden states entering the first tuned layer."""
        hidden = self.top(inputs_embeds=states, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        for head in self.heads:  # sentence-transformers modules read and write a dict
            pooled = head({"sentence_embedding": pooled})["sentence_embedding"]
        return F.normalize(pooled, dim=-1)

    def vectors(self, states: torch.Tensor, mask: torch.Tensor):
        """`embed` of a batch computed where the weights are (a GPU after training there), as
        a float32 numpy array."""
        device = self.scale.device
        return self.embed(states.to(device, torch.float32), mask.to(device)).float().cpu().numpy()

    def logits(self, q: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.scale * (q * t).sum(-1) + self.bias

    def forward(self, q_states, q_mask, t_states, t_mask, labels=None, num_items_in_batch=None,
                **kwargs):
        logits = self.logits(self.embed(q_states, q_mask), self.embed(t_states, t_mask))
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = self.loss(logits, labels.to(logits.dtype), num_items_in_batch)
        return out

    def loss(self, logits: torch.Tensor, labels: torch.Tensor,
             num_items_in_batch=None) -> torch.Tensor:
        """The batch's loss; BCE's with `num_items_in_batch` (Trainer's count of the step's
        pairs, every micro-batch and process) is its sum over that count, as the batch's mean
        times its share of the pairs: exactly the mean for a step of one batch."""
        if self.loss_name == "bce":
            mean = F.binary_cross_entropy_with_logits(logits, labels)
            if num_items_in_batch is None:
                return mean
            return mean * (labels.numel() / num_items_in_batch)
        # CoSENT: log(1 + Σ exp(λ(cos_neg − cos_pos))) over every (positive, negative) pair of
        # the batch; the scale and bias do not change the order, so the raw cosine is used
        cos = (logits - self.bias) / self.scale
        gaps = COSENT_SCALE * (cos[None, :] - cos[:, None])  # [i, j] = cos_j − cos_i
        ordered = (labels[:, None] > labels[None, :])  # i should score above j
        gaps = gaps[ordered]
        zero = torch.zeros(1, dtype=cos.dtype, device=cos.device)
        # a copy: logsumexp's backward reads its own output, which the Trainer scales in place
        return torch.logsumexp(torch.cat([zero, gaps]), dim=0).clone()
