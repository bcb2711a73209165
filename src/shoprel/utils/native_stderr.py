"""Native libraries that write to the process's stderr themselves, past Python's logging."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stderr_silenced(active: bool = True) -> Iterator[None]:
    """File descriptor 2 points at nothing meanwhile (Ray's C++ core, LightGBM's `[Fatal]`
    line before it raises). shoprel's own errors are raised, and printed once it is given
    back."""
    if not active:
        yield
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
