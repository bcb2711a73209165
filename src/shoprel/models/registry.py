"""Model families by name, imported only when asked for.

Families register here as "module:Class" strings, so looking one up loads that family alone
(the fine-tuned ones pull in torch) and `base` needs to import none of them.
"""

from __future__ import annotations

from importlib import import_module

from shoprel.errors import ConfigError

# a family is "module:Class" (imported on first use) or the class itself (a plug-in or test
# family registered at run time with `register`)
FAMILIES: dict[str, str | type] = {
    "fast": "shoprel.models.fast.model:FastModel",
    "embed": "shoprel.models.embed.model:EmbedModel",
    "cross": "shoprel.models.cross.model:CrossEncoderModel",
    "llm": "shoprel.models.llm.model:LLMClassifier",
    "biencoder": "shoprel.models.biencoder.model:BiEncoderModel",
}


def families() -> list[str]:
    return sorted(FAMILIES)


def register(family: str, target: str | type) -> None:
    """Add a family: a "module:Class" path or a RelevanceModel subclass."""
    FAMILIES[family] = target


def model_class(family: str):
    """The class registered under `family`."""
    try:
        target = FAMILIES[family]
    except KeyError:
        raise ConfigError(f"model.family: unknown model family {family!r}; known: "
                          f"{', '.join(families())}") from None
    if not isinstance(target, str):
        return target
    module, name = target.split(":")
    return getattr(import_module(module), name)
