"""The bar translating draws."""

from __future__ import annotations

from tqdm.auto import tqdm

from shoprel.utils.progress import bar_wanted

PROGRESS_MIN = 2000  # texts to translate before a bar is drawn unasked (progress=None)


def translation_bar(count: int, target: str, progress: bool | None,
                    minimum: int = PROGRESS_MIN) -> tqdm:
    """A bar over `count` texts to translate into `target`; disabled when `bar_wanted` says
    so (nothing for an empty stage, nothing under --quiet)."""
    return tqdm(total=count, desc=f"translate→{target}", unit="text",
                disable=not bar_wanted(count, progress, minimum))
