"""Float16 arrays a fitted block keeps small on disk and in memory, computed on as float32.

Converting on every call cost a server more than the search itself (it scores a few rows at a
time), so the copy is made once per fitted array and kept beside it; refitting or loading new
arrays makes a new copy, because the cache remembers which arrays it was made from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def float32_copies(owner: object, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """`arrays` as float32, converted on the first call for these very arrays."""
    return once_per_arrays(owner, "_float32_copies", arrays,
                           lambda *a: tuple(np.asarray(x, dtype=np.float32) for x in a))


def once_per_arrays(owner: object, slot: str, arrays: tuple[np.ndarray, ...],
                    make: Callable[..., Any]) -> Any:
    """make(*arrays), kept in owner's `slot` and made again only for other arrays."""
    cached = owner.__dict__.get(slot)
    if cached is None or len(cached[0]) != len(arrays) or any(
            a is not b for a, b in zip(cached[0], arrays, strict=True)):
        cached = (arrays, make(*arrays))
        owner.__dict__[slot] = cached
    return cached[1]
