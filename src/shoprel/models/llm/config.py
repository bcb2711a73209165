"""The LLM classifier's params: the shared fine-tuning ones, its prompt, LoRA and precision."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from shoprel.models.hf.config import HFConfig, TrainingArguments, training_defaults
from shoprel.models.llm.prompt import DEFAULT_TEMPLATE, check_template

LINEAR_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                      "down_proj")


class LLMConfig(HFConfig):
    # recomputed activations: less memory, the same gradients
    runtime_params = HFConfig.runtime_params | {"gradient_checkpointing"}

    backbone: str = "gemma3-270m"
    max_length: Annotated[int, Field(ge=8, le=32768)] = 128
    template: str = DEFAULT_TEMPLATE
    lora_r: Annotated[int, Field(ge=1)] = 16
    lora_alpha: Annotated[float, Field(gt=0)] = 32.0
    lora_dropout: Annotated[float, Field(ge=0, lt=1)] = 0.01
    target_modules: tuple[str, ...] = LINEAR_PROJECTIONS
    dtype: Literal["fp32", "bf16", "fp16"] = "fp32"
    load_in_4bit: bool = False
    gradient_checkpointing: bool = False
    merge_for_inference: bool = False
    # a stratified slice of the training rows scored every eval_steps; the best adapter stays
    eval_fraction: Annotated[float, Field(ge=0, lt=0.5)] = 0.0
    eval_steps: Annotated[int, Field(ge=1)] = 500
    training: TrainingArguments = training_defaults(
        batch_size=8, inference_batch_size=32, learning_rate=1e-4, warmup_ratio=0.01,
        weight_decay=0.0, n_threads=None)

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        check_template(value)
        return value
