"""The contract every translation backend meets, so callers never care which one runs."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from shoprel.augment.languages import ISO3_TO_ISO1, TAG_ALIASES
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
    """'en', 'pt-BR', 'it_IT', 'spa': a tag normalize_lang reads as a language; not '', a path."""
    return bool(_TAG.fullmatch(normalize_lang(code)))


def check_target_language(code: str) -> str:
    """A tag to translate into ('en', 'pt-BR'): one ConfigError for anything else (a path, an
    empty string), instead of a file whose every row has "no route"."""
    if not is_language_tag(code):
        raise ConfigError(f"--to: {code!r} is not a language tag (two or three letters, e.g. "
                          "'en', 'pt-BR')")
    return target_tag(code)


def target_tag(code: str | None) -> str:
    """A target as backends are asked it: the base language as normalize_lang reads it, and
    the region or variant after it kept, lower case ('pt-BR', 'por_br' -> 'pt-br'; 'PT' ->
    'pt'). A backend with a regional pair (Apertium's es-pt_BR) translates into it; the
    others, and every comparison with a row's language, read the base."""
    parts = str(code or "").strip().lower().replace("_", "-").split("-")
    return "-".join([normalize_lang(parts[0]), *(part for part in parts[1:] if part)])


def target_region(code: str | None) -> str:
    """The region or variant a target tag asks for ('br' for 'pt-BR'); '' for none."""
    return target_tag(code).partition("-")[2]


def shown_tag(code: str | None) -> str:
    """A target tag as messages write it: 'pt-BR', 'ca-valencia', 'en'."""
    base, _, region = target_tag(code).partition("-")
    return f"{base}-{region.upper() if len(region) == 2 else region}" if region else base


def normalize_lang(code: str | None) -> str:
    """Our language tags are lower-case ISO 639-1 ('es'); 'es-MX', 'ES' and the ISO 639-3
    'spa' (as Apertium names its pairs) mean the same: a row tagged 'spa' found no route.
    The competition's 'vn' is 'vi' (TAG_ALIASES): its Vietnamese rows had no route either."""
    if code is None:
        return ""
    base = str(code).strip().lower().replace("_", "-").split("-")[0]
    base = TAG_ALIASES.get(base, base)
    return ISO3_TO_ISO1.get(base, base)
