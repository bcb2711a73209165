"""The contract every translation backend meets, so callers never care which one runs."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from shoprel.data.language_tags import base_language, canonical_tag
from shoprel.errors import ConfigError, ShoprelError


@runtime_checkable
class Translator(Protocol):
    """Translate a batch; None for a text whose language has no route to the target.

    `name` and `model` identify the output for the cache: two backends (or two models of one
    backend) must never share cached translations.
    """

    name: str
    model: str

    def translate(
        self, texts: list[str], source_langs: list[str], target: str
    ) -> list[str | None]: ...


class TranslationError(ShoprelError, RuntimeError):
    """A backend that cannot run at all (binary or model missing), as opposed to a missing route."""


def check_batch(texts: list[str], source_langs: list[str]) -> None:
    if len(texts) != len(source_langs):
        raise ValueError(f"{len(texts)} texts but {len(source_langs)} source languages")


_TAG = re.compile(r"[a-z]{2,3}")


def is_language_tag(code: str) -> bool:
    """'en', 'pt-BR', 'it_IT', 'spa': a tag base_language reads as a language; not '', a path."""
    return bool(_TAG.fullmatch(base_language(code)))


def check_target_language(code: str) -> str:
    """A tag to translate into ('en', 'pt-BR'): one ConfigError for anything else (a path, an
    empty string), instead of a file whose every row has "no route"."""
    if not is_language_tag(code):
        raise ConfigError(f"--to: {code!r} is not a language tag (two or three letters, e.g. "
                          "'en', 'pt-BR')")
    return target_tag(code)


def target_tag(code: str | None) -> str:
    """A target as backends are asked it: the tag as every command reads it (canonical_tag),
    lower case ('pt-BR', 'por_br' -> 'pt-br'; 'PT' -> 'pt'). A backend with a regional pair
    (Apertium's es-pt_BR) translates into it; the others, and every comparison with a row's
    language, read the base."""
    return canonical_tag(code).lower()


def target_region(code: str | None) -> str:
    """The region or variant a target tag asks for ('br' for 'pt-BR'); '' for none."""
    return target_tag(code).partition("-")[2]

