"""Masked-LM continued pre-training of an encoder backbone on the task's own texts.

Task-adaptive pre-training: the distinct queries and targets (category paths or item titles) of
train, dev and test files — no labels needed — teach the encoder the vocabulary of shop
searches before any fine-tuning. The encoder gets a masked-LM head (a checkpoint without one,
like the built-in e5-small BertModel, gets a fresh head whose decoder is tied to the word
embeddings), trains through Hugging Face `Trainer` with `DataCollatorForLanguageModeling`, and the
encoder alone is written back as an ordinary backbone folder (`resolve_backbone(DIR)` loads it)
that keeps the source's query/passage prefixes and records its own weights checksum, so caches
keyed by the backbone's fingerprint never mix it up with its source.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import InitVar, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import get_type_hints

from shoprel.data.readers import read_pairs
from shoprel.data.records import python_kind
from shoprel.errors import ConfigError, ConfigValueError, InputError, OutputError
from shoprel.models.backbones import e5_small, use_multilingual
from shoprel.models.backbones.cache import built_folder, file_sha256, is_build_record, read_meta
from shoprel.models.backbones.resolve import Backbone, loading, resolve_backbone
from shoprel.models.config import SEED_MAX, leaf_types
from shoprel.training.masked_tokens import masked_lm_trainer, masked_tokens_call
from shoprel.training.ranks import RankGroup, current_ranks
from shoprel.utils.arguments import WRITE_IT_FIRST, flag_argument, path_argument
from shoprel.utils.bounds import not_a_count, not_finite, out_of_range
from shoprel.utils.close_names import closest_name
from shoprel.utils.output_stamp import check_replaceable
from shoprel.utils.outputs import check_output_dir
from shoprel.utils.scalars import python_scalar, text_for_number
from shoprel.utils.threads import torch_threads

WEIGHTS_FILE = "model.safetensors"


# the `shoprel pretrain` option that sets each field: errors name these on the command line
OPTIONS = {"backbone": "--backbone", "epochs": "--epochs", "max_steps": "--max-steps",
           "time_budget_minutes": "--time-budget", "mask_prob": "--mask-prob",
           "max_length": "--max-length", "batch_size": "--batch-size",
           "learning_rate": "--learning-rate",
           "train_word_embeddings": "--train-word-embeddings", "seed": "--seed",
           "n_threads": "--threads"}


@dataclass
class PretrainConfig:
    backbone: str = "e5-small"
    epochs: float = 1.0
    max_steps: int | None = None  # wins over epochs
    time_budget_minutes: float | None = None
    mask_prob: float = 0.15
    max_length: int = 64
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    train_word_embeddings: bool = False  # e5-small: 96M of 118M weights; frozen by default
    seed: int = 42
    n_threads: int | None = None
    eval_texts: int = 512  # texts whose masked-LM loss is measured before and after
    cache_dir: str | None = None

    # the command line sets this: its errors then name the options, not the fields
    from_command_line: InitVar[bool] = False

    def __post_init__(self, from_command_line: bool) -> None:
        self._from_command_line = from_command_line
        hints = get_type_hints(type(self))
        for item in fields(self):  # every type first: `0 < "1"` was a TypeError traceback
            setattr(self, item.name, self._typed(item.name, hints[item.name]))
        self.check()

    def _typed(self, name: str, hint) -> object:
        """The setting `name` as its field's type holds it (numpy's numbers and True/False as
        Python's, a path as text: the backbone's record is JSON), or its error. The config
        models (models/config.py) take and refuse the same (a float for a whole number)."""
        value = python_scalar(getattr(self, name))  # numpy's True is True, as in the configs
        leaves = leaf_types(hint)
        if value is None and type(None) in leaves:
            return value
        if bool in leaves:
            if isinstance(value, bool):
                return value
            wanted = "True or False"
        elif int in leaves and isinstance(value, numbers.Real):
            # a whole number; True (an int to Python) and a float, 2.0 included, refused as the
            # config models' whole-number fields and the integer options refuse them
            # (utils.bounds.not_a_count: "expected a number, got True", "8.5 is not a whole
            # number"); the range is check()'s
            problem = not_a_count(value, ge=None)
            if problem:
                raise self.error(name, problem)
            return int(value)
        elif isinstance(value, bool):  # a bool is an int to Python, never a setting's number
            wanted = "a number"
        elif leaves & {int, float} and isinstance(value, str):  # as a config's number field
            raise self.error(name, text_for_number(value, python=True))
        elif int in leaves:
            wanted = "a whole number"
        elif float in leaves:
            if isinstance(value, numbers.Real):
                return value if type(value) in (int, float) else float(value)
            wanted = "a number"
        else:
            if isinstance(value, str) or (isinstance(value, os.PathLike)
                                          and isinstance(os.fspath(value), str)):
                return os.fspath(value)
            wanted = "a text or a path"
        shown = repr(value)
        if len(shown) > 60 or "\n" in shown:
            shown = type(value).__name__
        raise self.error(name, f"expected {wanted}, got {shown}")

    def named(self, name: str) -> str:
        """The setting `name` as the caller wrote it: the field built in Python, the option
        by `shoprel pretrain`."""
        return OPTIONS.get(name, name) if self._from_command_line else name

    def check(self) -> None:
        """Each setting in its range, named as the caller wrote it (`named`): ConfigValueError
        built in Python, as a config class's wrong value is; pretrain() checks again, for a
        setting changed since."""
        # each setting's bounds, said as the options' and the config fields' are
        # (utils/bounds.py); None (no limit, all threads) passes
        checks = (("epochs", {"gt": 0}), ("max_steps", {"ge": 1}),
                  ("time_budget_minutes", {"gt": 0}), ("mask_prob", {"gt": 0, "lt": 1}),
                  ("max_length", {"ge": 4}), ("batch_size", {"ge": 1}),
                  ("learning_rate", {"gt": 0}),
                  # unchecked, these failed once the model had loaded, as TrainingArguments'
                  # (warmup_ratio, weight_decay), or measured no loss (eval_texts: nan)
                  ("warmup_ratio", {"ge": 0, "lt": 1}), ("weight_decay", {"ge": 0}),
                  ("eval_texts", {"ge": 1}), ("n_threads", {"ge": 1}),
                  ("seed", {"ge": 0, "le": SEED_MAX}))
        for name, bounds in checks:
            value = getattr(self, name)
            if value is None:
                continue
            # inf passes `> 0` but failed in a traceback once the model had loaded; nan
            # passes no bound: both said as a command's option says them
            problem = (isinstance(value, float) and not_finite(value)) \
                or out_of_range(value, **bounds)
            if problem:
                raise self.error(name, problem)

    def error(self, name: str, problem: str) -> ConfigError:
        """What is wrong with the setting `name`, in the caller's words."""
        if self._from_command_line:
            return ConfigError(f"{self.named(name)}: {problem}")
        return ConfigValueError(f"{type(self).__name__}: {name}: {problem}")


@dataclass
class PretrainResult:
    out_dir: Path
    queries: int
    targets: int
    steps: int
    seconds: float  # the masked-LM training alone (Trainer.train)
    # the whole call, as a clock reads it: the training and what surrounds it (loading torch
    # and the backbone, tokenizing, the loss probes before and after, writing the folder),
    # which on a busy machine took 44 s of a call whose training took 9 (README)
    total_seconds: float
    loss_before: float
    loss_after: float
    stopped_by_time_budget: bool
    files: list[str] = field(default_factory=list)
    new_masked_lm_head: bool = False  # the backbone had none (an encoder-only checkpoint)
    # encoder weights the checkpoint lacks, so they started random: a broken checkpoint
    missing_encoder_weights: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


def collect_texts(files: Sequence[str | Path]) -> tuple[list[str], list[str]]:
    """Distinct non-empty queries and targets of the files, in order of first appearance.

    Each file's task comes from its own columns, so QC and QI files may be mixed.
    """
    queries: dict[str, None] = {}
    targets: dict[str, None] = {}
    for path in files:
        frame = read_pairs(path, require_label=False)
        for text in frame.df["query"].astype(str):
            if text.strip():
                queries.setdefault(text, None)
        for text in frame.df["target"].astype(str):
            if text.strip():
                targets.setdefault(text, None)
    return list(queries), list(targets)


def mlm_model(backbone: Backbone, key: str = "backbone"):
    """(masked-LM model, tokenizer, whether its masked-LM head is new, the encoder weights the
    checkpoint lacks); a missing head is created with its decoder tied. `key`: how the caller
    named the backbone, for errors.

    transformers' load report is silenced (models/hf/head_loading.py): an encoder-only
    checkpoint such as e5-small has no head, as expected, and the caller says so in one line;
    missing encoder weights (a broken checkpoint) are returned for the caller to warn about."""
    from transformers import AutoConfig, AutoModelForMaskedLM, AutoTokenizer
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    from shoprel.models.hf.head_loading import load_under_head

    not_mlm = (f"backbone {backbone.name!r}: not a masked-LM encoder, so pretrain cannot "
               "continue it; it continues encoders such as e5-small or a BERT-like folder")
    if backbone.engine == use_multilingual.ENGINE:
        raise ConfigError(not_mlm + " (USE is not a transformers model)")
    source = Path(backbone.source)
    if source.is_dir() and not (source / "config.json").is_file():
        raise ConfigError(f"{key} {backbone.name!r}: {source} has no config.json; pretrain "
                          "continues a transformers encoder (of a sentence-transformers folder, "
                          "give the module folder holding its config.json)")
    with loading(backbone, key=key):  # the checks between raise ConfigError, untouched
        model_type = AutoConfig.from_pretrained(backbone.source).model_type
        if model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
            raise ConfigError(f"{not_mlm} (its architecture, {model_type}, has no masked-LM "
                              "head in transformers)")
        tokenizer = AutoTokenizer.from_pretrained(backbone.source)
        if tokenizer.mask_token is None:
            raise ConfigError(f"backbone {backbone.name!r}: its tokenizer has no mask token, so "
                              "it cannot be pre-trained with masked LM")
        loaded = load_under_head(AutoModelForMaskedLM, backbone.source)
    model = loaded.model
    decoder, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    if decoder is not None and decoder.weight is not embeddings.weight:
        model.config.tie_word_embeddings = True
        model.tie_weights()
    return model, tokenizer, loaded.new_head, loaded.missing_encoder


class _TextDataset:
    """Tokenized texts (with the backbone's prefixes), padded and masked per batch."""

    def __init__(self, tokenizer, texts: list[str], max_length: int):
        encoded = tokenizer(texts, truncation=True, max_length=max_length,
                            return_special_tokens_mask=True)
        self.rows = [{"input_ids": ids, "special_tokens_mask": special}
                     for ids, special in zip(encoded["input_ids"],
                                             encoded["special_tokens_mask"], strict=True)]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        return self.rows[i]


def masked_lm_loss(model, tokenizer, dataset: _TextDataset, mask_prob: float, seed: int,
                   batch_size: int = 64) -> float:
    """Mean masked-LM loss over `dataset` with a fixed masking (same seed → same masks).

    Only the masked tokens' logits are computed (masked_tokens.py), as in the training steps:
    the model's own loss scores every token against the whole vocabulary, which for e5-small's
    250k words was 3 GB of logits per batch and 175 s of a 204 s call (2 training steps, 500 QC
    rows, load 3 on 2 cores)."""
    import torch
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mask_prob, seed=seed)
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(dataset), batch_size):
            batch = collator([dataset[i] for i in range(start, min(start + batch_size,
                                                                      len(dataset)))])
            labels = batch.pop("labels")
            n = int((labels != -100).sum())
            if n:
                total += float(masked_tokens_call(lambda given: model(**given).loss, model,
                                                  batch, labels)) * n
                count += n
    model.train(was_training)
    return total / count if count else math.nan


def _evaluation_sample(texts: list[str], n: int, seed: int) -> list[str]:
    import random

    if len(texts) <= n:
        return list(texts)
    return random.Random(seed).sample(texts, n)


def _encoder_kwargs(base_model, source_kwargs: dict) -> dict:
    """How to load the saved encoder: a masked-LM model's encoder has no pooler."""
    kwargs = dict(source_kwargs)
    if getattr(base_model, "pooler", "absent") is None:
        kwargs["add_pooling_layer"] = False
    return kwargs


# what a backbone pretrain wrote before outputs were stamped holds at its top level: its record
# and what transformers' save_pretrained writes for an encoder (weights, sharded or not) and
# its tokenizer (BERT's vocab.txt, XLM-R's and Gemma's SentencePiece model, BPE's merges)
_LEGACY_BACKBONE_ENTRIES = re.compile(
    re.escape(e5_small.META_FILE) + r"|(generation_)?config\.json"
    r"|model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json"
    r"|tokenizer(_config)?\.json|special_tokens_map\.json|added_tokens\.json"
    r"|vocab\.(txt|json)|merges\.txt|(sentencepiece\.bpe|spiece|spm|tokenizer)\.model"
    r"|chat_template\.(jinja|json)")
# --overwrite replaces a folder holding a backbone's record and only what pretrain writes: the
# files its stamp lists, or for an unstamped one the names above (a user's file stops it)
_BACKBONE_OUTPUT = {"marker": e5_small.META_FILE, "legacy_entries": _LEGACY_BACKBONE_ENTRIES}


def check_replaceable_backbone(folder: Path) -> None:
    """--overwrite replaces a backbone pretrain wrote (check_replaceable), never a built one
    (its record a build's: cache.is_build_record), which holds the same files and record name:
    `--out CACHE/backbones/e5-small` would put a pretrained encoder where every run naming
    e5-small reads the built one. It was refused only for the cache's use record beside it
    ('holds .shoprel-last-used, which shoprel did not write there'), whose removal the
    message asked for, and then replaced."""
    meta = read_meta(folder)
    name = meta.get("name") if isinstance(meta, dict) else None
    if isinstance(name, str) and is_build_record(meta, name):
        raise OutputError(f"{folder}: holds a build of {name}, which the backbone cache made "
                          "(runs naming it read it); --overwrite replaces only a backbone "
                          "pretrain wrote, choose another output folder")
    check_replaceable(folder, **_BACKBONE_OUTPUT)


def _save_backbone(folder: Path, name: str, model, tokenizer, backbone: Backbone, record: dict,
                   cache_dir: str | None = None) -> None:
    """Write the encoder, its tokenizer and its record into `folder` (the temporary folder
    built_folder renames into place); `name`: the output folder's, which the record names (it
    named the temporary one, `.e5-tapt.PID@HOST.RANDOM.partial`)."""
    encoder = model.base_model
    encoder.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    meta = {"name": name, "pretrained_from": backbone.name,
            "source_fingerprint": backbone.fingerprint, "weights_file": WEIGHTS_FILE,
            "weights_sha256": file_sha256(folder / WEIGHTS_FILE, cache_dir),
            "query_prefix": backbone.query_prefix, "passage_prefix": backbone.passage_prefix,
            "model_kwargs": _encoder_kwargs(encoder, backbone.model_kwargs),
            "masked_lm": record}
    (folder / e5_small.META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.iterdir():  # transformers writes weights 0600: a backbone is for sharing
        path.chmod(0o666 & ~mask)


def _files(files) -> list[Path]:
    """One path or a list of them, each read as the command line reads it (one path is one
    file, not a file per letter of its name; out_dir=3 or a list holding a DataFrame was a bare
    TypeError traceback)."""
    if isinstance(files, list | tuple):
        if not files:
            raise InputError("files: expected at least one file, got an empty list")
        return [path_argument(file, "files", WRITE_IT_FIRST) for file in files]
    return [path_argument(files, "files", WRITE_IT_FIRST)]


def _unknown_said(unknown: list[str], known: list[str]) -> str:
    """Unknown settings, each with the one it likely misspells, as a run config's unknown key
    is said (utils/close_names.py): {'max_step': 5} was told the fifteen settings alone."""
    meant = {key: closest_name(key, known) for key in unknown}
    if len(unknown) == 1 and meant[unknown[0]] is not None:
        return f"config: {unknown[0]}: unknown setting; did you mean {meant[unknown[0]]!r}?"
    hints = [f"{name!r} for {key}" for key, name in meant.items() if name is not None]
    settings = f"the settings are {', '.join(known)}"
    return (f"config: {', '.join(unknown)}: unknown setting; "
            + (f"did you mean {', '.join(hints)}? ({settings})" if hints else settings))


def _config(config) -> PretrainConfig:
    """The settings as a checked PretrainConfig: a dict as the PretrainConfig it names (an
    unknown key was a TypeError traceback from the dataclass, any other value an
    AttributeError one), a PretrainConfig checked again for a setting changed since it was
    built."""
    if config is None:
        return PretrainConfig()
    if isinstance(config, dict):
        known = {item.name for item in fields(PretrainConfig)}
        unknown = sorted(map(str, set(config) - known))
        if unknown:
            raise ConfigError(_unknown_said(unknown, sorted(known)))
        try:
            return PretrainConfig(**config)
        except ConfigValueError as exc:  # the dict's setting, named as its unknown keys are:
            # {"max_steps": "5"} said "PretrainConfig: max_steps: ...", a class not given
            prefix = f"{PretrainConfig.__name__}: "
            raise ConfigValueError(f"config: {str(exc).removeprefix(prefix)}") from None
    if not isinstance(config, PretrainConfig):
        raise ConfigError(f"config: {python_kind(config)} is not a PretrainConfig or a dict of "
                          "its settings such as {'max_steps': 100}")
    config.check()
    return config


def pretrain(files: str | Path | Sequence[str | Path], out_dir: str | Path,
             config: PretrainConfig | dict | None = None, overwrite: bool = False,
             progress: bool = True,
             before_training: Callable[[], None] | None = None) -> PretrainResult:
    """Continue pre-training `config.backbone` with masked LM on the files' texts (one path
    is one file); write DIR.

    Under torchrun / accelerate launch every rank trains (Trainer syncs gradients) and only
    rank 0 writes DIR. `files`: one path or a list of them; `config`: a PretrainConfig or a
    dict of its settings. A wrong argument is one line naming it, before any work.
    `before_training()`: called on rank 0 as the training starts on the CPU, under the run's
    torch threads (`shoprel pretrain` says there whether the machine is busy).
    """
    called = time.perf_counter()  # total_seconds: from here to the folder written
    # every caller's arguments are checked here, once: the API's, the command's, a script's
    files, out_dir = _files(files), path_argument(out_dir, "out_dir")
    config = _config(config)
    overwrite, progress = flag_argument(overwrite, "overwrite"), flag_argument(progress, "progress")

    start = Path(str(config.backbone)).expanduser()  # a local folder is read as much as FILES
    reads = [*files, *([start] if start.exists() else [])]
    check_output_dir(out_dir, overwrite, reads=reads, guard=check_replaceable_backbone)
    ranks = current_ranks()
    group = RankGroup(ranks) if ranks.distributed else None
    progress = progress and ranks.is_main
    queries, targets = collect_texts(files)
    if not queries and not targets:
        raise ConfigError("pretrain: the files hold no text")
    backbone = resolve_backbone(config.backbone, config.cache_dir, show_progress=progress,
                                key=config.named("backbone"))
    texts = ([backbone.query_prefix + q for q in queries]
             + [backbone.passage_prefix + t for t in targets])

    # imported once the output, the files and the backbone have passed their checks: torch and
    # transformers took 5-18 s to load before `--out` naming a file was refused
    from transformers import DataCollatorForLanguageModeling, Trainer, set_seed

    from shoprel.models.hf import trainer as hft
    from shoprel.models.hf.config import TrainingArguments

    set_seed(config.seed)
    quiet = hft.quiet_transformers(not progress)
    with torch_threads(config.n_threads), quiet, \
            tempfile.TemporaryDirectory(prefix="shoprel-pretrain-") as scratch:
        model, tokenizer, new_head, missing_encoder = mlm_model(backbone,
                                                                config.named("backbone"))
        if not config.train_word_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        dataset = _TextDataset(tokenizer, texts, config.max_length)
        probe = _TextDataset(tokenizer, _evaluation_sample(texts, config.eval_texts, config.seed),
                             config.max_length)
        loss_before = masked_lm_loss(model, tokenizer, probe, config.mask_prob, config.seed)
        params = TrainingArguments(
            batch_size=config.batch_size, learning_rate=config.learning_rate,
            lr_scheduler="linear", warmup_ratio=config.warmup_ratio,
            weight_decay=config.weight_decay, epochs=config.epochs, max_steps=config.max_steps,
            time_budget_minutes=config.time_budget_minutes, seed=config.seed,
            progress=progress)
        callbacks = []
        budget = None
        if config.time_budget_minutes:
            budget = hft.time_budget_callback(config.time_budget_minutes)
            callbacks.append(budget)
        # no checkpoints: a pretrain does not resume, and with save_strategy "steps" Hugging
        # Face wrote the whole masked-LM model and its optimizer state at the last step, into
        # the scratch folder deleted right after
        arguments = replace(hft.training_arguments(params, scratch), save_strategy="no")
        # each step's loss over the masked tokens' logits alone (masked_tokens.py): every
        # token's, padding included, onto e5-small's 250k words was most of a step's seconds;
        # summed and divided by the step's masked tokens over every rank, as Trainer scales it
        trainer = masked_lm_trainer(Trainer)(
            model=model, args=arguments,
            train_dataset=dataset, processing_class=tokenizer, callbacks=callbacks,
            data_collator=DataCollatorForLanguageModeling(
                tokenizer, mlm_probability=config.mask_prob, seed=config.seed))
        hft.bar_without_log_lines(trainer, "masked-LM steps")
        if before_training is not None and ranks.is_main and hft.fit_device() == "cpu":
            before_training()
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        model.eval()
        loss_after = masked_lm_loss(model, tokenizer, probe, config.mask_prob, config.seed)
        result = PretrainResult(
            out_dir=out_dir, queries=len(queries), targets=len(targets),
            steps=int(trainer.state.global_step), seconds=round(seconds, 2),
            total_seconds=0.0, loss_before=round(loss_before, 4), loss_after=round(loss_after, 4),
            stopped_by_time_budget=bool(budget and budget.stopped_early),
            files=[str(Path(f).resolve()) for f in files], new_masked_lm_head=new_head,
            missing_encoder_weights=missing_encoder)
        if ranks.is_main:
            record = {**result.summary(), "config": asdict(config)}
            del record["out_dir"], record["total_seconds"]  # known once the folder is written
            # transformers' "Writing model shards" bar off, as a cross-encoder saves: drawn
            # with `\r` into a Python caller's log, where the command turns library bars off
            with built_folder(out_dir, config.cache_dir, overwrite=overwrite, durable=True,
                              guard=check_replaceable_backbone) as tmp, \
                    hft.quiet_transformers():
                # the name of the folder asked for, as a path (".", "runs/..") may not hold it
                _save_backbone(tmp, Path(os.path.abspath(out_dir)).name, model, tokenizer,
                               backbone, record, config.cache_dir)
    result.total_seconds = round(time.perf_counter() - called, 2)
    if group is not None:
        result = group.broadcast(result)  # the others return once DIR is in place
    return result
