"""Encode many texts a chunk at a time, so a progress bar moves and memory stays bounded."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm


def encode_in_chunks(texts: Sequence[str], dim: int, chunk: int,
                     encode_part: Callable[[list[str]], np.ndarray], desc: str,
                     show_progress: bool) -> np.ndarray:
    """(n, dim) float32 from `encode_part` called on consecutive chunks of `texts`."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    with tqdm(total=len(texts), unit="text", desc=desc, disable=not show_progress) as bar:
        for start in range(0, len(texts), chunk):
            part = [str(t) for t in texts[start:start + chunk]]
            out[start:start + len(part)] = encode_part(part)
            bar.update(len(part))
    return out
