"""Neural translation with any Hugging Face seq2seq model (M2M100, NLLB, MADLAD/T5, Marian).

Each family names languages its own way; this module hides that behind our two-letter tags:
M2M100 '__en__' tokens forced as the first generated token, NLLB 'eng_Latn' the same way,
MADLAD a '<2en>' prefix on the input, Marian multi-target models a '>>en<<' prefix.
Models load from a local folder or an id already in the local Hugging Face cache.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

from shoprel.augment.languages import NLLB_CODES
from shoprel.augment.translator import TranslationError, check_batch
from shoprel.data.language_tags import ISO3_TO_ISO1, base_language
from shoprel.errors import one_line_reason

LANGUAGE_TOKEN = re.compile(r"^([a-z]{3}_[A-Z][a-z]{3}|<2[a-z_-]+>|>>[a-z_]+<<|__[a-z_]+__)$")
FAMILIES = ("m2m100", "nllb", "madlad", "marian", "plain")
# the language tags a row may carry (ISO 639-1 as the data uses them)
KNOWN_LANGUAGES = frozenset(NLLB_CODES) | frozenset(ISO3_TO_ISO1.values())
# tokens of a query the model reads (its language tokens included); the rest is cut
MAX_INPUT_TOKENS = 256


def model_identity(model: str | Path) -> str:
    """What the cache keys a model on: a folder's resolved path and a digest of its files
    (config bytes, every file's name, size and mtime), so that a model replaced at the same
    path, or one path typed two ways, never serves another's translations; a hub id as given
    when it resolves to no local folder."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        folder = _hub_snapshot(str(model))
        if folder is None:
            return str(model)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name[0] != "."):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        if path.name == "config.json":
            digest.update(path.read_bytes())
    return f"{folder.resolve()}#{digest.hexdigest()[:16]}"


def _hub_snapshot(model_id: str) -> Path | None:
    """The local folder of a hub id in the Hugging Face cache (its commit), or None."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_id, local_files_only=True))
    except Exception:  # noqa: BLE001 (not cached, not an id, no huggingface_hub)
        return None


def _names_a_path(model: str | Path) -> bool:
    """A model given as a path (a Path, or text starting '/', '.' or '~'): a hub id is
    'owner/name', never one of those."""
    return isinstance(model, Path) or str(model).startswith(("/", ".", "~"))


def detect_family(tokenizer) -> str:
    vocab = tokenizer.get_vocab()
    if hasattr(tokenizer, "get_lang_id") and "en" in getattr(tokenizer, "lang_code_to_id", {}):
        return "m2m100"
    if "eng_Latn" in vocab:
        return "nllb"
    if "<2en>" in vocab:
        return "madlad"
    if any(tok.startswith(">>") and tok.endswith("<<") for tok in vocab):
        return "marian"
    return "plain"


class HFTranslator:
    """Batched generate(); greedy by default (num_beams=1), beam search when asked."""

    name = "hf"

    def __init__(self, model: str | Path, device: str = "cpu", dtype: str | None = None,
                 num_beams: int = 1, max_new_tokens: int = 64, batch_size: int = 16,
                 family: str | None = None, source_languages: list[str] | None = None,
                 threads: int | None = None):
        try:
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        except ImportError as exc:
            raise TranslationError(f"the hf backend needs torch and transformers: {exc}") from None
        if threads:
            torch.set_num_threads(threads)
        if _names_a_path(model) and not Path(model).exists():  # else transformers speaks of
            # a malformed hub id ('Repo id must use alphanumeric chars ...')
            raise TranslationError(f"cannot load translation model {model}: no such folder")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(model), local_files_only=True)
            self.net = AutoModelForSeq2SeqLM.from_pretrained(
                str(model), dtype=getattr(torch, dtype) if dtype else None, local_files_only=True)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # a folder that is not a (complete) seq2seq model: transformers says so with any of
            # these, often over many lines
            raise TranslationError(f"cannot load translation model {model} (a folder holding a "
                                   f"seq2seq model and its tokenizer, or a hub id): "
                                   f"{one_line_reason(exc)}") from None
        try:
            self.net.to(device).eval()
        except (RuntimeError, AssertionError, ValueError) as exc:  # 'bogus', CUDA absent
            raise TranslationError(f"--device {device!r}: cannot use it ({one_line_reason(exc)})"
                                   ) from None
        self.torch = torch
        self.device = device
        self.family = family or detect_family(self.tokenizer)
        if self.family not in FAMILIES:
            raise TranslationError(f"unknown model family {self.family!r}: use one of {FAMILIES}")
        if self.family == "plain" and not source_languages:
            raise TranslationError("a single-pair model needs source_languages (e.g. ['es'])")
        self.sources = {base_language(s) for s in source_languages or []}
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.max_input_tokens = MAX_INPUT_TOKENS
        self.model = f"{model_identity(model)}|{self.family}|beams={num_beams}"

    def _code(self, lang: str) -> str | None:
        """The model's own name for a language, or None when it does not know the language."""
        vocab = self.tokenizer.get_vocab()
        if self.family == "m2m100":
            return lang if lang in self.tokenizer.lang_code_to_id else None
        if self.family == "nllb":
            code = NLLB_CODES.get(lang)
            return code if code in vocab else None
        if self.family == "madlad":
            return f"<2{lang}>" if f"<2{lang}>" in vocab else None
        if self.family == "marian":
            return f">>{lang}<<" if f">>{lang}<<" in vocab else ""
        return ""

    def _routes_from(self, lang: str) -> bool:
        """A source the model can be given: a language tag we know (not 'unk', 'klingon' or
        'xx', which Marian's and single-pair models, naming no sources, would translate
        anyway), that the model names, among source_languages when given."""
        if lang not in KNOWN_LANGUAGES or self._code(lang) is None:
            return False
        return not self.sources or lang in self.sources

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        target = base_language(target)
        target_code = self._code(target)
        results: list[str | None] = [None] * len(texts)
        if target_code is None:
            return results
        groups: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(source_langs):
            lang = base_language(lang)
            if lang == target:
                results[i] = texts[i]
            elif not self._routes_from(lang):
                continue  # no route: never sent (a model writes something for any input)
            elif not texts[i].strip():
                results[i] = ""  # an empty query stays empty, as with Apertium
            else:
                groups[lang].append(i)
        for lang, rows in groups.items():
            rows.sort(key=lambda i: len(texts[i]))  # similar lengths pad less
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start:start + self.batch_size]
                outputs = self._generate([texts[i] for i in chunk], lang, target_code)
                for i, out in zip(chunk, outputs, strict=True):
                    results[i] = out
        return results

    def _language_ids(self) -> set[int]:
        """Language tokens generate() forced: some tokenizers do not mark them special."""
        if not hasattr(self, "_lang_ids"):
            vocab = self.tokenizer.get_vocab()
            if self.family == "m2m100":
                ids = set(self.tokenizer.lang_code_to_id.values())
            else:
                ids = {i for tok, i in vocab.items() if LANGUAGE_TOKEN.match(tok)}
            self._lang_ids = ids
        return self._lang_ids

    def _model_inputs(self, texts: list[str], target_code: str) -> list[str]:
        """The texts as the tokenizer gets them: MADLAD and Marian read the target from a
        prefix (M2M100 and NLLB have it forced as the first generated token instead)."""
        if self.family in ("m2m100", "nllb") or not target_code:
            return texts
        return [f"{target_code} {t}" for t in texts]

    def count_cut(self, texts: list[str], target: str) -> int:
        """How many of these texts, sent to translate into `target`, are longer than the
        max_input_tokens the model reads, so that only their start was translated (a query
        repeated in a file counts each time)."""
        code = self._code(base_language(target))
        if code is None or not texts:
            return 0
        distinct = Counter(texts)
        lengths = self.tokenizer(self._model_inputs(list(distinct), code),
                                 truncation=False, verbose=False)["input_ids"]
        return sum(n for n, ids in zip(distinct.values(), lengths, strict=True)
                   if len(ids) > self.max_input_tokens)

    def _generate(self, texts: list[str], source: str, target_code: str) -> list[str]:
        extra = {}
        if self.family in ("m2m100", "nllb"):
            self.tokenizer.src_lang = self._code(source)
            extra["forced_bos_token_id"] = (
                self.tokenizer.get_lang_id(target_code) if self.family == "m2m100"
                else self.tokenizer.convert_tokens_to_ids(target_code))
        texts = self._model_inputs(texts, target_code)
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                 max_length=self.max_input_tokens).to(self.device)
        with self.torch.inference_mode():
            generated = self.net.generate(**encoded, num_beams=self.num_beams, do_sample=False,
                                          max_new_tokens=self.max_new_tokens, **extra)
        drop = self._language_ids()
        ids = [[t for t in row if t not in drop] for row in generated.tolist()]
        decoded = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [" ".join(d.split()) for d in decoded]
