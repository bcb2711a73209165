"""The one line a shoprel error gives for why a library raised."""

from __future__ import annotations

from shoprel.errors import one_line_reason


def test_a_library_s_many_line_message_becomes_one_line_naming_its_type():
    reason = one_line_reason(OSError("Can't load tokenizer.\n\n  Make sure that:\n  - it exists"))
    assert reason == "OSError: Can't load tokenizer. Make sure that: - it exists"


def test_a_long_message_is_cut_and_an_empty_one_is_the_type_alone():
    assert one_line_reason(ValueError("xy\n" * 400)) == "ValueError: " + ("xy " * 100)
    assert one_line_reason(KeyError()) == "KeyError"
    assert one_line_reason(RuntimeError("   \n")) == "RuntimeError"
