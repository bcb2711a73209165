"""scripts/prune_vocab.py on a tiny XLM-R-like model with a Unigram tokenizer built here: the
pruned folder must tokenize the given texts to the full ids renumbered and give the same logits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

ROWS = [  # QC rows: queries in several scripts, translations, category paths
    ("funda iphone 13 transparente", "transparent iphone 13 case",
     "phones & telecommunications,mobile phone accessories,cases"),
    ("bracelet magnétique montre", "magnetic bangle clock", "watches,watches accessories"),
    ("ドラクエ バッグ", "", "luggage & bags,women's handbags,waist packs"),
    ("자동차 방향제", "", "automobiles & motorcycles,interior accessories,air freshener"),
    ("car wash sponge", "car wash sponge", "automobiles,car wash & maintenance,sponges"),
    ("tênis masculino corrida", "male running sneakers", "sports,sneakers,running shoes"),
]
CORPUS = [  # what the tokenizer learns from: more than the rows, so pruning drops pieces
    "the quick brown fox jumps over the lazy dog", "watches and bracelets for women",
    "mobile phone cases and covers", "kitchen drinkware glasses mugs", "garden tools and seeds",
    "rain shower head chrome finish", "angle bracket galvanized steel", "ドラクエ バッグ 財布",
    "자동차 방향제 향수", "tênis masculino feminino", "funda carcasa transparente",
    "bracelet magnétique montre femme", "toys hobbies puzzles games", "laptop bag backpack",
] * 20


@pytest.fixture(scope="module")
def tool(load_script):
    return load_script("prune_vocab")


@pytest.fixture(scope="module")
def full_model(tmp_path_factory) -> Path:
    """An XLM-R-like sequence classifier (random weights) with a small Unigram tokenizer whose
    special tokens sit where XLM-R's do (<s> <pad> </s> <unk> first, <mask> last)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import UnigramTrainer
    from transformers import (
        PreTrainedTokenizerFast,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    folder = tmp_path_factory.mktemp("full")
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(CORPUS, UnigramTrainer(
        vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>",
        shrinking_factor=0.9))
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   cls_token="<s>", sep_token="</s>")
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(fast) + 3, hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=256, pad_token_id=1, bos_token_id=0,
                              eos_token_id=2, num_labels=2)
    model = XLMRobertaForSequenceClassification(config)
    with torch.no_grad():  # the random head is tiny: make logits move with the tokens
        model.classifier.out_proj.weight.mul_(50)
    model.save_pretrained(folder)
    (folder / "shoprel-backbone.json").write_text(json.dumps(
        {"name": "tiny", "query_prefix": "query: ", "passage_prefix": "passage: "}))
    return folder


@pytest.fixture(scope="module")
def qc_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "qc.jsonl"
    path.write_text("".join(json.dumps(
        {"id": i, "task": "QC", "language": "xx", "origin_query": q, "translated_query": t,
         "category_path": c, "label": i % 2}, ensure_ascii=False) + "\n"
        for i, (q, t, c) in enumerate(ROWS)), encoding="utf-8")
    return path


def _pairs():
    first = [f"query: {q} - {t}" if t and t != q else f"query: {q}" for q, t, _ in ROWS]
    second = [f"passage: {c}" for _, _, c in ROWS]
    return first, second


def _logits(folder: Path, first, second):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    batch = tokenizer(first, second, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    return batch["input_ids"], out.logits, out.hidden_states[0], model.dtype


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_pruned_model_matches_the_full_one(tool, full_model, qc_file, tmp_path, dtype):
    out = tmp_path / "pruned"
    assert tool.main(["--backbone-dir", str(full_model), "--texts", str(qc_file),
                      "--out", str(out), "--dtype", dtype]) == 0
    kept = json.loads((out / "pruned-ids.json").read_text())
    full_config = json.loads((full_model / "config.json").read_text())
    pruned_config = json.loads((out / "config.json").read_text())
    assert pruned_config["vocab_size"] == len(kept) < 0.75 * full_config["vocab_size"]
    assert pruned_config["dtype"] == "float32"  # stored in 16 bit, computed in 32
    mapping = {old: new for new, old in enumerate(kept)}

    first, second = _pairs()
    full_ids, full_logits, full_embedded, _ = _logits(full_model, first, second)
    ids, logits, embedded, loaded_dtype = _logits(out, first, second)
    # the same segmentation, renumbered: every pair, padding included
    assert ids.tolist() == [[mapping[i] for i in row] for row in full_ids.tolist()]
    assert loaded_dtype == torch.float32
    assert full_logits.abs().max() > 0.1  # the comparison below is not of zeros
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    assert torch.allclose(embedded, full_embedded, atol=tolerance)
    assert torch.allclose(logits, full_logits, atol=tolerance)


def test_token_check_catches_a_wrong_renumbering(tool, full_model, qc_file, tmp_path):
    from transformers import AutoTokenizer

    out = tmp_path / "pruned"
    tool.main(["--backbone-dir", str(full_model), "--texts", str(qc_file), "--out", str(out)])
    kept = json.loads((out / "pruned-ids.json").read_text())
    texts = _pairs()[0]
    full_tok, pruned_tok = (AutoTokenizer.from_pretrained(full_model),
                            AutoTokenizer.from_pretrained(out))
    right = {old: new for new, old in enumerate(kept)}
    assert tool.check_tokens(full_tok, pruned_tok, texts, right) == 0
    shifted = {old: (new + 1) % len(kept) for old, new in right.items()}
    assert tool.check_tokens(full_tok, pruned_tok, texts, shifted) == len(texts)


def test_texts_outside_the_pruned_set_are_not_promised(tool, full_model, qc_file, tmp_path):
    """A piece no given text used is gone: a text that needs it tokenizes differently."""
    from transformers import AutoTokenizer

    out = tmp_path / "pruned"
    tool.main(["--backbone-dir", str(full_model), "--texts", str(qc_file), "--out", str(out)])
    kept = json.loads((out / "pruned-ids.json").read_text())
    full_tok = AutoTokenizer.from_pretrained(full_model)
    other = "kitchen drinkware glasses mugs"
    assert not set(full_tok(other)["input_ids"]) <= set(kept)
