"""The one reading of a scored file's probability, which `check-submission` and `evaluate`
share: the file passed by one was refused by the other ("0.5" in JSON lines)."""

from __future__ import annotations

import re

from shoprel.data.records import shown_value
from shoprel.utils.bounds import not_a_probability
from shoprel.utils.scalars import is_boolean

# a number as a CSV writer spells it (ASCII digits, spaces around it; nan and inf said by their
# bound): Python's float() also reads "٠.٥", "０.５" and "0.2_5", which a grader's reader (pandas,
# a spreadsheet) takes for text, so check-submission passed a column the grader could not score
_CSV_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*"
                         r"|[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*", re.IGNORECASE)


def probability_problem(value, typed: bool) -> str | None:
    """Why a probability is no probability to a grader, or None, in the one sentence of every
    bound (utils/bounds.py: '2.50 is out of range; it must be at most 1', 'NaN is not a
    number'): no number, or one past [0, 1]. `typed`: the file keeps numbers and texts apart
    (JSON lines, Parquet; formats.typed_format), where text or a boolean ("0.5", true) is no
    number ("'0.5' is not a number"), as a prediction's "1" is refused there; a CSV or TSV
    cell is text, read as the number it writes."""
    try:
        if typed and (isinstance(value, str) or is_boolean(value)):
            raise TypeError
        if isinstance(value, str) and not _CSV_NUMBER.fullmatch(value):
            raise ValueError
        probability = float(value)
    except (TypeError, ValueError):  # 'abc', null, a list: no number
        problem = not_a_probability(float("nan"), shown_value(value))
        if not typed and isinstance(value, str) and _decimal_comma(value):
            return f"{problem} (a decimal comma: write {value.strip().replace(',', '.')})"
        if not typed and isinstance(value, str) and (plain := _plain_number(value)):
            return f"{problem} (digits 0-9 only, no '_': write {plain})"
        return problem
    # a CSV cell read as a number is shown as the file wrote it, not quoted as a text
    shown = value if isinstance(value, str) else shown_value(value)
    return not_a_probability(probability, shown)


def _plain_number(text: str) -> str | None:
    """'0.5' for '٠.٥', '０.５' or '0.5_0', text float() reads as a number that no CSV reader
    does; None for text that is no number even to float()."""
    try:
        number = float(text)
    except ValueError:
        return None
    return repr(number)


def _decimal_comma(text: str) -> bool:
    """'0,75' as a European spreadsheet writes 0.75."""
    return text.count(",") == 1 and _CSV_NUMBER.fullmatch(text.replace(",", ".")) is not None
