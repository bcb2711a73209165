"""Tiny random backbones for the model tests, built in a second from the demo texts."""

from __future__ import annotations

import functools
from pathlib import Path

from shoprel.data.readers import read_pairs
from shoprel.demo import demo_file

DECODER_LAYERS = 2


def demo_texts() -> list[str]:
    texts = []
    for task in ("QC", "QI"):
        df = read_pairs(demo_file(task)).df
        texts += [*df["query"], *df["target"]]
    return texts



@functools.cache
def _trained_tokenizer():
    """A 600-piece BPE tokenizer learnt from the demo texts (all their scripts), in a second."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    texts = [*demo_texts(), "Query: Product: Relevant: - phone case"]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "</s>", "<s>", "<unk>"], show_progress=False))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))])
    return tokenizer


def small_tokenizer(with_pad: bool):
    """A real subword tokenizer; without a pad token it is like most decoders."""
    from transformers import PreTrainedTokenizerFast

    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    if with_pad:
        specials["pad_token"] = "<pad>"
    return PreTrainedTokenizerFast(tokenizer_object=_trained_tokenizer(), **specials)


def tiny_decoder(folder: Path, kind: str = "gemma3", with_pad: bool = True) -> str:
    """A randomly initialised 2-layer decoder of the given architecture, saved with a tokenizer.

    transformers 5 loads a qwen2 folder's tokenizer as its Qwen2 class, which adds its own pad
    token: the vocabulary leaves room for such additions.
    """
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = small_tokenizer(with_pad=with_pad)
    common = {"vocab_size": len(tokenizer) + 8, "hidden_size": 16, "intermediate_size": 32,
              "num_hidden_layers": DECODER_LAYERS, "num_attention_heads": 2,
              "num_key_value_heads": 1, "bos_token_id": tokenizer.bos_token_id,
              "eos_token_id": tokenizer.eos_token_id}
    torch.manual_seed(0)
    if kind == "gemma3":
        config = Gemma3TextConfig(**common, head_dim=8, sliding_window=16,
                                  pad_token_id=tokenizer.pad_token_id or 0)
        model = Gemma3ForCausalLM(config)
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**common))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


EMBEDDINGGEMMA_LAYERS = ("sliding_attention", "full_attention")
EMBEDDINGGEMMA_WINDOW = 4  # tokens: shorter than every prompted text, so the window matters


def tiny_embeddinggemma(folder: Path, query_prompt: str, document_prompt: str) -> Path:
    """A randomly initialised EmbeddingGemma in a second: the real folder's sentence-transformers
    layout (Gemma3 encoder with bidirectional sliding and full attention, mean pooling over every
    token, two linear dense layers, unit length) and its token conventions (<pad> 0, </s> 1,
    <s> 2, both added to every text), at 32 dimensions and 2 layers. Its vocabulary is the
    tokenizer's 600 pieces: no more rows than it has tokens (the ONNX exporter once traced a
    fixed token id 2000, which a smaller vocabulary made an index error)."""
    import json

    import torch
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, processors
    from transformers import Gemma3TextConfig, Gemma3TextModel, PreTrainedTokenizerFast

    backend = Tokenizer.from_str(_trained_tokenizer().to_str())  # a copy: that one is shared
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 2), ("</s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>",
                                        eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                                        padding_side="right")
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id) == (0, 1, 2)
    hidden, dense = 32, 64
    torch.manual_seed(0)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=64, head_dim=16,
        num_hidden_layers=len(EMBEDDINGGEMMA_LAYERS), layer_types=list(EMBEDDINGGEMMA_LAYERS),
        num_attention_heads=2, num_key_value_heads=1, query_pre_attn_scalar=16,
        sliding_window=EMBEDDINGGEMMA_WINDOW, use_bidirectional_attention=True,
        max_position_embeddings=512, pad_token_id=0, eos_token_id=1, bos_token_id=2)
    Gemma3TextModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    modules = [("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense"),
               ("Dense", "3_Dense"), ("Normalize", "4_Normalize")]
    (folder / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
         for i, (kind, path) in enumerate(modules)]))
    (folder / "sentence_bert_config.json").write_text(json.dumps(
        {"max_seq_length": 2048, "do_lower_case": False}))
    (folder / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": query_prompt, "document": document_prompt},
         "default_prompt_name": None, "similarity_fn_name": "cosine"}))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True,
         "include_prompt": True}))
    for path, (n_in, n_out) in [("2_Dense", (hidden, dense)), ("3_Dense", (dense, hidden))]:
        (folder / path).mkdir()
        (folder / path / "config.json").write_text(json.dumps(
            {"in_features": n_in, "out_features": n_out, "bias": False,
             "activation_function": "torch.nn.modules.linear.Identity"}))
        save_file({"linear.weight": torch.randn(n_out, n_in) / n_in**0.5},
                  str(folder / path / "model.safetensors"))
    return folder


def without_weights(folder: Path, copy: Path | None, names) -> Path:
    """A broken checkpoint: `folder`'s (copied to `copy` first, where given) without the
    weights `names`, as a checkpoint cut short or written by another version leaves one."""
    import shutil

    from safetensors.torch import load_file, save_file

    if copy is not None:
        folder = Path(shutil.copytree(folder, copy))
    weights = load_file(folder / "model.safetensors")
    for name in names:
        del weights[name]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


def train_demo_quietly(tmp_path: Path, family: str, params: str):
    """`shoprel train --quiet` of the QC demo set over 2 folds with model `family` and its
    `params` (YAML flow mapping text, without braces; the cache goes in tmp_path): the CLI's
    result, the run in tmp_path / "run"."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.demo import demo_file

    config = tmp_path / "c.yaml"
    config.write_text(f"model: {{family: {family}, params: {{{params}, "
                      f"cache_dir: '{tmp_path / 'cache'}'}}}}\nfolds: {{k: 2}}\n")
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out",
                                     str(tmp_path / "run"), "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    return done
