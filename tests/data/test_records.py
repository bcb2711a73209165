"""A count a file holds (a saved model's field) is refused in the file's words for what is no
number and an integer option's for a number (data/records.not_a_written_count)."""

import json

import pytest

from shoprel.data.records import not_a_written_count


@pytest.mark.parametrize(("written", "said"), [
    ("3", None),
    ("0", "0 is out of range; it must be at least 1"),
    ("2.5", "2.5 is not a whole number"),
    ("4.0", "4.0 is not written as a whole number; write 4"),
    ("NaN", "NaN is not a number"),
    ("-Infinity", "-Infinity is not a finite number"),
    ("true", "true is not a whole number"),
    ("null", "null is not a whole number"),
    ('"3"', "a text is not a whole number"),
    ("[3]", "a list is not a whole number"),
])
def test_a_saved_count_is_said_as_the_file_wrote_it(written, said):
    assert not_a_written_count(json.loads(written), ge=1) == said
