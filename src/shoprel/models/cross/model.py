"""The cross-encoder: a pretrained encoder fine-tuned to read (query, target) as one pair.

Any encoder works (the built-in e5-small, a local folder, a Hugging Face id such as
xlm-roberta-base); it gets a two-way classification head and is trained with the shared
fine-tuning parts (models/hf/): time budget, class weighting, checkpoints and resume. The
saved model folder holds an ordinary Hugging Face folder (`hf/`), so sentence-transformers'
`CrossEncoder` and `AutoModelForSequenceClassification` load the same weights; when `shoprel
export --onnx` has added an `onnx/` folder next to it, loading scores with onnxruntime instead
of torch. torch is imported only inside methods.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from shoprel.data.frame import PairFrame
from shoprel.errors import ConfigError, RunDirError
from shoprel.models.cross.config import ENGINES, CrossConfig
from shoprel.models.hf import trainer as hft
from shoprel.models.hf.family import FineTunedModel, PrefixedPairTexts
from shoprel.utils.threads import torch_threads

HF_FOLDER = "hf"
ENGINE_ENV = "SHOPREL_CROSS_ENGINE"  # overrides the saved `engine` param when set


class CrossEncoderModel(PrefixedPairTexts, FineTunedModel):
    family = "cross"
    config_class = CrossConfig
    weights_folder = HF_FOLDER

    # --- fitting -------------------------------------------------------------------------
    def _fit(self, frame: PairFrame, config: CrossConfig) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

        args = config.training
        backbone = self._backbone(config)
        start = self._start_folder(backbone)
        self.fingerprint_ = backbone.fingerprint
        self.query_prefix_, self.passage_prefix_ = backbone.query_prefix, backbone.passage_prefix
        source = str(start / HF_FOLDER if start else backbone.source)
        set_seed(args.seed)  # the new head's initial weights
        from shoprel.models.backbones.resolve import loading
        from shoprel.models.hf.head_loading import load_under_head

        with torch_threads(args.n_threads), hft.quiet_transformers(not args.progress):
            with loading(backbone, source):
                tokenizer = AutoTokenizer.from_pretrained(source)
                loaded = load_under_head(AutoModelForSequenceClassification, source,
                                         num_labels=2, **_head_kwargs(backbone.model_kwargs))
            model = loaded.model
            model.config.id2label, model.config.label2id = {0: "0", 1: "1"}, {"0": 0, "1": 1}
            if config.freeze_word_embeddings:
                model.get_input_embeddings().weight.requires_grad_(False)
            first, second = self.pair_texts(frame)
            y = frame.labels
            dataset = hft.PairDataset(tokenizer, first, second, y, config.max_length)
            result = self._train(config, model, tokenizer, dataset, (first, second, y.tolist()),
                                 backbone, start)
        self.train_stats_ = {**result.__dict__, "rows": len(frame),
                             "trainable_parameters": _trainable(model),
                             # started random: `shoprel train` warns (evaluate/console.py)
                             "missing_encoder_weights": loaded.missing_encoder}
        self.model_, self.tokenizer_ = model, tokenizer
        self.onnx_ = None
        self.engine_ = "torch"

    # --- prediction ----------------------------------------------------------------------
    def _positive(self, frame: PairFrame) -> np.ndarray:
        first, second = self.pair_texts(frame)
        encodings = hft.encode_pairs(self.tokenizer_, first, second, self.max_length)
        if self.onnx_ is not None:
            return hft.score_encoded(encodings, self.tokenizer_, self.inference_batch_size,
                                     self.onnx_.positive)
        with torch_threads(self.n_threads):
            return hft.score_encoded(encodings, self.tokenizer_, self.inference_batch_size,
                                     hft.torch_positive(self.model_))

    def use_engine(self, engine: str) -> CrossEncoderModel:
        """Switch a loaded model between torch and its exported ONNX model.

        auto: ONNX when `shoprel export` made one (its preferred precision), else torch;
        onnx: the exported model, an error when there is none; onnx-fp32 / onnx-int8: that
        file; torch: the Hugging Face weights. Sets `engine_` to what scores: "torch",
        "onnx-fp32" or "onnx-int8".
        """
        from shoprel.models.hf.onnx import OnnxScorer, exported_model

        if engine not in ENGINES:
            raise ConfigError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
        folder = getattr(self, "folder_", None)
        found = None
        if engine != "torch" and folder is not None:
            found = exported_model(folder, folder / HF_FOLDER, engine.removeprefix("onnx-")
                                   if engine.startswith("onnx-") else None,
                                   self.cache_dir)
        if engine.startswith("onnx") and found is None:
            raise RunDirError(f"{folder}: no exported ONNX model{engine.removeprefix('onnx')} "
                              "(run `shoprel export RUN_DIR --onnx [--int8]` first)")
        if found is not None:
            self.onnx_ = OnnxScorer(found.path, n_threads=self.n_threads)
            self.engine_ = f"onnx-{found.precision}"
            return self
        self.onnx_ = None
        if getattr(self, "model_", None) is None:
            self.model_ = _load_torch(folder / HF_FOLDER)
        self.engine_ = "torch"
        return self

    # --- persistence ---------------------------------------------------------------------
    def _state(self) -> dict:
        return {"fingerprint": self.fingerprint_,
                "query_prefix": self.query_prefix_, "passage_prefix": self.passage_prefix_,
                "class_weights": self.class_weights_, "train_stats": self.train_stats_,
                "hf_folder": HF_FOLDER}

    def _save_arrays(self, folder: Path) -> None:
        model = getattr(self, "model_", None)
        if model is None:  # loaded for ONNX scoring only: copy the weights and the export
            import shutil

            from shoprel.models.hf.onnx import ONNX_FOLDER

            for name in (HF_FOLDER, ONNX_FOLDER):
                if (self.folder_ / name).is_dir():
                    shutil.copytree(self.folder_ / name, folder / name, dirs_exist_ok=True)
            return
        with hft.quiet_transformers():
            model.save_pretrained(folder / HF_FOLDER)
            self.tokenizer_.save_pretrained(folder / HF_FOLDER)

    def _restore(self, state: dict, folder: Path) -> None:
        from transformers import AutoTokenizer

        self.fingerprint_ = state["fingerprint"]
        self.query_prefix_ = state.get("query_prefix", "")
        self.passage_prefix_ = state.get("passage_prefix", "")
        self.class_weights_ = state.get("class_weights")
        self.train_stats_ = state.get("train_stats", {})
        self.folder_ = Path(folder)
        self.tokenizer_ = AutoTokenizer.from_pretrained(folder / HF_FOLDER)
        self.model_ = None
        self.onnx_ = None
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
