"""Python arguments read as the command line reads its options: a file or folder, a True/False
flag. Shared by the API and the functions it calls, so a caller of either gets one line naming
the argument instead of a traceback from deep inside."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from shoprel.data.records import python_kind
from shoprel.errors import ConfigError, InputError
from shoprel.utils.path_limits import expanded_usable
from shoprel.utils.scalars import is_boolean

# what to do with a DataFrame (or a list of pairs) given where a file is read (`frame_hint`):
# pairs to train on or to evaluate are written first; pairs to score can be scored as they are.
# One hint for every argument told train, evaluate_file and even an output to score the frame
# with Scorer, which trains, evaluates and writes nothing
WRITE_IT_FIRST = "write it first, e.g. df.to_json(path, orient='records', lines=True)"
OR_SCORE_IT = f"{WRITE_IT_FIRST}, or score it with shoprel.Scorer(run).score(df)"


def path_argument(value, name: str, frame_hint: str = "") -> Path:
    """A file or folder argument, `~` read as the home folder as the command line reads it,
    or one line saying what was given instead, with `frame_hint` when it is a DataFrame or a
    list (pairs in memory passed where a file is read is the likely slip). A path no file can
    be at (path_limits.unusable_path: a `~name` of no user known here, a NUL
    character, a name too long, a link that leads back to itself) is refused here,
    naming the argument."""
    if isinstance(value, str | os.PathLike):
        return Path(expanded_usable(value, name))
    hint = f" ({frame_hint})" if frame_hint and isinstance(value, pd.DataFrame | list) else ""
    raise InputError(f"{name}: {python_kind(value)} is not a path{hint}")


def flag_argument(value, name: str) -> bool:
    """A True/False argument: overwrite="no" or progress="off" is truthy to Python, so it
    replaced an output its caller meant to keep."""
    if is_boolean(value):
        return bool(value)
    raise ConfigError(f"{name}: expected True or False, got {value!r}")
