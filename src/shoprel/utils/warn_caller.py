"""Warnings that point at the caller's line, not at the shoprel file that raised them.

A fixed `stacklevel` points at whichever shoprel function called the warning's function
(Scorer.score reached it through runs.py, so Python users were shown shoprel/runs.py); the
first frame outside the package is the line a user can change. (`skip_file_prefixes` does
this from Python 3.12; the project supports 3.11.)
"""

from __future__ import annotations

import inspect
import os
import warnings

_PACKAGE = os.path.dirname(os.path.dirname(__file__)) + os.sep  # .../shoprel/


def warn_caller(message: str, category: type[Warning]) -> None:
    """warnings.warn at the first frame outside shoprel (the outermost shoprel frame where
    every frame is shoprel's)."""
    warnings.warn(message, category, stacklevel=caller_stacklevel())


def caller_stacklevel() -> int:
    """The `stacklevel` for warn_caller's warnings.warn: 1 is warn_caller's own line."""
    frame, level = inspect.currentframe().f_back, 1  # warn_caller's frame
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        if frame.f_back is None:  # only shoprel frames: the outermost of them
            return level
        frame, level = frame.f_back, level + 1
    return level
