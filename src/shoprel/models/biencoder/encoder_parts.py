"""The backbone as torch modules the bi-encoder can split: (encoder, tokenizer, dense head),
and the encoder weights its checkpoint lacks.

A sentence-transformers folder (EmbeddingGemma) brings its pooling and dense layers; the
bi-encoder mean-pools as those folders do, so only mean pooling is accepted. A plain transformers
encoder (e5-small, a local folder, a hub id) is mean-pooled with no head, as the embed model's
torch engine does. USE has no torch weights to train.
"""

from __future__ import annotations

from shoprel.errors import ConfigError
from shoprel.models.backbones.resolve import SENTENCE_TRANSFORMERS, Backbone
from shoprel.models.backbones.torch_load import (
    load_sentence_transformer,
    load_transformer,
    sentence_transformer_missing,
)
from shoprel.models.backbones.use_multilingual import ENGINE as USE


def load_parts(backbone: Backbone, n_threads: int | None = None):
    """(encoder, tokenizer, dense heads, encoder weights the checkpoint lacks), loaded as the
    embed family's encoders are (backbones/torch_load.py): a transformers encoder's missing
    weights (a broken checkpoint, started random) handed back for `shoprel train`'s warning,
    as the cross-encoder's are; a local sentence-transformers folder's read off its
    checkpoint's names (torch_load.sentence_transformer_missing)."""
    if backbone.engine == USE:
        raise ConfigError(f"model.params.backbone: {backbone.name!r} has no torch weights to "
                          "fine-tune; use embeddinggemma-300m, e5-small or a transformers model")
    if backbone.engine != SENTENCE_TRANSFORMERS:
        loaded = load_transformer(backbone, n_threads)
        return loaded.model, loaded.tokenizer, [], loaded.missing_encoder
    model = load_sentence_transformer(backbone, n_threads)
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
    return encoder, model.tokenizer, heads, sentence_transformer_missing(model, backbone)


def _pooling_mode(pooling) -> str:
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode
    return pooling.get_pooling_mode_str()  # sentence-transformers before 6.x
