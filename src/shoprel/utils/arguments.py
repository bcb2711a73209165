"""Python arguments read as the command line reads its options: a file or folder, a True/False
flag. Shared by the API and the functions it calls, so a caller of either gets one line naming
the argument instead of a traceback from deep inside."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from shoprel.data.records import python_kind
from shoprel.errors import ConfigError, InputError
from shoprel.utils.scalars import is_boolean


def path_argument(value, name: str) -> Path:
    """A file or folder argument, `~` read as the home folder as the command line reads it,
    or one line saying what was given instead (a DataFrame passed where a file is read is the
    likely slip: Scorer.score takes frames)."""
    if isinstance(value, str | os.PathLike):
        return Path(value).expanduser()
    hint = (" (write it first, e.g. df.to_json(path, orient='records', lines=True), or score "
            "it with shoprel.Scorer(run).score(df))" if isinstance(value, pd.DataFrame | list)
            else "")
    raise InputError(f"{name}: {python_kind(value)} is not a path{hint}")


def flag_argument(value, name: str) -> bool:
    """A True/False argument: overwrite="no" or progress="off" is truthy to Python, so it
    replaced an output its caller meant to keep."""
    if is_boolean(value):
        return bool(value)
    raise ConfigError(f"{name}: expected True or False, got {value!r}")
