"""A scored file's probability as evaluate and check-submission read it (data/probability)."""

import pytest

from shoprel.data.probability import probability_problem


@pytest.mark.parametrize(("value", "typed", "said"), [
    ("0,75", False, "'0,75' is not a number (a decimal comma: write 0.75)"),
    (" 1,0 ", False, "' 1,0 ' is not a number (a decimal comma: write 1.0)"),
    ("0,7,5", False, "'0,7,5' is not a number"),
    ("0,75", True, "'0,75' is not a number"),  # a JSON text is no number, comma or not
    ("0.75", False, None),
])
def test_a_decimal_comma_is_named(value, typed, said):
    """A European spreadsheet's TSV writes 0.75 as 0,75: 'is not a number' alone left the user
    looking at a number."""
    assert probability_problem(value, typed) == said
