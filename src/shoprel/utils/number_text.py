"""A number written as text, read only in the form people and CSV readers write: ASCII digits
0-9, a sign, a decimal point, an exponent, nan or inf. Python's float() and int() also read
"٠.٥", "０.５" and "1_0", which a grader's reader takes for text (a scored file's probability,
data/probability.py) and which a user who typed them into an option (`--folds 1_0`, a copy from
a full-width source) did not mean (cli/options.py)."""

from __future__ import annotations

import re

# spaces or tabs around it: pandas, and float() for an option, read the number inside
PLAIN_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*"
                          r"|[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*", re.IGNORECASE)


def is_plain_number(text: str) -> bool:
    """Whether `text` is a number in the form PLAIN_NUMBER reads."""
    return PLAIN_NUMBER.fullmatch(text) is not None


def plain_form(text: str, whole: bool = False) -> str | None:
    """'10' for '1_0' or '１０', '0.5' for '٠.٥' or '0.5_0': how to write a number that float()
    or int() reads and no plain reader does; None for text that is no number even to Python.
    `whole`: the form a whole-number option takes ('1' for '１.０'), None for a number that is
    no whole one ('１.５'): "write 1.5" was hinted where 1.5 is then refused as not whole."""
    try:
        return str(int(text))
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    if whole:
        return str(int(number)) if number.is_integer() else None
    return repr(number)


def unplain_hint(text: str, whole: bool = False) -> str | None:
    """'digits 0-9 only, no '_': write 10', said after the refusal of `text` that Python reads
    as a number but is no plain one; None for a plain number, or text no reader takes (with
    `whole`, also for a number that is no whole one: plain_form)."""
    if is_plain_number(text):
        return None
    plain = plain_form(text, whole)
    return None if plain is None else f"digits 0-9 only, no '_': write {plain}"
