"""The cross-encoder: a pretrained encoder fine-tuned to read (query, target) as one pair.

Any encoder works (the built-in e5-small, a local folder, a Hugging Face id such as
xlm-roberta-base); it gets a two-way classification head and is trained with the shared
`Trainer` plumbing (hf_training.py): time budget, class weighting, checkpoints and resume. The
saved model folder holds an ordinary Hugging Face folder (`hf/`), so sentence-transformers'
`CrossEncoder` and `AutoModelForSequenceClassification` load the same weights; when `shoprel
export --onnx` has added an `onnx/` folder next to it, loading scores with onnxruntime instead
of torch. torch is imported only inside methods.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from shoprel.data.frame import PairFrame
from shoprel.data.tasks import Task
from shoprel.errors import ConfigError, RunDirError
from shoprel.models import hf_training as hft
from shoprel.models.base import MODEL_CONFIG, RelevanceModel, check_scoring_input
from shoprel.utils.threads import torch_threads

HF_FOLDER = "hf"
ENGINE_ENV = "SHOPREL_CROSS_ENGINE"  # overrides the saved `engine` param when set
ENGINES = ("auto", "torch", "onnx", "onnx-fp32", "onnx-int8")
Engine = Literal["auto", "torch", "onnx", "onnx-fp32", "onnx-int8"]
# params that change how a fit runs or scores, or when it stops, not what each step learns:
# left out of the checkpoint key, so a rerun asked to train longer resumes too
RUNTIME_PARAMS = {"checkpoint_dir", "keep_checkpoints", "n_threads", "progress", "engine",
                  "inference_batch_size", "time_budget_minutes", "save_steps", "cache_dir",
                  "max_steps", "epochs"}


class CrossEncoderModel(RelevanceModel):
    family = "cross"

    def __init__(
        self,
        backbone: str = "e5-small",
        cache_dir: str | None = None,
        max_length: Annotated[int, Field(ge=8, le=4096)] = 64,
        batch_size: Annotated[int, Field(ge=1)] = 32,
        inference_batch_size: Annotated[int, Field(ge=1)] = 64,
        learning_rate: Annotated[float, Field(gt=0)] = 5e-5,
        lr_scheduler: Literal[hft.SCHEDULERS] = "linear",
        warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.06,
        weight_decay: Annotated[float, Field(ge=0)] = 0.01,
        epochs: Annotated[float, Field(gt=0)] = 1.0,
        max_steps: Annotated[int, Field(ge=1)] | None = None,
        time_budget_minutes: Annotated[float, Field(gt=0)] | None = None,
        class_weight: Literal["balanced"] | None = None,
        freeze_word_embeddings: bool = True,
        grad_accumulation: Annotated[int, Field(ge=1)] = 1,
        seed: int = 42,
        save_steps: Annotated[int, Field(ge=1)] = 200,
        checkpoint_dir: str | None = None,
        keep_checkpoints: bool = False,
        use_translation: bool = True,
        translation_template: str = "{query} - {translation}",
        n_threads: Annotated[int, Field(ge=1)] | None = 2,
        engine: Engine = "auto",
        progress: bool = False,
    ):
        self.backbone = backbone
        self.cache_dir = cache_dir
        self.max_length = max_length
        self.batch_size = batch_size
        self.inference_batch_size = inference_batch_size
        self.learning_rate = learning_rate
        self.lr_scheduler = lr_scheduler
        self.warmup_ratio = warmup_ratio
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.max_steps = max_steps
        self.time_budget_minutes = time_budget_minutes
        self.class_weight = class_weight
        self.freeze_word_embeddings = freeze_word_embeddings
        self.grad_accumulation = grad_accumulation
        self.seed = seed
        self.save_steps = save_steps
        self.checkpoint_dir = checkpoint_dir
        self.keep_checkpoints = keep_checkpoints
        self.use_translation = use_translation
        self.translation_template = translation_template
        self.n_threads = n_threads
        self.engine = engine
        self.progress = progress
        self._start_folder: Path | None = None
        self._start_fingerprint: str | None = None
        self._onnx = None
        self.engine_: str | None = None  # what predict_proba runs on: torch, onnx-fp32, onnx-int8

    # --- inputs --------------------------------------------------------------------------
    def _sides(self, frame: PairFrame) -> tuple[list[str], list[str]]:
        """(query side, target side) as the model reads them, with the backbone's prefixes."""
        df = frame.df
        query = frame.query_side(self.translation_template) if self.use_translation \
            else df["query"]
        return ([self.query_prefix_ + str(q) for q in query],
                [self.passage_prefix_ + str(t) for t in df["target"]])

    # --- fitting -------------------------------------------------------------------------
    def start_from(self, folder: str | Path) -> CrossEncoderModel:
        """Begin the next fit from a saved `cross` model's weights (e.g. trained on the other
        task: "stage 0") instead of the bare backbone; the backbones must be the same."""
        folder = Path(folder)
        config_path = folder / MODEL_CONFIG
        if not config_path.is_file() or not (folder / HF_FOLDER).is_dir():
            raise RunDirError(f"{folder}: not a saved cross-encoder model folder")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("family") != self.family:
            raise RunDirError(f"{folder}: a {config.get('family')!r} model, not {self.family!r}")
        self._start_folder = folder / HF_FOLDER
        self._start_fingerprint = config["state"]["fingerprint"]
        return self

    def fit(self, frame: PairFrame) -> CrossEncoderModel:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

        from shoprel.models.backbones import resolve_backbone

        y = frame.labels
        backbone = resolve_backbone(self.backbone, self.cache_dir, show_progress=self.progress)
        if self._start_fingerprint and self._start_fingerprint != backbone.fingerprint:
            raise ConfigError(f"model.params.backbone: {self.backbone!r} resolves to "
                              f"{backbone.fingerprint}, but the start-from model was trained on "
                              f"{self._start_fingerprint}")
        self.task_ = frame.task
        self.fingerprint_ = backbone.fingerprint
        self.query_prefix_, self.passage_prefix_ = backbone.query_prefix, backbone.passage_prefix
        self.translated_ = "query_en" in frame.df.columns
        source = str(self._start_folder or backbone.source)
        set_seed(self.seed)  # the new head's initial weights
        quiet = hft.quiet_transformers(not self.progress)
        with torch_threads(self.n_threads), quiet:
            tokenizer = AutoTokenizer.from_pretrained(source)
            model = AutoModelForSequenceClassification.from_pretrained(
                source, num_labels=2, **_head_kwargs(backbone.model_kwargs))
            model.config.id2label, model.config.label2id = {0: "0", 1: "1"}, {"0": 0, "1": 1}
            if self.freeze_word_embeddings:
                model.get_input_embeddings().weight.requires_grad_(False)
            first, second = self._sides(frame)
            dataset = hft.PairDataset(tokenizer, first, second, y, self.max_length)
            weights = (hft.balanced_class_weights(y) if self.class_weight == "balanced" else None)
            self.class_weights_ = None if weights is None else [float(w) for w in weights]
            checkpoints = self._checkpoint_folder(frame, first, second)
            result = hft.run_trainer(model, tokenizer, dataset, self._train_params(), checkpoints,
                                     class_weights=self.class_weights_)
        if not self.keep_checkpoints:
            hft.remove_checkpoints(checkpoints)
        self.train_stats_ = {**result.__dict__, "rows": len(frame),
                             "trainable_parameters": _trainable(model)}
        self.model_, self.tokenizer_ = model, tokenizer
        self._onnx = None
        self.engine_ = "torch"
        return self

    def _train_params(self) -> hft.TrainParams:
        return hft.TrainParams(
            batch_size=self.batch_size, learning_rate=self.learning_rate,
            lr_scheduler=self.lr_scheduler, warmup_ratio=self.warmup_ratio,
            weight_decay=self.weight_decay, epochs=self.epochs, max_steps=self.max_steps,
            time_budget_minutes=self.time_budget_minutes,
            grad_accumulation=self.grad_accumulation, seed=self.seed,
            save_steps=self.save_steps, progress=self.progress)

    def _checkpoint_folder(self, frame: PairFrame, first: list[str], second: list[str]) -> Path:
        """Where this fit's checkpoints live: a folder under `checkpoint_dir` (default: the
        shoprel cache) named by what the fit learns from (params, weights, rows), so running
        the same training again after an interruption finds and resumes them."""
        from shoprel.models.backbones import cache_root

        digest = hashlib.sha256()
        learned = {k: v for k, v in self.get_params().items() if k not in RUNTIME_PARAMS}
        digest.update(json.dumps([learned, self.fingerprint_, self._start_fingerprint,
                                  str(self._start_folder)], sort_keys=True).encode())
        for a, b, label in zip(first, second, frame.labels.tolist(), strict=True):
            digest.update(f"{a}\x00{b}\x00{label}\x01".encode())
        # one folder per fit even under an explicit checkpoint_dir: fold 2 must never resume
        # from fold 1's checkpoints
        root = (Path(self.checkpoint_dir).expanduser() if self.checkpoint_dir
                else cache_root(self.cache_dir) / "checkpoints")
        return root / f"cross-{digest.hexdigest()[:20]}"

    # --- prediction ----------------------------------------------------------------------
    def predict_proba(self, frame: PairFrame) -> np.ndarray:
        check_scoring_input(self, frame, self.translated_ and self.use_translation)
        if len(frame) == 0:
            return np.zeros((0, 2))
        first, second = self._sides(frame)
        encodings = hft.encode_pairs(self.tokenizer_, first, second, self.max_length)
        if self._onnx is not None:
            p = hft.score_encoded(encodings, self.tokenizer_, self.inference_batch_size,
                                  self._onnx.positive)
        else:
            with torch_threads(self.n_threads):
                p = hft.score_encoded(encodings, self.tokenizer_, self.inference_batch_size,
                                      hft.torch_positive(self.model_))
        p = np.clip(p, 0.0, 1.0)
        return np.column_stack([1 - p, p])

    def use_engine(self, engine: Engine) -> CrossEncoderModel:
        """Switch a loaded model between torch and its exported ONNX model.

        auto: ONNX when `shoprel export` made one (its preferred precision), else torch;
        onnx: the exported model, an error when there is none; onnx-fp32 / onnx-int8: that
        file; torch: the Hugging Face weights. Sets `engine_` to what scores: "torch",
        "onnx-fp32" or "onnx-int8".
        """
        from shoprel.export.onnx import OnnxScorer, exported_model

        if engine not in ENGINES:
            raise ConfigError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
        folder = getattr(self, "folder_", None)
        found = None
        if engine != "torch" and folder is not None:
            found = exported_model(folder, engine.removeprefix("onnx-")
                                   if engine.startswith("onnx-") else None)
        if engine.startswith("onnx") and found is None:
            raise RunDirError(f"{folder}: no exported ONNX model{engine.removeprefix('onnx')} "
                              "(run `shoprel export RUN_DIR --onnx [--int8]` first)")
        if found is not None:
            self._onnx = OnnxScorer(found.path, n_threads=self.n_threads)
            self.engine_ = f"onnx-{found.precision}"
            return self
        self._onnx = None
        if getattr(self, "model_", None) is None:
            self.model_ = _load_torch(folder / HF_FOLDER)
        self.engine_ = "torch"
        return self

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"task": self.task_.value, "fingerprint": self.fingerprint_,
                "query_prefix": self.query_prefix_, "passage_prefix": self.passage_prefix_,
                "translated": self.translated_, "class_weights": self.class_weights_,
                "train_stats": self.train_stats_, "hf_folder": HF_FOLDER}

    def _save_arrays(self, folder: Path) -> None:
        model = getattr(self, "model_", None)
        if model is None:  # loaded for ONNX scoring only: copy the weights and the export
            import shutil

            from shoprel.export.onnx import ONNX_FOLDER

            for name in (HF_FOLDER, ONNX_FOLDER):
                if (self.folder_ / name).is_dir():
                    shutil.copytree(self.folder_ / name, folder / name, dirs_exist_ok=True)
            return
        with hft.quiet_transformers():
            model.save_pretrained(folder / HF_FOLDER)
            self.tokenizer_.save_pretrained(folder / HF_FOLDER)

    def _restore(self, state: dict, folder: Path) -> None:
        from transformers import AutoTokenizer

        self.task_ = Task(state["task"])
        self.fingerprint_ = state["fingerprint"]
        self.query_prefix_ = state.get("query_prefix", "")
        self.passage_prefix_ = state.get("passage_prefix", "")
        self.translated_ = state.get("translated", False)
        self.class_weights_ = state.get("class_weights")
        self.train_stats_ = state.get("train_stats", {})
        self.folder_ = Path(folder)
        self.tokenizer_ = AutoTokenizer.from_pretrained(folder / HF_FOLDER)
        self.model_ = None
        self._onnx = None
        engine = os.environ.get(ENGINE_ENV) or self.engine
        if engine not in ENGINES:
            raise ConfigError(f"${ENGINE_ENV}: {engine!r} is not one of {', '.join(ENGINES)}")
        self.use_engine(engine)


def _head_kwargs(model_kwargs: dict) -> dict:
    """Backbone load options that still make sense with a classification head on top."""
    return {k: v for k, v in model_kwargs.items() if k != "add_pooling_layer"}


def _trainable(model) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def _load_torch(folder: Path):
    from transformers import AutoModelForSequenceClassification

    with hft.quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(folder)
    model.eval()
    return model
