"""An encoder split at one layer: the bottom run once per text, the top trained.

Fine-tuning a whole encoder on 2 cores costs about an hour an epoch (EmbeddingGemma: forward and
backward through 24 layers for every pair). Training only the top few layers needs the bottom's
output for each distinct text once: it is computed here with the weights frozen and kept, and
each training step then runs forward and backward through the top layers alone (24 → 4 layers:
~6× less work a step, and a QC category path or QI query that recurs is not recomputed).

`bottom` stops the backbone's forward at the input of layer `start` (a hook raises once it has
what it needs); `top` is a view of the same model whose embedding step passes the given hidden
states through and whose first `start` layers hand their input on unchanged, so masks, rotary
positions and the final norm are the model's own. Decoder-style stacks (`model.layers`, e.g.
Gemma 3) and encoder-style ones (`model.encoder.layer` with an `embeddings` module, e.g. BERT,
XLM-R) are supported; the test suite checks that top(bottom(x)) equals the whole model on both.
"""

from __future__ import annotations

import copy

from shoprel.errors import ConfigError


def _torch_nn():
    import torch.nn as nn

    return nn


def layer_stack(model):
    """(module holding the layer list, its attribute name) of a transformers encoder."""
    nn = _torch_nn()
    if isinstance(getattr(model, "layers", None), nn.ModuleList):
        return model, "layers"
    encoder = getattr(model, "encoder", None)
    if encoder is not None and isinstance(getattr(encoder, "layer", None), nn.ModuleList):
        return encoder, "layer"
    raise ConfigError(f"model.params.backbone: cannot train the top layers of a "
                      f"{type(model).__name__} (no `layers` or `encoder.layer` list)")


def n_layers(model) -> int:
    owner, attr = layer_stack(model)
    return len(getattr(owner, attr))


class _Reached(Exception):
    """Raised by the bottom's hook: the rest of the forward pass is not needed."""


def _shallow(module):
    """A copy of `module` that shares every parameter and submodule, but whose own list of
    submodules may be changed without touching the original."""
    view = copy.copy(module)
    view._modules = dict(module._modules)
    return view


class SplitEncoder:
    """A transformers encoder whose layers from `start` on can be trained on cached states."""

    def __init__(self, model, start: int):
        total = n_layers(model)
        if not 0 <= start < total:
            raise ConfigError(f"model.params.tuned_layers: the backbone has {total} layers; "
                              f"train 1 to {total} of them, not {total - start}")
        self.model, self.start = model, start
        self.top = self._top_view()

    def tuned_layers(self) -> list:
        owner, attr = layer_stack(self.model)
        return list(getattr(owner, attr))[self.start:]

    def tuned_modules(self) -> dict:
        """The modules a fit trains, by name: the top layers and a final norm when the model
        has one (the embeddings and lower layers stay frozen)."""
        modules = {f"layer{self.start + i}": layer for i, layer in enumerate(self.tuned_layers())}
        norm = getattr(self.model, "norm", None)
        if norm is not None:
            modules["norm"] = norm
        return modules

    @property
    def device(self):
        """Where the model's weights are (the inputs of `bottom` go there)."""
        return next(self.model.parameters()).device

    def bottom(self, input_ids, attention_mask):
        """Hidden states entering layer `start` (the embeddings' output when start is 0), on
        the model's device."""
        owner, attr = layer_stack(self.model)
        input_ids, attention_mask = input_ids.to(self.device), attention_mask.to(self.device)
        captured = {}

        def grab(module, args, kwargs):
            captured["states"] = args[0] if args else kwargs["hidden_states"]
            raise _Reached

        handle = getattr(owner, attr)[self.start].register_forward_pre_hook(grab,
                                                                             with_kwargs=True)
        try:
            self.model(input_ids=input_ids, attention_mask=attention_mask)
        except _Reached:
            pass
        finally:
            handle.remove()
        return captured["states"]

    def forward_top(self, states, attention_mask):
        """The last hidden state from hidden states entering layer `start`."""
        return self.top(inputs_embeds=states, attention_mask=attention_mask).last_hidden_state

    def _top_view(self):
        nn = _torch_nn()

        class PassStates(nn.Module):
            def forward(self, hidden_states, *args, **kwargs):
                return hidden_states

        class PassEmbeddings(nn.Module):
            def forward(self, input_ids=None, *args, inputs_embeds=None, **kwargs):
                return inputs_embeds

        top = _shallow(self.model)
        owner, attr = layer_stack(self.model)
        holder = top if owner is self.model else _shallow(owner)
        if holder is not top:
            top._modules["encoder"] = holder
        layers = list(getattr(owner, attr))
        holder._modules[attr] = nn.ModuleList(
            [PassStates() for _ in range(self.start)] + layers[self.start:])
        if isinstance(getattr(self.model, "embeddings", None), nn.Module):
            top._modules["embeddings"] = PassEmbeddings()  # BERT adds positions to its input
        return top
