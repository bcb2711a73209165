"""The params of every family that fine-tunes a Hugging Face model, declared once.

`TrainingArguments` (how the Trainer runs) is a section nested in each fine-tuned family's
config; `HFConfig` adds what such a family reads (backbone, cache, sequence length). A family
sets its own defaults with `training_defaults(...)`, never by listing the fields again.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from shoprel.models.config import FamilyConfig, Section, Seed

SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup", "cosine_with_restarts",
              "polynomial", "inverse_sqrt")
# Params of every fine-tuned family that change how a fit runs, never the weights it learns:
# threads, device, progress, where checkpoints and downloads go and how often a checkpoint is
# written, the scoring batch, a LoRA merged for scoring (FamilyConfig.runtime_params)
SAME_WEIGHTS = frozenset({"checkpoint_dir", "keep_checkpoints", "n_threads", "progress",
                          "inference_batch_size", "save_steps", "cache_dir",
                          "merge_for_inference", "device"})


class TrainingArguments(Section):
    """How a fine-tuning run goes, whatever the family."""

    batch_size: Annotated[int, Field(ge=1)] = 32
    inference_batch_size: Annotated[int, Field(ge=1)] = 64
    learning_rate: Annotated[float, Field(gt=0)] = 5e-5
    lr_scheduler: Literal[SCHEDULERS] = "linear"
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.06
    weight_decay: Annotated[float, Field(ge=0)] = 0.01
    epochs: Annotated[float, Field(gt=0)] = 1.0
    max_steps: Annotated[int, Field(ge=1)] | None = None  # wins over epochs when set
    time_budget_minutes: Annotated[float, Field(gt=0)] | None = None
    class_weight: Literal["balanced"] | None = None
    grad_accumulation: Annotated[int, Field(ge=1)] = 1
    seed: Seed = 42
    save_steps: Annotated[int, Field(ge=1)] = 200
    save_total_limit: ClassVar[int] = 2
    logging_steps: ClassVar[int] = 50
    group_by_length: ClassVar[bool] = True
    checkpoint_dir: str | None = None  # default: the shoprel cache's checkpoints/
    keep_checkpoints: bool = False
    n_threads: Annotated[int, Field(ge=1)] | None = 2
    progress: bool = False
    # "cuda": written for a GPU (hours on a CPU): a fit refuses to start where torch sees none
    device: Literal["auto", "cuda"] = "auto"

    # Params that change how a fit runs or scores, or when it stops, not what each step
    # learns: left out of the checkpoint key (checkpoints.py), so a rerun asked to train longer
    # or on other threads resumes. The same rule for every fine-tuned family.
    RUNTIME: ClassVar[frozenset[str]] = SAME_WEIGHTS | {
        "time_budget_minutes", "max_steps", "epochs", "engine"}


def training_defaults(**changes) -> Field:
    """A family's `training` field: the shared arguments with its own defaults."""
    TrainingArguments(**changes)  # a typo in a family's defaults fails at import
    return Field(default_factory=lambda: TrainingArguments(**changes))


class HFConfig(FamilyConfig):
    runtime_params = SAME_WEIGHTS

    backbone: str = "e5-small"  # built-in name, local folder or Hugging Face id
    cache_dir: str | None = None
    max_length: Annotated[int, Field(ge=8, le=4096)] = 64
    training: TrainingArguments = training_defaults()
