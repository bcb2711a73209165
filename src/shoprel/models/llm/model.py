"""The LLM classifier: a decoder-only language model with a 2-class head, fine-tuned with LoRA.

This is the winning recipe (Gemma-3-12B / Qwen2.5-14B + classification head + LoRA) as a model
family: any decoder (Gemma-2/3, Qwen2, Llama, Mistral) by built-in name, folder or hub id is
loaded as `AutoModelForSequenceClassification`, which reads the score at the last non-pad token.
Only the LoRA matrices and the head train; they are all that is saved (a few MB), next to a
record of the backbone's checksum, and loading puts them back on the same base model (other
weights are refused). The pair becomes one prompt (prompt.py); an optional held-out slice keeps
the best adapter (best.py). torch, transformers and peft load only when a model is built.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError
from shoprel.models.hf import trainer as hft
from shoprel.models.hf.family import FineTunedModel
from shoprel.models.llm.config import LLMConfig
from shoprel.models.llm.prompt import PairEncoder, ensure_pad_token
from shoprel.models.llm.saved_files import check_adapter_files
from shoprel.utils.threads import torch_threads

ADAPTER_FOLDER = "adapter"
HEAD = "score"  # the classification head of every *ForSequenceClassification decoder
DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
# peft asks transformers for a property transformers has deprecated: a FutureWarning about the
# two libraries' versions that a user can do nothing about, printed even under --quiet.
LIBRARY_DEPRECATIONS = r"`is_gradient_checkpointing` is deprecated"


@contextmanager
def without_library_deprecations():
    """Building or loading an adapter without the libraries' chatter about each other."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=LIBRARY_DEPRECATIONS, category=FutureWarning)
        yield


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


class EncodedPairs(hft.PairDataset):
    """The trainer's dataset over token ids encoded here (a prompt template, not a text pair)."""

    def __init__(self, input_ids: list[list[int]], labels):
        self.encodings = {"input_ids": input_ids,
                          "attention_mask": [[1] * len(ids) for ids in input_ids]}
        self.labels = [int(y) for y in labels]
        self.keys = ["input_ids", "attention_mask"]


class LLMClassifier(FineTunedModel):
    family = "llm"
    config_class = LLMConfig
    weights_folder = ADAPTER_FOLDER
    scores_through_backbone = True  # its adapter loads onto the backbone's weights
    loads_backbone = True  # as it is loaded (_restore)

    # --- building ------------------------------------------------------------------------
    def _load_base(self, source: str):
        """(sequence classifier with a 2-class head, tokenizer, the decoder's weights missing
        from the checkpoint), pad token set on both. transformers' load report (the new head's
        `score.weight`, every time) stays silent, and so does its bar unless progress is on."""
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from shoprel.models.hf.head_loading import load_under_head

        kwargs = {"num_labels": 2, "dtype": _torch_dtype(self.dtype)}
        if self.load_in_4bit:
            kwargs.update(self._four_bit())
        tokenizer = AutoTokenizer.from_pretrained(source)
        ensure_pad_token(tokenizer)
        tokenizer.padding_side = "right"  # real tokens keep positions 0..n-1, as unpadded
        torch.manual_seed(self.seed)  # the new head's initial weights
        loaded = load_under_head(AutoModelForSequenceClassification, source,
                                 bar=self.progress, **kwargs)
        model = loaded.model
        for config in {id(c): c for c in (model.config, model.config.get_text_config())}.values():
            config.pad_token_id = tokenizer.pad_token_id
        if self.dtype != "fp32" or self.load_in_4bit:
            _head_in_fp32(model)
        return model, tokenizer, loaded.missing_encoder

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
        with without_library_deprecations():
            return get_peft_model(base, config)

    def _with_saved_adapter(self, base, folder: Path, trainable: bool):
        from peft import PeftModel

        with without_library_deprecations():
            return PeftModel.from_pretrained(base, str(folder / ADAPTER_FOLDER),
                                             is_trainable=trainable)

    # --- inputs --------------------------------------------------------------------------
    def pair_texts(self, frame: PairFrame) -> tuple[list[str], list[str]]:
        """(query side, target side) as the model reads them, before the prompt template
        (prompt.PairEncoder) puts them in one prompt."""
        return [str(q) for q in self.queries(frame)], [str(t) for t in frame.df["target"]]

    def _encode(self, texts: tuple[list[str], list[str]], tokenizer) -> list[list[int]]:
        return PairEncoder(tokenizer, self.template, self.max_length).encode(*texts)

    # --- fitting -------------------------------------------------------------------------
    def _fit(self, frame: PairFrame, config: LLMConfig) -> None:
        if not frame.has_labels:
            raise ValueError("fit needs labelled rows")
        from shoprel.models.backbones.resolve import loading

        backbone = self._backbone(config)
        start = self._start_folder(backbone)
        with torch_threads(self.n_threads):
            with loading(backbone):  # a folder transformers cannot use: one line
                base, tokenizer, missing = self._load_base(backbone.source)
            if start is not None:
                model = self._with_saved_adapter(base, start, trainable=True)
            else:
                model = self._with_new_adapter(base)
            if self.gradient_checkpointing and not self.load_in_4bit:
                model.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs={"use_reentrant": False})
                model.enable_input_require_grads()
            texts = self.pair_texts(frame)
            ids = self._encode(texts, tokenizer)
            labels = frame.labels
            train_rows, eval_rows = self._split(labels)
            callbacks = []
            if len(eval_rows):
                from shoprel.models.llm.best import BestByF1

                callbacks.append(BestByF1(
                    [ids[i] for i in eval_rows], labels[eval_rows], tokenizer,
                    self.inference_batch_size, self.eval_steps))
            dataset = EncodedPairs([ids[i] for i in train_rows], labels[train_rows])
            rows = ([texts[0][i] for i in train_rows], [texts[1][i] for i in train_rows],
                    labels[train_rows].tolist())
            result = self._train(config, model, tokenizer, dataset, rows, backbone, start,
                                 callbacks=callbacks)
            model.eval()
        self.model_, self.tokenizer_ = model, tokenizer
        self.fingerprint_ = backbone.fingerprint
        self.fit_result_ = result
        self.best_eval_ = callbacks[0].best if callbacks else None
        # what the run's fine-tuning record and `shoprel train`'s warning read (a decoder that
        # started partly random: evaluate/console.py); saved in model.json with the model
        self.train_stats_ = {**result.__dict__, "rows": len(train_rows),
                             "missing_encoder_weights": missing}
        if self.best_eval_ is not None:  # keep-best: the step whose adapter was kept
            self.train_stats_.update(best_step=self.best_eval_["step"],
                                     holdout_rows=int(len(eval_rows)),
                                     holdout_f1_best=self.best_eval_["f1"])

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

    # --- prediction ----------------------------------------------------------------------
    def logits(self, frame: PairFrame) -> np.ndarray:
        """Raw (n, 2) head outputs, length-sorted batches padded per batch."""
        import torch

        ids = self._encode(self.pair_texts(frame), self.tokenizer_)
        out = np.zeros((len(ids), 2), dtype=np.float64)
        model = self.model_
        device = next(model.parameters()).device
        with torch_threads(self.n_threads), torch.inference_mode():
            self._merge_for_inference()
            for batch in hft.length_sorted_batches([len(x) for x in ids],
                                                   self.inference_batch_size):
                padded = self.tokenizer_.pad({"input_ids": [ids[i] for i in batch]},
                                             return_tensors="pt")
                result = model(**{k: v.to(device) for k, v in padded.items()})
                out[batch] = result.logits.float().cpu().numpy()
        return out

    def _positive(self, frame: PairFrame) -> np.ndarray:
        return hft.softmax_positive(self.logits(frame))

    def load_encoders(self) -> None:
        """Do now what the first scored batch would otherwise do first (the embed family's
        hook, which serve calls before it says it is ready): with `merge_for_inference`, fold
        the adapter into the base weights. The model itself is loaded with the run."""
        import torch

        with torch_threads(self.n_threads), torch.inference_mode():
            self._merge_for_inference()

    def _merge_for_inference(self) -> None:
        """The adapter merged into the base weights once, when `merge_for_inference` asks."""
        model = self.model_
        if self.merge_for_inference and not self.load_in_4bit and not _is_merged(model):
            # for good: unmerging in bf16 would not give the same base weights back
            model.merge_adapter()

    # --- persistence ---------------------------------------------------------------------
    @classmethod
    def check_saved_files(cls, folder: Path) -> None:
        """The adapter's config and weights are there and read (saved_files.py), without the
        backbone, which loading the model reads."""
        check_adapter_files(Path(folder) / ADAPTER_FOLDER)

    def _state(self) -> dict:
        state = {"fingerprint": self.fingerprint_, "train_stats": self.train_stats_}
        if self.best_eval_ is not None:
            state["best_eval"] = self.best_eval_
        return state

    def _save_arrays(self, folder: Path) -> None:
        self.model_.save_pretrained(str(folder / ADAPTER_FOLDER))

    def _restore(self, state: dict, folder: Path) -> None:
        self.fingerprint_ = state["fingerprint"]
        self.best_eval_ = state.get("best_eval")
        self.train_stats_ = state.get("train_stats", {})  # {} from a model saved before they were
        backbone = self._backbone(self.config())
        backbone.check_trained(self.fingerprint_, f"the model in {folder} was trained on")
        with torch_threads(self.n_threads):
            base, self.tokenizer_, _ = self._load_base(backbone.source)
            self.model_ = self._with_saved_adapter(base, folder, trainable=False)
            if not self.load_in_4bit:
                self.model_.to(_device())
            self.model_.eval()
