"""What every fine-tuned family (cross, llm) does alike, so each of them is only its model.

Resolving the backbone, starting from a saved model of the family (stage 0), and one training
run through the shared Trainer wiring with the shared checkpoint rule (checkpoints.py): class
weights, the fit's folder, resume, clean-up. A changed backbone is refused the same way in
every family (`Backbone.check_trained`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel, read_model_config
from shoprel.models.hf import trainer as hft
from shoprel.models.hf.checkpoints import checkpoint_folder, remove_checkpoints
from shoprel.models.hf.config import HFConfig, TrainingArguments


class PrefixedPairTexts:
    """The pair's two sides as an encoder family reads them (the cross- and bi-encoder): each
    with the backbone's prefix, set on the model when fitted or loaded."""

    def pair_texts(self, frame) -> tuple[list[str], list[str]]:
        """(query side, target side) with the backbone's prefixes: for the cross-encoder also
        what to give sentence-transformers' CrossEncoder (or the exported ONNX model) to get
        its scores from its saved folder."""
        return ([self.query_prefix_ + str(q) for q in self.queries(frame)],
                [self.passage_prefix_ + str(t) for t in frame.df["target"]])


class FineTunedModel(RelevanceModel):
    config_class: ClassVar[type[HFConfig]] = HFConfig
    weights_folder: ClassVar[str] = ""  # where a saved model keeps its trained weights
    # whether a saved model scores through its backbone (an LLM loads its adapter onto it) or
    # from the weights it saved alone (a cross-encoder): what a run that only scores asks
    scores_through_backbone: ClassVar[bool] = False

    def fit(self, frame) -> FineTunedModel:
        hft.require_device(self.config().training)  # before the backbone loads
        return super().fit(frame)

    def _backbone(self, config: HFConfig):
        from shoprel.models.backbones import resolve_backbone

        return resolve_backbone(config.backbone, config.cache_dir,
                                show_progress=config.training.progress)

    @classmethod
    def check_saved_backbone(cls, folder: str | Path) -> None:
        """Refuse the backbone of the saved model in `folder` whose weights are not those it was
        fitted on, told from its model.json without loading it (a real cross-encoder or LLM
        takes seconds to): what a refit of its run (distill --nested) asks first, as that fits
        from the backbone, not from the saved weights. Said as `Backbone.check_trained` says
        it; a model saved without a fingerprint passes."""
        from shoprel.models.backbones import resolve_backbone

        saved = read_model_config(folder)
        trained = (saved.get("state") or {}).get("fingerprint")
        if trained is None:
            return
        config = cls.config_class.from_params(saved.get("params"), saved=True)
        resolve_backbone(config.backbone, config.cache_dir,
                         show_progress=False).check_trained(trained)

    # --- stage 0 ---------------------------------------------------------------------------
    def start_from(self, folder: str | Path) -> FineTunedModel:
        """Begin the next fit from a saved model of this family (e.g. trained on the other task:
        "stage 0") instead of the bare backbone; fit refuses it on other backbone weights."""
        folder = Path(folder)
        try:
            config = read_model_config(folder)
        except RunDirError:
            config = {}
        if config.get("family") != self.family or not (folder / self.weights_folder).is_dir():
            raise RunDirError(f"{folder}: not a saved {self.family!r} model folder")
        self._start = (folder, config["state"]["fingerprint"])
        return self

    def _start_folder(self, backbone) -> Path | None:
        """The stage-0 model folder this fit starts from, checked against the backbone."""
        start = getattr(self, "_start", None)
        if start is None:
            return None
        folder, fingerprint = start
        backbone.check_trained(fingerprint, f"the start-from model {folder} was trained on")
        return folder

    # --- one training run ------------------------------------------------------------------
    def _train(self, config: HFConfig, model, tokenizer, dataset, rows: tuple, backbone,
               start: Path | None, callbacks: list | None = None) -> hft.FitResult:
        """Fine-tune `model` in place on `dataset`, resuming this fit's checkpoints if a run of
        the same fit left some. `rows`: (query sides, target sides, labels) as the model reads
        them, for the checkpoint key."""
        args = config.training
        labels = rows[2]
        weights = (hft.balanced_class_weights(labels) if args.class_weight == "balanced"
                   else None)
        self.class_weights_ = None if weights is None else [float(w) for w in weights]
        folder = checkpoint_folder(self.family, self.get_params(), TrainingArguments.RUNTIME,
                                   backbone.fingerprint, None if start is None else str(start),
                                   *rows, root=self._checkpoint_root(config))
        result = hft.run_trainer(model, tokenizer, dataset, args, folder,
                                 class_weights=self.class_weights_, callbacks=callbacks)
        if not args.keep_checkpoints:
            remove_checkpoints(folder)
        return result

    @staticmethod
    def _checkpoint_root(config: HFConfig) -> Path:
        from shoprel.models.backbones.cache import cache_folder

        if config.training.checkpoint_dir:
            return Path(config.training.checkpoint_dir).expanduser()
        return cache_folder("checkpoints", config.cache_dir)
