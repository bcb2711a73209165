"""Hidden states entering the first tuned layer, per distinct text.

A fit needs each text's lower-layer output at every epoch; it is computed once, with the lower
layers frozen, and kept for the process as float16 (EmbeddingGemma: ~30 KB a short text; float32
for a text whose states pass float16's range, see `kept_states`), so the
fold models of one cross-validation and its final model share it, and on disk (state_cache.py)
when given one, so the next `train` on the same texts starts at the tuned layers. Scoring
computes the states of new texts and runs them straight through the top layers without keeping
them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import torch

from shoprel.utils.progress import bar_delay, bar_wanted, progress_bar

PROGRESS_FROM = 1000  # texts to run before a progress bar is worth showing
SAVE_EVERY = 1024  # computed states written to disk in parts of this many texts
MEMO_BYTES = 6 * 2**30  # states kept for the process, oldest dropped first beyond this
_MEMO: OrderedDict[tuple, dict[str, torch.Tensor]] = OrderedDict()


def kept_states(states: torch.Tensor) -> torch.Tensor:
    """One text's states as float16 where they fit, else float32. Gemma-3's deep layers carry
    values past float16's 65,504 (EmbeddingGemma's input to its last layer: ~112k), which
    float16 would turn to inf and the text's vector to NaN (`tuned_layers: 1` failed so).
    Always a copy of its own (`copy=True`, once), never a view keeping the padded batch alive."""
    half = states.to("cpu", torch.float16, copy=True)
    if bool(torch.isfinite(half).all()):
        return half
    return states.to("cpu", torch.float32, copy=True)


class StateStore:
    def __init__(self, split, tokenizer, key: tuple, max_length: int, batch_size: int,
                 disk=None):
        self.split, self.tokenizer, self.key = split, tokenizer, key
        self.max_length, self.batch_size = max_length, batch_size
        self.disk = disk  # a StateCache, or None

    def _batches(self, texts: Sequence[str]):
        """(positions, states, mask) of length-sorted padded batches of `texts`."""
        if not texts:
            return
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        order = np.argsort([len(x) for x in ids], kind="stable")
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            padded = self.tokenizer.pad({"input_ids": [ids[i] for i in batch]},
                                        return_tensors="pt")
            mask = padded["attention_mask"]
            with torch.inference_mode():
                states = self.split.bottom(padded["input_ids"], mask)
            yield batch, states, mask

    def states(self, texts: Sequence[str], remember: bool = True, show_progress: bool = False,
               kind: str = "texts") -> list[torch.Tensor]:
        """Each text's (tokens, hidden) states (`kept_states`), computed once per distinct text.
        `show_progress`: a bar of the texts run through the lower layers, from PROGRESS_FROM
        of them, or any number inside `eager_bars` once they last (utils.progress.bar_wanted)."""
        memo = _MEMO.setdefault(self.key, {})
        _MEMO.move_to_end(self.key)
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        found = self.disk.lookup(missing) if self.disk is not None and missing else {}
        missing = [t for t in missing if t not in found]
        unsaved: dict[str, torch.Tensor] = {}
        shown = bar_wanted(len(missing), None if show_progress else False, PROGRESS_FROM)
        with progress_bar(total=len(missing), unit="text", desc=f"lower layers of {kind}",
                          disable=not shown, delay=bar_delay()) as bar:
            for batch, states, mask in self._batches(missing):
                lengths = mask.sum(1).tolist()
                for row, i in enumerate(batch):
                    kept = states[row, :lengths[row]]
                    unsaved[missing[i]] = kept_states(kept)
                bar.update(len(batch))
                if len(unsaved) >= SAVE_EVERY:  # a killed run keeps what it computed
                    self._save(unsaved, found)
            self._save(unsaved, found)
        if remember:
            memo.update(found)
            _trim()
        return [memo[t] if t in memo else found[t] for t in texts]

    def _save(self, unsaved: dict, found: dict) -> None:
        if self.disk is not None and unsaved:
            self.disk.store(unsaved)
        found.update(unsaved)
        unsaved.clear()

    def vectors(self, scorer, texts: Sequence[str], remember: bool = False,
                progress: bool | None = False, kind: str = "texts") -> np.ndarray:
        """Unit vectors of `texts` through the (tuned) top, one pass per distinct text; with
        `remember` the new texts' states are kept like a fit's (and written to disk).
        `progress`: a bar of the texts run through the whole encoder, batch by batch (as
        utils.progress.bar_wanted: None, from PROGRESS_FROM texts)."""
        distinct = list(dict.fromkeys(texts))
        memo = _MEMO.setdefault(self.key, {}) if remember else _MEMO.get(self.key, {})
        known = {t: memo[t] for t in distinct if t in memo}
        unseen = [t for t in distinct if t not in known]
        if self.disk is not None and unseen:
            stored = self.disk.lookup(unseen)
            known.update(stored)
            if remember:
                memo.update(stored)
        vectors: dict[str, np.ndarray] = {}
        kept: dict[str, torch.Tensor] = {}
        with torch.inference_mode():
            ready = sorted(known, key=lambda t: len(known[t]))  # batches of like lengths pad less
            for start in range(0, len(ready), self.batch_size):
                rows = ready[start:start + self.batch_size]
                states, mask = _pad([known[t] for t in rows])
                vectors.update(zip(rows, scorer.vectors(states, mask), strict=True))
            new = [t for t in distinct if t not in known]
            with progress_bar(total=len(new), unit="text", desc=f"embedding {kind}",
                              disable=not bar_wanted(len(new), progress, PROGRESS_FROM),
                              delay=bar_delay()) as bar:
                for batch, states, mask in self._batches(new):
                    embedded = scorer.vectors(states, mask)
                    lengths = mask.sum(1).tolist()
                    for row, i in enumerate(batch):
                        vectors[new[i]] = embedded[row]
                        if remember:
                            kept[new[i]] = kept_states(states[row, :lengths[row]])
                    bar.update(len(batch))
        if kept:
            memo.update(kept)
            if self.disk is not None:
                self.disk.store(kept)
            _trim()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([vectors[t] for t in texts])


def _pad(states):
    from shoprel.models.biencoder.scorer import pad

    return pad(states)


def _trim() -> None:
    def size(memo):
        return sum(t.numel() * t.element_size() for t in memo.values())

    total = sum(size(m) for m in _MEMO.values())
    while len(_MEMO) > 1 and total > MEMO_BYTES:
        _, dropped = _MEMO.popitem(last=False)
        total -= size(dropped)


def forget() -> None:
    """Drop every kept state (tests; a long-lived process done with its fits)."""
    _MEMO.clear()
