"""Model families by name, imported only when asked for.

Families register here as "module:Class" strings, so looking one up loads that family alone
(the fine-tuned ones pull in torch) and `base` needs to import none of them.
"""

from __future__ import annotations

from importlib import import_module

from shoprel.errors import ConfigError

FAMILIES: dict[str, str] = {
    "fast": "shoprel.models.fast:FastModel",
    "embed": "shoprel.models.embed.model:EmbedModel",
    "cross": "shoprel.models.cross_encoder:CrossEncoderModel",
    "llm": "shoprel.models.llm:LLMClassifier",
}


def families() -> list[str]:
    return sorted(FAMILIES)


def model_class(family: str):
    """The class registered under `family`."""
    try:
        module, name = FAMILIES[family].split(":")
    except KeyError:
        raise ConfigError(f"model.family: unknown model family {family!r}; known: "
                          f"{', '.join(families())}") from None
    return getattr(import_module(module), name)
