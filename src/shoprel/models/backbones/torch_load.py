"""A resolved backbone as torch modules, by one set of rules for the families that run it in
torch (the embed family's encoders, the bi-encoder): on `n_threads` threads, a folder it cannot
use one ConfigError (`resolve.loading`), transformers' load report silenced, and the encoder
weights a plain transformers checkpoint lacks (they start random: a broken checkpoint) handed
back for `shoprel train`'s one `warning:` line, as the cross-encoder's are (hf/head_loading.py).

A sentence-transformers folder loads its own way (transformers' load report never reaches us);
for a local one the encoder weights its checkpoint lacks are read off the names in its safetensors
files (`sentence_transformer_missing`), so the same warning reaches the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shoprel.models.backbones.resolve import Backbone, loading
from shoprel.utils.progress import bars_allowed, quiet_libraries
from shoprel.utils.threads import torch_threads


@dataclass
class TorchBackbone:
    model: Any  # a transformers encoder, in eval mode
    tokenizer: Any
    missing_encoder: list[str] = field(default_factory=list)  # started random: broken?


def load_transformer(backbone: Backbone, n_threads: int | None = None) -> TorchBackbone:
    """A plain transformers encoder and its tokenizer (`AutoModel`, `AutoTokenizer`), with the
    encoder weights its checkpoint lacks (its pooler, which mean pooling never reads, aside)."""
    from transformers import AutoModel, AutoTokenizer

    from shoprel.models.hf.head_loading import load_under_head

    with torch_threads(n_threads), loading(backbone):
        tokenizer = AutoTokenizer.from_pretrained(backbone.source)
        # transformers' "Loading weights" bar stays, as it was before the load report was
        # read here: off under --quiet (bars_allowed), shown otherwise
        loaded = load_under_head(AutoModel, backbone.source, bar=True, **backbone.model_kwargs)
    loaded.model.eval()
    return TorchBackbone(loaded.model, tokenizer, loaded.missing_encoder)


def load_backbone(backbone: Backbone):
    """(model in eval mode, tokenizer) of `load_transformer`, for callers that need no more."""
    loaded = load_transformer(backbone)
    return loaded.model, loaded.tokenizer


def load_sentence_transformer(backbone: Backbone, n_threads: int | None = None):
    """A sentence-transformers folder or hub id as a `SentenceTransformer` on the CPU; with
    progress off, no "Loading weights" bar either, for this load only."""
    from sentence_transformers import SentenceTransformer

    with torch_threads(n_threads), quiet_libraries(not bars_allowed()), loading(backbone):
        return SentenceTransformer(backbone.source, device="cpu")


def sentence_transformer_missing(model, backbone: Backbone) -> list[str]:
    """Weights of a sentence-transformers model's encoder that its local folder's checkpoint
    lacks (they started random: a broken checkpoint), its pooler aside as for a transformers
    folder; [] for a hub id or a folder whose encoder has no safetensors files (nothing to read
    the names from)."""
    import json
    from pathlib import Path

    from safetensors import safe_open

    root = Path(backbone.source)
    if not (root / "modules.json").is_file():
        return []
    modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
    first = min(modules, key=lambda m: int(m.get("idx", 0))) if modules else {}
    folder = root / first.get("path", "")
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        return []
    saved: set[str] = set()
    for path in files:
        with safe_open(str(path), framework="numpy") as weights:
            saved.update(weights.keys())
    encoder = list(model)[0].auto_model
    prefix = f"{encoder.base_model_prefix}."

    def found(name: str) -> bool:
        return name in saved or prefix + name in saved or name.removeprefix(prefix) in saved

    return sorted(name for name in encoder.state_dict()
                  if not name.startswith("pooler.") and not found(name))
