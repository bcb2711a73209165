"""The bar translating draws: one look whether a cache stands in front of the backend or not,
and one bar over a whole file translated chunk by chunk (FileBar)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from shoprel.augment.translator import Translator, check_batch
from shoprel.data.language_tags import base_language, canonical_tag
from shoprel.utils.progress import bar_wanted, progress_bar

PROGRESS_MIN = 2000  # texts to translate before a bar is drawn unasked (progress=None)
BATCH_SIZE = 256  # texts per backend call under a bar
# A seq2seq model on CPU translates a few texts a second: 1,500 texts took minutes with no bar,
# and a batch of 256 moved the bar once in a minute or more
SLOW_BACKENDS = {"hf": {"progress_min": 32, "batch_size": 32}}
# the bar of the file being translated, when translation_bar should move it (FileBar.shared)
_file_bar: ContextVar[FileBar | None] = ContextVar("shoprel_file_bar", default=None)


def translation_bar(count: int, target: str, progress: bool | None,
                    minimum: int = PROGRESS_MIN):
    """A bar over `count` texts to translate into `target`, named by the tag as asked
    (bar_name); disabled when `bar_wanted` says so (nothing for an empty stage, nothing under
    --quiet). Inside FileBar.shared, the file's one bar moves instead."""
    whole = _file_bar.get()
    if whole is not None:
        return whole.part(count)
    return progress_bar(total=count, desc=bar_name(target), unit="text",
                        disable=not bar_wanted(count, progress, minimum))


def bar_name(target: str) -> str:
    """`translate→pt-BR` for --to pt-BR (or pt_br, as backends are asked it): the target as
    the user asked for it, where the bar named its base language alone (`translate→pt`)."""
    return f"translate→{canonical_tag(target)}"


class FileBar:
    """One `translate→` bar over all the rows of a file translated chunk by chunk
    (translate_file_with): the bar a translator draws for each chunk's texts moves this one instead
    of starting again per chunk, and the chunk's rows it did not send (cached, passed through,
    empty) are counted when the chunk is done. It shows once the backend is first asked: a
    file all cached, or all in the target language, draws none. `progress` and `minimum` as
    translation_bar reads them, over the file's rows."""

    def __init__(self, rows: int, target: str, progress: bool | None,
                 minimum: int = PROGRESS_MIN):
        self.rows = rows
        self.target = target
        self.wanted = bar_wanted(rows, progress, minimum)
        self.done = 0
        self.bar = None  # made when the backend is first asked

    @contextlib.contextmanager
    def shared(self) -> Iterator[FileBar]:
        """The translation bars drawn inside the block move this one."""
        token = _file_bar.set(self)
        try:
            yield self
        finally:
            _file_bar.reset(token)
            if self.bar is not None:
                self.bar.close()

    def part(self, count: int):
        """What translation_bar gives a translator inside `shared`: a view moving this bar, or
        a disabled bar when none is wanted or there is nothing to send."""
        if not self.wanted or count <= 0:
            return progress_bar(total=0, disable=True)
        if self.bar is None:
            self.bar = progress_bar(total=self.rows, initial=self.done,
                                    desc=bar_name(self.target), unit="text")
        return _BarPart(self)

    def update(self, rows: int) -> None:
        self.done += rows
        if self.bar is not None:
            self.bar.update(rows)

    def chunk_done(self, started_at: int, rows: int) -> None:
        """Count the rest of a chunk of `rows` begun when `done` was `started_at`."""
        self.update(started_at + rows - self.done)


class _BarPart:
    """A translator's bar inside FileBar.shared: moves the file's bar, and closes nothing."""

    disable = False

    def __init__(self, whole: FileBar):
        self.whole = whole

    def update(self, n: int = 1) -> None:
        self.whole.update(n)

    def close(self) -> None:
        pass

    def __enter__(self) -> _BarPart:
        return self

    def __exit__(self, *exc) -> None:
        pass



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
        bar = translation_bar(len(texts), target, self.progress, self.progress_min)
        if bar.disable:  # no bar: one call, as the backend alone would be asked
            bar.close()
            return self.inner.translate(texts, source_langs, target)
        # one language after another, so that a batch mostly takes one route (one Apertium
        # process, one hf language group) as the unbatched call did
        order = sorted(range(len(texts)), key=lambda i: base_language(source_langs[i]))
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
