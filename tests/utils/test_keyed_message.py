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
