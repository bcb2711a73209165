from shoprel.utils.keyed_message import keyed_parts, named_in, under


def test_a_message_of_several_keys_splits_into_its_keys_and_goes_under_a_section():
    said = "model.params.a: -1 is out of range; model.params.nope: unknown key"
    assert keyed_parts(said) == ["model.params.a: -1 is out of range",
                                 "model.params.nope: unknown key"]
    assert under("student", said) == ("student.model.params.a: -1 is out of range; "
                                      "student.model.params.nope: unknown key")
    assert named_in("model.params.nope: unknown key") == "model.params.nope"


def test_text_a_problem_quotes_stays_with_its_key():
    said = "model.params.a: refused; note: this is quoted text"
    assert keyed_parts(said) == [said]
    assert under("student", said) == f"student.{said}"


def test_a_quoted_value_holding_another_key_stays_with_its_key():
    """A value a problem quotes may hold "; model.x: " itself: it was cut there, its key's
    line given to a key no file has and the student's prefix put inside the quotes."""
    for value in ('"a; model.params.b: c"', "'a; model.params.b: c'"):
        said = f"model.params.a: expected a number, got text {value}; model.params.nope: unknown"
        assert keyed_parts(said) == [f"model.params.a: expected a number, got text {value}",
                                     "model.params.nope: unknown"]
    prose = "model.params.a: the run's own; model.params.b: the members' own"
    assert keyed_parts(prose) == ["model.params.a: the run's own",
                                  "model.params.b: the members' own"]
