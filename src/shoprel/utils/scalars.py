"""Python's and numpy's scalars read alike, and each kind as itself. numpy's True is no `bool`
to isinstance, so a check for Python's True/False let it through where a number is read
(pydantic's lax mode and float() read it as 1); a value taken from an array or a DataFrame
cell is numpy's. Text is no number either, though pydantic's lax mode read "400" as 400."""

from __future__ import annotations

import json
import math
import unicodedata

import numpy as np


def is_boolean(value) -> bool:
    """True or False, Python's or numpy's: never a number's value, though both read as 1 or 0
    (a bool is an int to Python), nor a text's."""
    return isinstance(value, bool | np.bool_)


def recorded_number(value) -> float:
    """A value a file records as a number (metrics.json's), as a float; NaN where it is null,
    missing, true/false or no number (a hand-edited text), for the reader to leave out."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def python_scalar(value):
    """A numpy scalar as the Python value it holds (np.True_ as True, np.int64(7) as 7), so it is
    checked and said as Python's; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def text_for_number(value, python: bool = False) -> str | None:
    """What is wrong with text given where a number is wanted, or None for a value that is no
    text. pydantic's lax mode read `n_estimators: "400"` as 400, silently: quoting makes a
    YAML value text, and a config's number is written as one. `python`: the value was written
    in Python, so it is shown as Python quotes it."""
    value = python_scalar(value)
    if not isinstance(value, str):
        return None
    shown = repr(value) if python else json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = f"{shown[:56]}...{shown[-1]}"
    # float() reads any script's digits ("１２", "١٢"), which a config or Python does not: the
    # number to write is its ASCII form
    written = "".join(str(unicodedata.decimal(char, char)) for char in value.strip())
    try:
        finite = math.isfinite(float(written))
    except ValueError:
        finite = False
    if not finite:
        return f"expected a number, got text {shown}"
    return f"{shown} is text; write a number: {written}"
