"""scripts/slim_backbone.py on a tiny Gemma-3 encoder with a BPE tokenizer built here: the slim
folder keeps only the embedding rows the given rows' texts use, and the restored folder computes
what the original does on those texts (up to float16 rounding of the weights)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

ROWS = [
    ("funda iphone 13 transparente", "phones & telecommunications,mobile phone accessories,cases"),
    ("bracelet magnétique montre", "watches,watches accessories"),
    ("ドラクエ バッグ", "luggage & bags,women's handbags,waist packs"),
    ("자동차 방향제", "automobiles & motorcycles,interior accessories,air freshener"),
]
CORPUS = [  # more than the rows, so slimming drops rows
    "the quick brown fox jumps over the lazy dog", "kitchen drinkware glasses mugs",
    "garden tools and seeds", "rain shower head chrome finish", "angle bracket galvanized steel",
    "toys hobbies puzzles games", "laptop bag backpack", *[q for q, _ in ROWS],
    *[t for _, t in ROWS],
] * 10
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


@pytest.fixture(scope="module")
def tool(load_script):
    return load_script("slim_backbone")


@pytest.fixture(scope="module")
def full_model(tmp_path_factory) -> Path:
    """A Gemma-3 text encoder (random weights) with a byte-level BPE tokenizer, and a shoprel
    record with prefixes and a weights digest (which slimming must drop)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.trainers import BpeTrainer
    from transformers import Gemma3TextConfig, Gemma3TextModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("full")
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, BpeTrainer(vocab_size=600,
                                               special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"],
                                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>", pad_token="<pad>")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64,
                              num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                              head_dim=16, max_position_embeddings=128, pad_token_id=0,
                              eos_token_id=1, bos_token_id=2)
    Gemma3TextModel(config).eval().save_pretrained(folder)
    (folder / "shoprel-backbone.json").write_text(json.dumps(
        {"query_prefix": QUERY_PREFIX, "passage_prefix": PASSAGE_PREFIX,
         "weights_sha256": "0" * 64, "weights_files": ["model.safetensors"]}))
    return folder


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rows") / "qc.jsonl"
    path.write_text("".join(json.dumps({
        "id": str(i), "task": "QC", "language": "xx", "origin_query": q, "category_path": t,
        "label": i % 2}) + "\n" for i, (q, t) in enumerate(ROWS)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def slimmed(tool, full_model, rows_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("s") / "slim"
    assert tool.main(["slim", "--backbone-dir", str(full_model), "--texts", str(rows_file),
                      "--out", str(out), "--check", "0"]) == 0
    return out


def _mean_states(folder: Path, texts: list[str]) -> np.ndarray:
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder)).eval()
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return ((hidden * mask).sum(1) / mask.sum(1)).numpy()


def test_slim_keeps_only_the_rows_the_texts_use(slimmed, full_model):
    from safetensors.numpy import load_file

    full = load_file(str(full_model / "model.safetensors"))
    slim = load_file(str(slimmed / "model.safetensors"))
    key = next(k for k in full if "embed" in k)
    kept = slim["__kept_token_ids__"]
    assert 0 < len(kept) < full[key].shape[0]
    assert slim[key].shape == (len(kept), full[key].shape[1])
    assert {v.dtype for k, v in slim.items() if k != "__kept_token_ids__"} == {np.dtype(np.float16)}
    np.testing.assert_allclose(slim[key].astype(np.float32), full[key][kept], rtol=1e-3,
                               atol=1e-4)
    meta = json.loads((slimmed / "shoprel-backbone.json").read_text())
    assert "weights_sha256" not in meta and meta["query_prefix"] == QUERY_PREFIX
    assert meta["slimmed"]["kept_tokens"] == len(kept)


def test_restored_folder_computes_the_original_on_the_texts(tool, slimmed, full_model, tmp_path):
    from safetensors.numpy import load_file

    restored = tmp_path / "restored"
    assert tool.restore(argparse.Namespace(slim_dir=slimmed, out=restored)) == 0
    full = load_file(str(full_model / "model.safetensors"))
    back = load_file(str(restored / "model.safetensors"))
    assert set(back) == set(full)
    assert all(back[k].dtype == full[k].dtype and back[k].shape == full[k].shape for k in full)
    texts = [QUERY_PREFIX + q for q, _ in ROWS] + [PASSAGE_PREFIX + t for _, t in ROWS]
    original, again = _mean_states(full_model, texts), _mean_states(restored, texts)
    np.testing.assert_allclose(again, original, rtol=1e-2, atol=1e-3)
    # a text with tokens the rows never used reads zero rows there: not the original
    other = ["the quick brown fox jumps over the lazy dog"]
    assert not np.allclose(_mean_states(restored, other), _mean_states(full_model, other),
                           atol=1e-3)


def test_slim_and_restore_never_write_into_an_existing_folder(tool, full_model, rows_file,
                                                              slimmed, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    with pytest.raises(SystemExit, match="exists"):
        tool.main(["slim", "--backbone-dir", str(full_model), "--texts", str(rows_file),
                   "--out", str(taken)])
    with pytest.raises(SystemExit, match="exists"):
        tool.main(["restore", str(slimmed), str(taken)])
    assert [p.name for p in taken.iterdir()] == ["mine.txt"]
