"""Text pieces the lexical models share: normalisation, words, character n-grams."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def char_ngrams(text: str, sizes: tuple[int, ...] = (2, 3, 4)) -> list[str]:
    """Character n-grams within word boundaries (padded with spaces), as char_wb does."""
    grams = []
    for word in words(text):
        padded = f" {word} "
        for n in sizes:
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


def ascii_fraction(text: str) -> float:
    return sum(map(str.isascii, text)) / len(text) if text else 1.0
