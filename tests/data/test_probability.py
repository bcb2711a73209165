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


@pytest.mark.parametrize(("value", "said"), [
    ("٠.٥", "'٠.٥' is not a number (digits 0-9 only, no '_': write 0.5)"),  # Arabic-Indic
    ("０.２５", "'０.２５' is not a number (digits 0-9 only, no '_': write 0.25)"),  # fullwidth
    ("0.2_5", "'0.2_5' is not a number (digits 0-9 only, no '_': write 0.25)"),
    ("٠,٥", "'٠,٥' is not a number"),  # not told to write ٠.٥ for its decimal comma
    (" 0.25 ", None),  # spaces around a number: pandas reads it as the number too
    ("2.5e-1", None),
])
def test_a_csv_cell_is_a_number_only_in_ascii_digits(value, said):
    """float() reads '٠.٥', '０.２５' and '0.2_5' as numbers, so check-submission passed a CSV
    whose probability column a grader's reader (pandas) takes for text."""
    assert probability_problem(value, False) == said
