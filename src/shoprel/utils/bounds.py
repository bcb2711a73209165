"""One sentence for a number past its bound, or not finite, wherever a setting is checked: a
command's option (cli/options.py), a config field (pydantic's ge/gt/le/lt and its refusal of
.inf/.nan, models/config.py) and the checks written by hand. The same bad value said one way
by `--max-pairs 0` and another by `ServeSettings(max_pairs=0)` read as two different rules."""

from __future__ import annotations

import numbers

from shoprel.utils.scalars import is_boolean, python_scalar, text_for_number

# how each kind of bound is said; pydantic's names for them
BOUND_WORDS = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
# pydantic's error types for a Field(ge=..., gt=..., le=..., lt=...) bound, to the bound's kind
PYDANTIC_BOUND_ERRORS = {"greater_than_equal": "ge", "greater_than": "gt",
                         "less_than_equal": "le", "less_than": "lt"}


def out_of_range(value, shown: str | None = None, *, ge=None, gt=None, le=None,
                 lt=None) -> str | None:
    """'0 is out of range; it must be at least 1', naming the first bound `value` passes, or
    None within them all. `shown`: the value as the user wrote it (an option's text, "-1"
    rather than click's -1.0), else the value itself."""
    for kind, bound, ok in (("ge", ge, lambda: value >= ge), ("gt", gt, lambda: value > gt),
                            ("le", le, lambda: value <= le), ("lt", lt, lambda: value < lt)):
        if bound is not None and not ok():
            return past_bound(value if shown is None else shown, kind, bound)
    return None


def past_bound(shown, kind: str, bound) -> str:
    """The sentence for a value past one bound (`kind`: ge, gt, le or lt). A whole bound is
    said whole: pydantic holds a float field's `ge=0` as 0.0, click the option's as 0."""
    if isinstance(bound, float) and bound.is_integer():
        bound = int(bound)
    return f"{shown} is out of range; it must be {BOUND_WORDS[kind]} {bound}"


def not_finite(value, shown: str | None = None) -> str | None:
    """'inf is not a finite number' ('nan is not a number'), or None for a finite number.
    `shown`: as the user wrote it ("1e400" rather than inf). The options said "'inf' is not a
    finite number.", the config fields "Input should be a finite number", for one value."""
    if value != value:  # nan: no comparison holds
        return f"{value if shown is None else shown} is not a number"
    if value in (float("inf"), float("-inf")):
        return f"{value if shown is None else shown} is not a finite number"
    return None


def not_a_probability(value: float, shown: str | None = None) -> str | None:
    """What is wrong with a probability (not_finite's words, or past 0 or 1 in out_of_range's),
    or None for one in [0, 1]: the one check of a predictions file, a submission, run.json and
    an OOF table."""
    return not_finite(value, shown) or out_of_range(value, shown, ge=0, le=1)


def not_whole(number: float, shown: str) -> str:
    """What is wrong with `number`, written `shown`, where a whole number is asked for: not
    finite (not_finite's words), a fraction ('1.5 is not a whole number'), or a whole one
    written as a float ('2.0 is not written as a whole number; write 2'). An integer option
    said click's "'nan' is not a valid integer." where a number option said "nan is not a
    number" for the same text."""
    if not_finite(number, shown):
        return not_finite(number, shown)
    if number.is_integer():
        return f"{shown} is not written as a whole number; write {int(number)}"
    return f"{shown} is not a whole number"


def not_a_count(value, ge: int | None = 0) -> str | None:
    """What is wrong with `value`, given in Python where a whole number of at least `ge` (None:
    any) is asked for (a count), in the words an integer option and a config's whole-number
    field use, or None for such a number (numpy's too). Hand-written checks said "a whole number >=
    0, got 5.0" or "got True", sentences of their own."""
    value = python_scalar(value)
    if is_boolean(value):
        return f"expected a number, got {value!r}"
    problem = text_for_number(value, python=True)
    if problem:
        return problem
    if isinstance(value, numbers.Integral):
        return out_of_range(value, ge=ge)
    if isinstance(value, numbers.Real):
        return not_whole(float(value), repr(value))
    return f"expected a whole number, got {value!r}"
