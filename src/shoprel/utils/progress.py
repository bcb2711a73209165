"""One switch for progress bars drawn deep inside models (e.g. embedding thousands of texts).

Models are built from configs and do not know whether the command was run with `--quiet`;
API functions with a `progress` argument turn them off for everything they call
(`@honours_progress`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from contextvars import ContextVar

_quiet: ContextVar[bool] = ContextVar("shoprel_quiet", default=False)


def bars_allowed() -> bool:
    return not _quiet.get()


def bar_wanted(count: int, progress: bool | None, minimum: int) -> bool:
    """Whether work on `count` items draws a bar: never for none (an empty stage drew an empty
    bar) nor under --quiet; progress=True: for any; None: from `minimum` items on (fewer
    finish before a bar tells anything)."""
    if count <= 0 or progress is False or not bars_allowed():
        return False
    return bool(progress) or count >= minimum


@contextlib.contextmanager
def quiet_while(quiet: bool = True):
    token = _quiet.set(quiet or _quiet.get())
    try:
        yield
    finally:
        _quiet.reset(token)


def honours_progress(func):
    """Run `func` with every nested bar off when it is called with progress=False."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        with quiet_while(not bound.arguments.get("progress", True)):
            return func(*args, **kwargs)

    return wrapper
