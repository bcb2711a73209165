"""The backbone as torch modules the bi-encoder can split: (encoder, tokenizer, dense head),
and the encoder weights its checkpoint lacks.

A sentence-transformers folder (EmbeddingGemma) brings its pooling and dense layers; the
bi-encoder mean-pools as those folders do, so only mean pooling is accepted. A plain transformers
encoder (e5-small, a local folder, a hub id) is mean-pooled with no head, as the embed model's
torch engine does. USE has no torch weights to train.
"""

from __future__ import annotations

from shoprel.errors import ConfigError
from shoprel.models.backbones.resolve import (
    SENTENCE_TRANSFORMERS,
    Backbone,
    loading,
)
from shoprel.models.backbones.use_multilingual import ENGINE as USE
from shoprel.utils.threads import torch_threads


def load_parts(backbone: Backbone, n_threads: int | None = None):
    """(encoder, tokenizer, dense heads, encoder weights the checkpoint lacks). A transformers
    encoder loads without transformers' load report, its missing weights (a broken
    checkpoint, started random) handed back for `shoprel train`'s warning, as the
    cross-encoder's are; a sentence-transformers folder loads its own way (none told)."""
    if backbone.engine == USE:
        raise ConfigError(f"model.params.backbone: {backbone.name!r} has no torch weights to "
                          "fine-tune; use embeddinggemma-300m, e5-small or a transformers model")
    with torch_threads(n_threads):
        if backbone.engine != SENTENCE_TRANSFORMERS:
            from transformers import AutoModel, AutoTokenizer

            from shoprel.models.hf.head_loading import load_under_head

            with loading(backbone):
                tokenizer = AutoTokenizer.from_pretrained(backbone.source)
                loaded = load_under_head(AutoModel, backbone.source, **backbone.model_kwargs)
            loaded.model.eval()
            return loaded.model, tokenizer, [], loaded.missing_encoder
        from sentence_transformers import SentenceTransformer

        with loading(backbone):
            model = SentenceTransformer(backbone.source, device="cpu")
    modules = list(model)
    kinds = [type(module).__name__ for module in modules]  # ST moved its modules in 6.x
    if not modules or kinds[0] != "Transformer":
        raise ConfigError(f"model.params.backbone: {backbone.name!r} does not start with a "
                          "transformers module")
    heads = []
    for module, kind in zip(modules[1:], kinds[1:], strict=True):
        if kind == "Pooling":
            mode = _pooling_mode(module)
            if mode != "mean":
                raise ConfigError(f"model.params.backbone: {backbone.name!r} pools with "
                                  f"{mode!r}; the bi-encoder mean-pools")
        elif kind == "Dense":
            heads.append(module)
        elif kind != "Normalize":
            raise ConfigError(f"model.params.backbone: {backbone.name!r} has a {kind} module "
                              "the bi-encoder cannot train")
    encoder = modules[0].auto_model
    encoder.eval()
    return encoder, model.tokenizer, heads, []


def _pooling_mode(pooling) -> str:
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode
    return pooling.get_pooling_mode_str()  # sentence-transformers before 6.x
