"""A vocabulary-pruned copy of a Unigram (XLM-R style) encoder folder, equivalent on given texts.

    python scripts/prune_vocab.py --backbone-dir ~/.cache/shoprel/backbones/e5-small \
        --texts train_QC.jsonl train_QI.txt [--lines more_texts.txt] --out pruned/ \
        [--dtype float16] [--check 300]

Multilingual encoders spend most of their weights on the word embeddings (multilingual-e5-small:
96M of 118M over 250k pieces). A model that will only ever read a known set of texts needs only
the pieces those texts use: this tool tokenizes every text with the full tokenizer, keeps the
pieces that occur (plus every special token and the lowest-scored piece, so the Unigram unknown
penalty stays the same), slices every weight whose first dimension is the vocabulary, and writes
a tokenizer whose Unigram vocabulary is the kept pieces with their scores, renumbered in their
old order. A Viterbi search over a subset of pieces that holds every piece of the full model's
best segmentation returns that same segmentation, so on these texts the pruned folder gives the
same token sequences (renumbered) and the same outputs as the original.

`--texts`: shoprel pair files (QC or QI, any format `read_pairs` reads); each row gives the
query, the query with its translation ("{query} - {translation}", `--template`) and the target,
each with the backbone's prefixes (shoprel-backbone.json: "query: " / "passage: " for e5), as
the cross-encoder and embedding families read them. `--lines`: plain text files, one text a line,
tokenized as they are. Weights are stored in `--dtype`, while config.json keeps the original
compute dtype, so transformers loads them upcast (float32 for e5). Every text's token sequence is
checked against the full tokenizer's (renumbered) before the tool returns; `--check N` also
compares mean-pooled embeddings of N texts between both models.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import sys
from pathlib import Path

META_FILE = "shoprel-backbone.json"
WEIGHTS_FILE = "model.safetensors"
DTYPES = ("float16", "bfloat16", "float32")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone-dir", required=True, type=Path,
                        help="a Hugging Face model folder with tokenizer.json (Unigram)")
    parser.add_argument("--texts", nargs="*", default=[], type=Path, metavar="FILE",
                        help="shoprel pair files whose query and target sides the model reads")
    parser.add_argument("--lines", nargs="*", default=[], type=Path, metavar="FILE",
                        help="plain text files, one text a line")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--dtype", choices=DTYPES, default="float16",
                        help="how floating weights are stored (loading upcasts them)")
    parser.add_argument("--template", default="{query} - {translation}",
                        help="query side with a translation, as the cross family builds it")
    parser.add_argument("--query-prefix", default=None, help="default: the folder's record")
    parser.add_argument("--passage-prefix", default=None, help="default: the folder's record")
    parser.add_argument("--check", type=int, default=0, metavar="N",
                        help="also compare mean-pooled embeddings of N texts (0: skip)")
    parser.add_argument("--overwrite", action="store_true")
    return parser.parse_args(argv)


# --- texts -----------------------------------------------------------------------------------
def pair_file_texts(path: Path, query_prefix: str, passage_prefix: str,
                    template: str) -> list[str]:
    """The texts a cross-encoder or embedding model reads from one shoprel pair file."""
    from shoprel.data.readers import read_pairs

    df = read_pairs(path).df
    queries = [str(q) for q in df["query"]]
    texts = [query_prefix + q for q in queries]
    if "query_en" in df.columns:  # the translation, alone and as the cross family joins it
        for query, translation in zip(queries, df["query_en"].fillna(""), strict=True):
            translation = str(translation)
            if translation.strip() and translation != query:
                texts.append(query_prefix + translation)
                texts.append(query_prefix + template.format(query=query,
                                                            translation=translation))
    texts += [passage_prefix + str(t) for t in df["target"]]
    return texts


def line_texts(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


# --- tokenizer -------------------------------------------------------------------------------
def used_ids(tokenizer_json: dict, tokenizer, texts: list[str], batch: int = 4096) -> set[int]:
    """Every id the texts tokenize to, plus the special tokens and the lowest-scored piece."""
    used: set[int] = set()
    for start in range(0, len(texts), batch):
        for ids in tokenizer(texts[start:start + batch], add_special_tokens=True)["input_ids"]:
            used.update(ids)
    used.update(int(t["id"]) for t in tokenizer_json.get("added_tokens", []))
    vocab = tokenizer_json["model"]["vocab"]
    # tokenizers' Unigram scores an unknown character min_score - 10: keep the piece that sets
    # min_score, so that penalty (and any choice it takes part in) stays as it was
    used.add(min(range(len(vocab)), key=lambda i: vocab[i][1]))
    unk = tokenizer_json["model"].get("unk_id")
    if unk is not None:
        used.add(int(unk))
    return used


def _remap_processor(node, mapping: dict[int, int]):
    """Post-processor JSON with every special-token id renumbered (Template, Roberta, Bert,
    Sequence of those)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "ids" and isinstance(value, list):
                out[key] = [mapping[int(i)] for i in value]
            elif key in ("sep", "cls") and isinstance(value, list) and len(value) == 2:
                out[key] = [value[0], mapping[int(value[1])]]
            else:
                out[key] = _remap_processor(value, mapping)
        return out
    if isinstance(node, list):
        return [_remap_processor(v, mapping) for v in node]
    return node


def pruned_tokenizer_json(tokenizer_json: dict, kept: list[int]) -> dict:
    """tokenizer.json with a Unigram vocabulary of the kept pieces (old order, old scores)."""
    model = tokenizer_json["model"]
    if model.get("type") != "Unigram":
        raise SystemExit(f"only Unigram tokenizers can be pruned, not {model.get('type')!r}")
    n_vocab = len(model["vocab"])
    mapping = {old: new for new, old in enumerate(kept)}
    pieces = [old for old in kept if old < n_vocab]
    if pieces != kept[:len(pieces)]:
        raise SystemExit("added tokens numbered inside the model vocabulary after others")
    out = copy.deepcopy({k: v for k, v in tokenizer_json.items() if k != "model"})
    out["model"] = {**{k: v for k, v in model.items() if k != "vocab"},
                    "vocab": [list(model["vocab"][old]) for old in pieces]}
    if model.get("unk_id") is not None:
        out["model"]["unk_id"] = mapping[int(model["unk_id"])]
    out["added_tokens"] = [{**t, "id": mapping[int(t["id"])]}
                           for t in tokenizer_json.get("added_tokens", [])]
    if out.get("post_processor") is not None:
        out["post_processor"] = _remap_processor(out["post_processor"], mapping)
    return out


def _remap_tokenizer_config(config: dict, mapping: dict[int, int]) -> dict:
    out = dict(config)
    decoder = config.get("added_tokens_decoder")
    if isinstance(decoder, dict):  # {"id": {...}}: the transformers 4 layout
        out["added_tokens_decoder"] = {str(mapping[int(k)]): v for k, v in decoder.items()}
    return out


# --- weights and config ----------------------------------------------------------------------
def pruned_weights(source: Path, vocab_size: int, kept: list[int], dtype: str) -> dict:
    """Every tensor of the folder's safetensors; those whose first dimension is the vocabulary
    keep the kept rows; floating tensors are cast to `dtype`."""
    import torch
    from safetensors import safe_open

    files = sorted(source.glob("*.safetensors"))
    if not files:
        raise SystemExit(f"{source}: no .safetensors weights")
    index = torch.tensor(kept, dtype=torch.long)
    target = getattr(torch, dtype)
    tensors, sliced = {}, []
    for path in files:
        with safe_open(str(path), framework="pt") as handle:
            for name in handle.keys():
                tensor = handle.get_tensor(name)
                if tensor.ndim >= 1 and tensor.shape[0] == vocab_size:
                    tensor = tensor.index_select(0, index)
                    sliced.append(name)
                if tensor.is_floating_point():
                    if target is torch.float16 and tensor.abs().max() > 65000:
                        raise SystemExit(f"{name}: values beyond float16's range; use bfloat16")
                    tensor = tensor.to(target)
                tensors[name] = tensor.contiguous()
    if not sliced:
        raise SystemExit(f"no weight has the vocabulary ({vocab_size}) as its first dimension")
    return {"tensors": tensors, "sliced": sliced}


def pruned_config(config: dict, mapping: dict[int, int], vocab_size: int) -> dict:
    out = dict(config)
    out["vocab_size"] = vocab_size
    for key, value in config.items():
        if key.endswith("_token_id") and isinstance(value, int) and value in mapping:
            out[key] = mapping[value]
    # weights stored in 16 bit load in the model's own compute dtype: transformers 5 loads in
    # the checkpoint's dtype unless config.json names one
    out["dtype"] = config.get("dtype") or config.get("torch_dtype") or "float32"
    out.pop("torch_dtype", None)
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


# --- checks ----------------------------------------------------------------------------------
def check_tokens(full_tok, pruned_tok, texts: list[str], mapping: dict[int, int],
                 batch: int = 4096) -> int:
    """Texts whose pruned token ids are not the full ones renumbered (must be 0)."""
    bad = 0
    for start in range(0, len(texts), batch):
        chunk = texts[start:start + batch]
        full = full_tok(chunk)["input_ids"]
        pruned = pruned_tok(chunk)["input_ids"]
        for text, a, b in zip(chunk, full, pruned, strict=True):
            if [mapping.get(i, -1) for i in a] != b:
                bad += 1
                if bad <= 3:
                    print(f"token mismatch: {text!r}: {a} vs {b}", file=sys.stderr)
    return bad


def mean_pooled(folder: Path, texts: list[str], model_kwargs: dict):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, **model_kwargs).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 32):
            batch = tokenizer(texts[start:start + 32], padding=True, truncation=True,
                              max_length=128, return_tensors="pt")
            hidden = model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append((hidden * mask).sum(1) / mask.sum(1))
    return torch.cat(out), next(model.parameters()).dtype


def check_embeddings(full: Path, pruned: Path, texts: list[str], model_kwargs: dict) -> dict:
    import torch

    a, _ = mean_pooled(full, texts, model_kwargs)
    b, loaded = mean_pooled(pruned, texts, model_kwargs)
    cosine = torch.nn.functional.cosine_similarity(a, b, dim=1)
    return {"texts": len(texts), "min_cosine": float(cosine.min()),
            "mean_cosine": float(cosine.mean()),
            "max_abs_diff": float((a - b).abs().max()), "pruned_loads_as": str(loaded)}


# --- main ------------------------------------------------------------------------------------
def prune(backbone_dir: Path, texts: list[str], out: Path, dtype: str = "float16",
          overwrite: bool = False, sources: list[str] | None = None) -> dict:
    """Write the pruned folder; returns a summary (kept pieces, sizes, token check)."""
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    backbone_dir, out = Path(backbone_dir), Path(out)
    if out.exists():
        if not overwrite:
            raise SystemExit(f"{out} exists (--overwrite replaces it)")
        shutil.rmtree(out)
    tokenizer_json = json.loads((backbone_dir / "tokenizer.json").read_text(encoding="utf-8"))
    config = json.loads((backbone_dir / "config.json").read_text(encoding="utf-8"))
    full_tok = AutoTokenizer.from_pretrained(backbone_dir)
    texts = unique(texts)
    kept = sorted(used_ids(tokenizer_json, full_tok, texts))
    mapping = {old: new for new, old in enumerate(kept)}

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "tokenizer.json").write_text(
        json.dumps(pruned_tokenizer_json(tokenizer_json, kept), ensure_ascii=False),
        encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        if (backbone_dir / name).is_file():
            data = json.loads((backbone_dir / name).read_text(encoding="utf-8"))
            if name == "tokenizer_config.json":
                data = _remap_tokenizer_config(data, mapping)
            (tmp / name).write_text(json.dumps(data, indent=2, ensure_ascii=False),
                                    encoding="utf-8")
    weights = pruned_weights(backbone_dir, int(config["vocab_size"]), kept, dtype)
    save_file(weights["tensors"], str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
    (tmp / "config.json").write_text(
        json.dumps(pruned_config(config, mapping, len(kept)), indent=2), encoding="utf-8")
    (tmp / "pruned-ids.json").write_text(json.dumps(kept), encoding="utf-8")
    meta_path = backbone_dir / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    meta.update({
        "name": f"{meta.get('name', backbone_dir.name)}-pruned",
        "weights_file": WEIGHTS_FILE, "weights_files": [WEIGHTS_FILE],
        "weights_sha256": sha256(tmp / WEIGHTS_FILE),
        "pruned": {"from": str(backbone_dir), "original_vocab": int(config["vocab_size"]),
                   "kept": len(kept), "dtype": dtype, "texts": len(texts),
                   "sources": sources or [], "sliced": weights["sliced"]},
    })
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    pruned_tok = AutoTokenizer.from_pretrained(tmp)
    bad = check_tokens(full_tok, pruned_tok, texts, mapping)
    if bad:
        raise SystemExit(f"{bad} of {len(texts)} texts tokenize differently after pruning; "
                         f"nothing written to {out}")
    tmp.rename(out)
    size = sum(p.stat().st_size for p in out.iterdir())
    return {"out": str(out), "original_vocab": int(config["vocab_size"]), "kept": len(kept),
            "texts": len(texts), "token_mismatches": bad, "dtype": dtype,
            "folder_bytes": size, "folder_mib": round(size / 2**20, 2)}


def main(argv=None) -> int:
    args = parse_args(argv)
    meta_path = args.backbone_dir / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    query_prefix = meta.get("query_prefix", "") if args.query_prefix is None \
        else args.query_prefix
    passage_prefix = meta.get("passage_prefix", "") if args.passage_prefix is None \
        else args.passage_prefix
    texts: list[str] = []
    for path in args.texts:
        texts += pair_file_texts(path, query_prefix, passage_prefix, args.template)
    for path in args.lines:
        texts += line_texts(path)
    if not texts:
        raise SystemExit("no texts: give --texts and/or --lines")
    sources = [f"{p.name}:{sha256(p)[:16]}" for p in [*args.texts, *args.lines]]
    summary = prune(args.backbone_dir, texts, args.out, args.dtype, args.overwrite, sources)
    if args.check:
        import random

        sample = unique(texts)
        random.Random(0).shuffle(sample)
        summary["embedding_check"] = check_embeddings(
            args.backbone_dir, args.out, sample[:args.check], meta.get("model_kwargs", {}))
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
