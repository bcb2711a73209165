"""Python's and numpy's scalars read alike. numpy's True is no `bool` to isinstance, so a check
for Python's True/False let it through where a number is read (pydantic's lax mode and float()
read it as 1); a value taken from an array or a DataFrame cell is numpy's."""

from __future__ import annotations

import numpy as np


def is_boolean(value) -> bool:
    """True or False, Python's or numpy's: never a number's value, though both read as 1 or 0
    (a bool is an int to Python), nor a text's."""
    return isinstance(value, bool | np.bool_)


def python_scalar(value):
    """A numpy scalar as the Python value it holds (np.True_ as True, np.int64(7) as 7), so it is
    checked and said as Python's; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value
