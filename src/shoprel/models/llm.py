"""The LLM classifier: a decoder-only language model with a 2-class head, fine-tuned with LoRA.

This is the winning recipe (Gemma-3-12B / Qwen2.5-14B + classification head + LoRA) as a model
family: any decoder (Gemma-2/3, Qwen2, Llama, Mistral) by built-in name, folder or hub id is
loaded as `AutoModelForSequenceClassification`, which reads the score at the last non-pad token.
Only the LoRA matrices and the head train; they are all that is saved (a few MB), next to a
record of the backbone's checksum, and loading puts them back on the same base model.
torch, transformers and peft load only when a model is built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import ConfigError, RunDirError
from shoprel.models import hf_training
from shoprel.models.base import MODEL_CONFIG, RelevanceModel, check_scoring_input
from shoprel.models.llm_text import DEFAULT_TEMPLATE, PairEncoder, check_template, ensure_pad_token
from shoprel.utils.threads import torch_threads

log = logging.getLogger(__name__)

ADAPTER_FOLDER = "adapter"
HEAD = "score"  # the classification head of every *ForSequenceClassification decoder
LINEAR_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                      "down_proj")
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def _torch_dtype(name: str):
    import torch

    return getattr(torch, DTYPES[name])


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def lora_targets(model, wanted: list[str]) -> list[str]:
    """Full names of the linear layers whose last name part is in `wanted`.

    Full names (not bare suffixes) keep LoRA off a multimodal model's vision tower, whose
    attention also has q/k/v projections.
    """
    names = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        is_linear = type(module).__name__ in ("Linear", "Linear4bit", "Linear8bitLt")
        if leaf in wanted and is_linear and "vision" not in name:
            names.append(name)
    if not names:
        raise ConfigError(f"model.params.target_modules: none of {wanted} is a linear layer of "
                          f"{type(model).__name__}")
    return names


def _is_merged(model) -> bool:
    return any(getattr(module, "merged", False) for module in model.modules())


def _head_in_fp32(model) -> None:
    """Keep the head in fp32 under a bf16/fp16 base: lr 1e-5 updates vanish in bf16 weights."""
    head = getattr(model, HEAD)
    head.float()
    head.register_forward_pre_hook(lambda module, args: (args[0].to(module.weight.dtype),))


class EncodedPairs(hf_training.PairDataset):
    """hf_training's dataset over token ids encoded here (a prompt template, not a text pair)."""

    def __init__(self, input_ids: list[list[int]], labels):
        self.encodings = {"input_ids": input_ids,
                          "attention_mask": [[1] * len(ids) for ids in input_ids]}
        self.labels = [int(y) for y in labels]
        self.keys = ["input_ids", "attention_mask"]


class LLMClassifier(RelevanceModel):
    family = "llm"

    def __init__(
        self,
        backbone: str = "gemma3-270m",
        cache_dir: str | None = None,
        template: str = DEFAULT_TEMPLATE,
        use_translation: bool = True,
        translation_template: str = "{query} - {translation}",
        max_length: Annotated[int, Field(ge=8)] = 128,
        lora_r: Annotated[int, Field(ge=1)] = 16,
        lora_alpha: Annotated[float, Field(gt=0)] = 32.0,
        lora_dropout: Annotated[float, Field(ge=0, lt=1)] = 0.01,
        target_modules: tuple[str, ...] = LINEAR_PROJECTIONS,
        dtype: Literal["fp32", "bf16", "fp16"] = "fp32",
        load_in_4bit: bool = False,
        gradient_checkpointing: bool = False,
        merge_for_inference: bool = False,
        batch_size: Annotated[int, Field(ge=1)] = 8,
        inference_batch_size: Annotated[int, Field(ge=1)] = 32,
        grad_accumulation: Annotated[int, Field(ge=1)] = 1,
        learning_rate: Annotated[float, Field(gt=0)] = 1e-4,
        lr_scheduler: Literal[hf_training.SCHEDULERS] = "linear",
        warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.01,
        weight_decay: Annotated[float, Field(ge=0)] = 0.0,
        epochs: Annotated[float, Field(gt=0)] = 1.0,
        max_steps: Annotated[int, Field(ge=1)] | None = None,
        time_budget_minutes: Annotated[float, Field(gt=0)] | None = None,
        class_weight: Literal["balanced"] | None = None,
        eval_fraction: Annotated[float, Field(ge=0, lt=0.5)] = 0.0,
        eval_steps: Annotated[int, Field(ge=1)] = 500,
        checkpoint_dir: str | None = None,
        save_steps: Annotated[int, Field(ge=1)] = 200,
        keep_checkpoints: bool = False,
        seed: int = 42,
        n_threads: Annotated[int, Field(ge=1)] | None = None,
        progress: bool = False,
    ):
        check_template(template)
        self.backbone = backbone
        self.cache_dir = cache_dir
        self.template = template
        self.use_translation = use_translation
        self.translation_template = translation_template
        self.max_length = max_length
        self.lora_r = lora_r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self.target_modules = tuple(target_modules)
        self.dtype = dtype
        self.load_in_4bit = load_in_4bit
        self.gradient_checkpointing = gradient_checkpointing
        self.merge_for_inference = merge_for_inference
        self.batch_size = batch_size
        self.inference_batch_size = inference_batch_size
        self.grad_accumulation = grad_accumulation
        self.learning_rate = learning_rate
        self.lr_scheduler = lr_scheduler
        self.warmup_ratio = warmup_ratio
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.max_steps = max_steps
        self.time_budget_minutes = time_budget_minutes
        self.class_weight = class_weight
        self.eval_fraction = eval_fraction
        self.eval_steps = eval_steps
        self.checkpoint_dir = checkpoint_dir
        self.save_steps = save_steps
        self.keep_checkpoints = keep_checkpoints
        self.seed = seed
        self.n_threads = n_threads
        self.progress = progress
        self._start_folder: Path | None = None

    # --- building ------------------------------------------------------------------------
    def _resolved(self):
        from shoprel.models.backbones import resolve_backbone

        return resolve_backbone(self.backbone, self.cache_dir, show_progress=self.progress)

    def _load_base(self, source: str):
        """(sequence classifier with a 2-class head, tokenizer), pad token set on both."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        kwargs = {"num_labels": 2, "dtype": _torch_dtype(self.dtype)}
        if self.load_in_4bit:
            kwargs.update(self._four_bit())
        tokenizer = AutoTokenizer.from_pretrained(source)
        ensure_pad_token(tokenizer)
        tokenizer.padding_side = "right"  # real tokens keep positions 0..n-1, as unpadded
        torch.manual_seed(self.seed)  # the new head's initial weights
        model = AutoModelForSequenceClassification.from_pretrained(source, **kwargs)
        for config in {id(c): c for c in (model.config, model.config.get_text_config())}.values():
            config.pad_token_id = tokenizer.pad_token_id
        if self.dtype != "fp32" or self.load_in_4bit:
            _head_in_fp32(model)
        return model, tokenizer

    def _four_bit(self) -> dict:
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("model.params.load_in_4bit: 4-bit loading needs a CUDA GPU")
        try:
            import bitsandbytes  # noqa: F401
            from transformers import BitsAndBytesConfig
        except ImportError:
            raise ConfigError("model.params.load_in_4bit: needs the bitsandbytes package "
                              "(pip install bitsandbytes)") from None
        compute = torch.bfloat16 if self.dtype == "bf16" else torch.float16
        return {"quantization_config": BitsAndBytesConfig(
                    load_in_4bit=True, bnb_4bit_quant_type="nf4",
                    bnb_4bit_compute_dtype=compute, bnb_4bit_use_double_quant=True),
                "device_map": {"": torch.cuda.current_device()}}

    def _with_new_adapter(self, base):
        from peft import LoraConfig, TaskType, get_peft_model, prepare_model_for_kbit_training

        if self.load_in_4bit:
            base = prepare_model_for_kbit_training(
                base, use_gradient_checkpointing=self.gradient_checkpointing)
        config = LoraConfig(task_type=TaskType.SEQ_CLS, r=self.lora_r,
                            lora_alpha=self.lora_alpha, lora_dropout=self.lora_dropout,
                            target_modules=lora_targets(base, list(self.target_modules)),
                            modules_to_save=[HEAD])
        return get_peft_model(base, config)

    def _with_saved_adapter(self, base, folder: Path, trainable: bool):
        from peft import PeftModel

        return PeftModel.from_pretrained(base, str(folder / ADAPTER_FOLDER),
                                         is_trainable=trainable)

    # --- inputs --------------------------------------------------------------------------
    def _encode(self, frame: PairFrame, tokenizer) -> list[list[int]]:
        query = (frame.query_side(self.translation_template) if self.use_translation
                 else frame.df["query"])
        encoder = PairEncoder(tokenizer, self.template, self.max_length)
        return encoder.encode([str(q) for q in query], [str(t) for t in frame.df["target"]])

    # --- fitting -------------------------------------------------------------------------
    def start_from(self, folder: str | Path) -> LLMClassifier:
        """Start the next fit from a saved `llm` model's adapter and head ("stage 0")."""
        folder = Path(folder)
        try:
            config = json.loads((folder / MODEL_CONFIG).read_text())
        except (OSError, ValueError):
            raise RunDirError(f"{folder}: no readable {MODEL_CONFIG}; not a saved model") from None
        if config.get("family") != self.family or not (folder / ADAPTER_FOLDER).is_dir():
            raise RunDirError(f"{folder}: not a saved {self.family!r} model")
        if config["params"].get("backbone") != self.backbone:
            raise ConfigError(f"{folder}: trained on backbone {config['params'].get('backbone')!r},"
                              f" this model uses {self.backbone!r}")
        self._start_folder = folder
        return self

    def fit(self, frame: PairFrame) -> LLMClassifier:
        if not frame.has_labels:
            raise ValueError("fit needs labelled rows")
        backbone = self._resolved()
        with torch_threads(self.n_threads):
            base, tokenizer = self._load_base(backbone.source)
            if self._start_folder is not None:
                model = self._with_saved_adapter(base, self._start_folder, trainable=True)
            else:
                model = self._with_new_adapter(base)
            if self.gradient_checkpointing and not self.load_in_4bit:
                model.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs={"use_reentrant": False})
                model.enable_input_require_grads()
            ids = self._encode(frame, tokenizer)
            labels = frame.labels
            train_rows, eval_rows = self._split(labels)
            callbacks = []
            if len(eval_rows):
                from shoprel.models.llm_best import BestByF1

                callbacks.append(BestByF1(
                    [ids[i] for i in eval_rows], labels[eval_rows], tokenizer,
                    self.inference_batch_size, self.eval_steps))
            weights = (hf_training.balanced_class_weights(labels[train_rows])
                       if self.class_weight == "balanced" else None)
            dataset = EncodedPairs([ids[i] for i in train_rows], labels[train_rows])
            folder, temporary = self._checkpoint_folder(frame, backbone.fingerprint)
            try:
                result = hf_training.run_trainer(model, tokenizer, dataset, self._train_params(),
                                                 folder, class_weights=weights,
                                                 callbacks=callbacks)
            finally:  # a named folder outlives a failed fit: the rerun resumes from it
                if temporary:
                    shutil.rmtree(folder, ignore_errors=True)
            if not self.keep_checkpoints:
                hf_training.remove_checkpoints(folder)
            model.eval()
        self.model_, self.tokenizer_ = model, tokenizer
        self.task_ = frame.task
        self.fingerprint_ = backbone.fingerprint
        self.fit_result_ = result
        self.best_eval_ = callbacks[0].best if callbacks else None
        return self

    def _split(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Training rows and (when eval_fraction > 0) a stratified held-out slice for keep-best."""
        rows = np.arange(len(labels))
        if not self.eval_fraction:
            return rows, rows[:0]
        rng = np.random.default_rng(self.seed)
        held = []
        for value in np.unique(labels):
            members = rng.permutation(rows[labels == value])
            held.append(members[: int(round(len(members) * self.eval_fraction))])
        held = np.sort(np.concatenate(held))
        return np.setdiff1d(rows, held), held

    def _train_params(self) -> hf_training.TrainParams:
        return hf_training.TrainParams(
            batch_size=self.batch_size, learning_rate=self.learning_rate,
            lr_scheduler=self.lr_scheduler, warmup_ratio=self.warmup_ratio,
            weight_decay=self.weight_decay, epochs=self.epochs, max_steps=self.max_steps,
            time_budget_minutes=self.time_budget_minutes,
            grad_accumulation=self.grad_accumulation, seed=self.seed,
            save_steps=self.save_steps, progress=self.progress)

    def _checkpoint_folder(self, frame: PairFrame, fingerprint: str) -> tuple[Path, bool]:
        """A folder named by the training rows and settings, so a rerun of the same fit (one
        fold of a killed cross-validation) resumes, and another fold never does."""
        if self.checkpoint_dir is None:
            return Path(tempfile.mkdtemp(prefix="shoprel-llm-")), True
        digest = hashlib.sha256()
        digest.update(json.dumps({k: v for k, v in self.get_params().items()
                                  if k not in ("progress", "n_threads", "keep_checkpoints")},
                                 sort_keys=True, default=str).encode())
        digest.update(fingerprint.encode())
        digest.update(str(self._start_folder).encode())
        cols = [c for c in ("id", "query", "target", "label") if c in frame.df.columns]
        digest.update(frame.df[cols].to_csv(index=False).encode())
        return Path(self.checkpoint_dir) / f"fit-{digest.hexdigest()[:16]}", False

    # --- prediction ----------------------------------------------------------------------
    def logits(self, frame: PairFrame) -> np.ndarray:
        """Raw (n, 2) head outputs, length-sorted batches padded per batch."""
        import torch

        ids = self._encode(frame, self.tokenizer_)
        out = np.zeros((len(ids), 2), dtype=np.float64)
        model = self.model_
        device = next(model.parameters()).device
        with torch_threads(self.n_threads), torch.inference_mode():
            if self.merge_for_inference and not self.load_in_4bit \
                    and not _is_merged(model):
                # for good: unmerging in bf16 would not give the same base weights back
                model.merge_adapter()
            for batch in hf_training.length_sorted_batches([len(x) for x in ids],
                                                           self.inference_batch_size):
                padded = self.tokenizer_.pad({"input_ids": [ids[i] for i in batch]},
                                             return_tensors="pt")
                result = model(**{k: v.to(device) for k, v in padded.items()})
                out[batch] = result.logits.float().cpu().numpy()
        return out

    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        check_scoring_input(self, frame)
        if len(frame) == 0:
            return np.zeros((0, 2))
        p = hf_training.softmax_positive(self.logits(frame))
        return np.column_stack([1 - p, p])

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        state = {"task": self.task_.value, "fingerprint": self.fingerprint_}
        if self.best_eval_ is not None:
            state["best_eval"] = self.best_eval_
        return state

    def _save_arrays(self, folder: Path) -> None:
        self.model_.save_pretrained(str(folder / ADAPTER_FOLDER))

    def _restore(self, state: dict, folder: Path) -> None:
        self.task_ = Task(state["task"])
        self.fingerprint_ = state["fingerprint"]
        self.best_eval_ = state.get("best_eval")
        backbone = self._resolved()
        if backbone.fingerprint != self.fingerprint_:
            log.warning("%s: backbone %r now resolves to %s, but the model was trained on %s",
                        folder, self.backbone, backbone.fingerprint, self.fingerprint_)
        with torch_threads(self.n_threads):
            base, self.tokenizer_ = self._load_base(backbone.source)
            self.model_ = self._with_saved_adapter(base, folder, trainable=False)
            if not self.load_in_4bit:
                self.model_.to(_device())
            self.model_.eval()
