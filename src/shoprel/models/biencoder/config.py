"""The bi-encoder's params: the shared fine-tuning arguments and how much of the encoder moves."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from shoprel.models.hf.config import HFConfig, TrainingArguments, training_defaults


class BiEncoderConfig(HFConfig):
    uses_group_levels: ClassVar[bool] = True  # the early-stopping rows are grouped like folds
    # the frozen layers' states kept on disk for the next train: the same states either way
    runtime_params = HFConfig.runtime_params | {"state_cache"}

    backbone: str = "embeddinggemma-300m"
    max_length: Annotated[int, Field(ge=8, le=4096)] = 128
    # layers trained from the top; the rest stay frozen and run once per text (README: on the
    # real QC rows 4 of EmbeddingGemma's 24 ranked new categories a little better than 2)
    tuned_layers: Annotated[int, Field(ge=1)] = 4
    # "bce": the scaled cosine of the pair predicts the label (as the embed model's learned
    # similarity, whose measurements found it best); "cosent": ranks every positive pair of
    # a batch above every negative one
    loss: Literal["bce", "cosent"] = "bce"
    # learning rate of the cosine's scale and bias (the layers use training.learning_rate)
    head_learning_rate: Annotated[float, Field(gt=0)] = 1e-2
    # early stopping: this share of the training groups is held out and scored every
    # `eval_steps` steps; training stops after `patience` scores without a better ROC-AUC and
    # the best weights are kept (0: no hold-out, train every row for the whole schedule)
    eval_fraction: Annotated[float, Field(ge=0, lt=0.5)] = 0.1
    eval_steps: Annotated[int, Field(ge=1)] = 50
    patience: Annotated[int, Field(ge=1)] = 3
    group_levels: Annotated[int, Field(ge=1, le=10)] = 3  # QC: path levels of a hold-out group
    # keep the frozen layers' states of training texts in the cache's states/ folder, so the
    # next train on the same texts skips them (QC: ~0.4 GB, saves ~7 min on 2 cores)
    state_cache: bool = True
    training: TrainingArguments = training_defaults(learning_rate=3e-5, epochs=1.0, batch_size=32,
                                         warmup_ratio=0.06)
