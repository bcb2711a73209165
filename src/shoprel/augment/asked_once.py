"""Each distinct text sent to a backend once per run: `shoprel translate` streams a file in
chunks, and a QC file repeats each query over many categories, in chunk after chunk."""

from __future__ import annotations

from shoprel.augment.translator import Translator, check_batch, target_tag
from shoprel.data.language_tags import base_language


class AskedOnce:
    """Wraps a Translator for one run (same contract): a text met again, in the same batch or
    a later one, is answered from what the backend said the first time, None (no route) too,
    with or without a cache in front of it.

    The answers are held in memory, one per distinct (source language, text) sent: bounded by
    the file's distinct queries, however many rows repeat them.
    """

    def __init__(self, inner: Translator):
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.answers: dict[tuple[str, str, str], str | None] = {}

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        target = target_tag(target)  # es->pt-BR is not es->pt
        keys = [(base_language(source), target, text)
                for text, source in zip(texts, source_langs, strict=True)]
        new = list(dict.fromkeys(key for key in keys if key not in self.answers))
        if new:
            outputs = self.inner.translate([text for _, _, text in new],
                                           [source for source, _, _ in new], target)
            self.answers.update(zip(new, outputs, strict=True))
        return [self.answers[key] for key in keys]

    @property
    def stored(self) -> int:
        """The translations its backend's cache stored (0 without a cache)."""
        return getattr(self.inner, "stored", 0)

    def close(self) -> None:
        """Closes the backend it wraps where that holds something open (a CachedTranslator's
        SQLite connection); the others have nothing to close."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
