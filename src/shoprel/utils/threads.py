"""Torch thread count for a block of work, given back afterwards."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Use n torch threads inside the block (None or 0: leave as is), then restore the
    caller's setting: models loaded side by side must not change each other's threading."""
    import torch

    if not n:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
