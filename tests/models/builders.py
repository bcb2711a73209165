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
