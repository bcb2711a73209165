"""Carry a big encoder folder to a machine that can take only tens of megabytes at a time.

    python scripts/slim_backbone.py slim \
        --backbone-dir ~/.cache/shoprel/backbones/embeddinggemma-300m \
        --texts train_QC.txt --out slim/ [--check 200]
    python scripts/slim_backbone.py restore slim/ full/

A multilingual encoder spends most of its weights on word embeddings (EmbeddingGemma: 201M of
308M over 262k tokens). `slim` keeps the embedding rows of the tokens the given texts use (every
form the families read them in: with and without the backbone's query and document prefixes)
and every special token, stores every weight as float16, and keeps the tokenizer whole.
`restore` writes the full folder back: the kept rows in place, zeros for the others (the texts
never reach them), every weight upcast to the dtype it had. So on those texts the restored folder
computes what the original does up to float16 rounding of the weights; `--check N` measures that
on N of the texts (cosine of the sentence embeddings, original against restored) before `slim`
returns. Unlike scripts/prune_vocab.py it works for any tokenizer (EmbeddingGemma's is a BPE),
at the price of carrying the whole tokenizer.

`restore` needs only numpy, torch and safetensors: it runs where shoprel is not installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

SLIM_RECORD = "slim.json"
META_FILE = "shoprel-backbone.json"
SKIPPED = {"README.md", "notebook.ipynb"}  # documentation, not needed to compute
FLOAT16_MAX = 65504.0


def used_token_ids(folder: Path, texts: list[str], max_length: int) -> set[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    ids: set[int] = set(tokenizer.all_special_ids)
    ids.update(tokenizer.convert_tokens_to_ids(list(tokenizer.get_added_vocab())))
    for start in range(0, len(texts), 4096):
        batch = tokenizer(texts[start:start + 4096], truncation=True, max_length=max_length)
        for row in batch["input_ids"]:
            ids.update(row)
    return ids


def pair_texts(paths: list[Path], folder: Path) -> list[str]:
    """Every query and target of shoprel pair files, bare and with the backbone's prefixes."""
    from shoprel.data.readers import read_pairs

    meta = json.loads((folder / META_FILE).read_text()) if (folder / META_FILE).is_file() else {}
    q_prefix, p_prefix = meta.get("query_prefix", ""), meta.get("passage_prefix", "")
    texts: list[str] = []
    for path in paths:
        df = read_pairs(path).df
        queries = df["query"].astype(str).tolist()
        if "translated_query" in df:
            queries += [f"{q} - {t}" for q, t in zip(queries, df["translated_query"].astype(str),
                                                     strict=False)]
        targets = df["target"].astype(str).unique().tolist()
        texts += queries + targets + [q_prefix + q for q in queries] + [p_prefix + t
                                                                        for t in targets]
    return list(dict.fromkeys(texts))


def slim(args) -> int:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    src, out = args.backbone_dir, args.out
    if out.exists():
        sys.exit(f"slim_backbone: {out} exists; give a new folder")
    config = json.loads((src / "config.json").read_text())
    vocab = int(config["vocab_size"])
    texts = pair_texts(args.texts, src)
    # an added token beyond the embedding (EmbeddingGemma's image token) has no row to keep
    kept = np.array(sorted(i for i in used_token_ids(src, texts, args.max_length) if i < vocab),
                    dtype=np.int64)
    print(f"{len(texts)} texts use {len(kept)} of {vocab} tokens")
    out.mkdir(parents=True)
    record = {"kept_tokens": int(len(kept)), "vocab_size": vocab, "files": {}}
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if path.is_dir() or rel.name in SKIPPED or path.name.startswith(".shoprel"):
            continue
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".safetensors":
            shutil.copyfile(path, out / rel)
            continue
        tensors = load_file(str(path))
        slimmed, dtypes, sliced = {}, {}, []
        for name, array in tensors.items():
            dtypes[name] = str(array.dtype)
            if array.ndim == 2 and array.shape[0] == vocab:
                array = array[kept]
                sliced.append(name)
            if array.dtype.kind == "f":
                if np.abs(array).max(initial=0.0) >= FLOAT16_MAX:
                    sys.exit(f"slim_backbone: {rel}: {name} exceeds float16's range")
                array = array.astype(np.float16)
            slimmed[name] = np.ascontiguousarray(array)
        if sliced:
            slimmed["__kept_token_ids__"] = kept
        save_file(slimmed, str(out / rel))
        record["files"][str(rel)] = {"dtypes": dtypes, "sliced": sliced}
    if (out / META_FILE).is_file():  # the weights change: their recorded digest no longer holds
        meta = json.loads((out / META_FILE).read_text())
        meta.pop("weights_sha256", None)
        meta.pop("weights_files", None)
        meta["slimmed"] = {"kept_tokens": int(len(kept)), "weights": "float16"}
        (out / META_FILE).write_text(json.dumps(meta, indent=2))
    (out / SLIM_RECORD).write_text(json.dumps(record, indent=2))
    if args.check:
        check(src, out, texts, args.check)
    return 0


def restore(args) -> int:
    import numpy as np
    from safetensors.numpy import load_file, save_file

    src, out = args.slim_dir, args.out
    if out.exists():
        sys.exit(f"slim_backbone: {out} exists; give a new folder")
    record = json.loads((src / SLIM_RECORD).read_text())
    vocab = record["vocab_size"]
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("*.safetensors", SLIM_RECORD))
    for rel, info in record["files"].items():
        tensors = load_file(str(src / rel))
        kept = tensors.pop("__kept_token_ids__", None)
        full = {}
        for name, array in tensors.items():
            dtype = np.dtype(info["dtypes"][name])
            if name in info["sliced"]:
                rows = np.zeros((vocab, array.shape[1]), dtype=dtype)
                rows[kept] = array.astype(dtype)
                array = rows
            full[name] = np.ascontiguousarray(array.astype(dtype))
        save_file(full, str(out / rel), metadata={"format": "pt"})
    print(f"restored {out}: {len(record['files'])} weight files, "
          f"{record['kept_tokens']} of {vocab} token rows")
    return 0


def check(original: Path, slimmed: Path, texts: list[str], n: int) -> None:
    """Sentence embeddings of n texts, original folder against the restored slim one."""
    import tempfile

    import numpy as np
    from sentence_transformers import SentenceTransformer

    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), size=min(n, len(texts)), replace=False)]
    with tempfile.TemporaryDirectory() as scratch:
        restored = Path(scratch) / "restored"
        restore(argparse.Namespace(slim_dir=slimmed, out=restored))
        a = SentenceTransformer(str(original), device="cpu").encode(sample, batch_size=32)
        b = SentenceTransformer(str(restored), device="cpu").encode(sample, batch_size=32)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    print(f"check: {len(sample)} texts, cosine original/restored min {cos.min():.6f} "
          f"mean {cos.mean():.6f}")
    if cos.min() < 0.999:
        sys.exit("slim_backbone: the restored folder computes other embeddings")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    s = verbs.add_parser("slim")
    s.add_argument("--backbone-dir", type=Path, required=True)
    s.add_argument("--texts", type=Path, nargs="+", required=True, help="shoprel pair files")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--max-length", type=int, default=512)
    s.add_argument("--check", type=int, default=200)
    r = verbs.add_parser("restore")
    r.add_argument("slim_dir", type=Path)
    r.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    return slim(args) if args.verb == "slim" else restore(args)


if __name__ == "__main__":
    sys.exit(main())
