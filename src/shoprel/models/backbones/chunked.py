"""Encode many texts a chunk at a time, so a progress bar moves and memory stays bounded."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from shoprel.utils.progress import bar_delay, progress_bar
from shoprel.utils.threads import in_row_parts, part_rows_for


def encode_in_chunks(texts: Sequence[str], dim: int, chunk: int,
                     encode_part: Callable[[list[str]], np.ndarray], desc: str,
                     show_progress: bool, workers: int = 1) -> np.ndarray:
    """(n, dim) float32 from `encode_part` called on consecutive chunks of `texts` (at most
    `chunk` texts each); with `workers` > 1, that many chunks side by side in threads, each on
    one BLAS thread (utils/threads.in_row_parts: encode_part must be safe to call
    concurrently)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)

    def encoded(start: int, stop: int) -> np.ndarray:
        return encode_part([str(t) for t in texts[start:stop]])

    with progress_bar(total=len(texts), unit="text", desc=desc, disable=not show_progress,
                      delay=bar_delay()) as bar:
        for start, stop, vectors in in_row_parts(encoded, len(texts),
                                                 part_rows_for(len(texts), workers, chunk),
                                                 workers):
            out[start:stop] = vectors
            bar.update(stop - start)
    return out
