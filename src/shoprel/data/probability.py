"""The one reading of a scored file's probability, which `check-submission` and `evaluate`
share: the file passed by one was refused by the other ("0.5" in JSON lines)."""

from __future__ import annotations

from shoprel.data.records import shown_value
from shoprel.utils.bounds import not_a_probability
from shoprel.utils.number_text import is_plain_number, unplain_hint
from shoprel.utils.scalars import is_boolean


def probability_problem(value, typed: bool) -> str | None:
    """Why a probability is no probability to a grader, or None, in the one sentence of every
    bound (utils/bounds.py: '2.50 is out of range; it must be at most 1', 'NaN is not a
    number'): no number, or one past [0, 1]. `typed`: the file keeps numbers and texts apart
    (JSON lines, Parquet; formats.typed_format), where text or a boolean ("0.5", true) is no
    number ("'0.5' is not a number"), as a prediction's "1" is refused there; a CSV or TSV
    cell is text, read as the number it writes, in the digits 0-9 as a grader's CSV reader reads
    it (utils/number_text.py): "٠.٥", "０.５" or "0.2_5" passed check-submission, float() reading
    them, where the grader's reader took them for text."""
    try:
        if typed and (isinstance(value, str) or is_boolean(value)):
            raise TypeError
        if isinstance(value, str) and not is_plain_number(value):
            raise ValueError
        probability = float(value)
    except (TypeError, ValueError):  # 'abc', null, a list: no number
        problem = not_a_probability(float("nan"), shown_value(value))
        if not typed and isinstance(value, str) and _decimal_comma(value):
            return f"{problem} (a decimal comma: write {value.strip().replace(',', '.')})"
        if not typed and isinstance(value, str) and (hint := unplain_hint(value)):
            return f"{problem} ({hint})"
        return problem
    # a CSV cell read as a number is shown as the file wrote it, not quoted as a text
    shown = value if isinstance(value, str) else shown_value(value)
    return not_a_probability(probability, shown)


def _decimal_comma(text: str) -> bool:
    """'0,75' as a European spreadsheet writes 0.75."""
    return text.count(",") == 1 and is_plain_number(text.replace(",", "."))
