"""The bar translating draws: one look whether a cache stands in front of the backend or not."""

from __future__ import annotations

from tqdm.auto import tqdm

from shoprel.augment.translator import Translator, check_batch, normalize_lang
from shoprel.utils.progress import bar_wanted

PROGRESS_MIN = 2000  # texts to translate before a bar is drawn unasked (progress=None)
BATCH_SIZE = 256  # texts per backend call under a bar
# A seq2seq model on CPU translates a few texts a second: 1,500 texts took minutes with no bar,
# and a batch of 256 moved the bar once in a minute or more
SLOW_BACKENDS = {"hf": {"progress_min": 32, "batch_size": 32}}


def translation_bar(count: int, target: str, progress: bool | None,
                    minimum: int = PROGRESS_MIN) -> tqdm:
    """A bar over `count` texts to translate into `target`; disabled when `bar_wanted` says
    so (nothing for an empty stage, nothing under --quiet)."""
    return tqdm(total=count, desc=f"translate→{target}", unit="text",
                disable=not bar_wanted(count, progress, minimum))


class ProgressTranslator:
    """A backend with no cache in front, fed in batches under the bar a cache draws for its
    misses: without --cache, `translate` showed nothing however many rows it worked on."""

    def __init__(self, inner: Translator, progress: bool | None = None,
                 batch_size: int = BATCH_SIZE, progress_min: int = PROGRESS_MIN):
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.progress = progress
        self.batch_size = batch_size
        self.progress_min = progress_min

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        bar = translation_bar(len(texts), normalize_lang(target), self.progress,
                              self.progress_min)
        if bar.disable:  # no bar: one call, as the backend alone would be asked
            bar.close()
            return self.inner.translate(texts, source_langs, target)
        # one language after another, so that a batch mostly takes one route (one Apertium
        # process, one hf language group) as the unbatched call did
        order = sorted(range(len(texts)), key=lambda i: normalize_lang(source_langs[i]))
        results: list[str | None] = [None] * len(texts)
        with bar:
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                outputs = self.inner.translate([texts[i] for i in batch],
                                               [source_langs[i] for i in batch], target)
                for i, out in zip(batch, outputs, strict=True):
                    results[i] = out
                bar.update(len(batch))
        return results

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
