import math

import pytest

from shoprel.errors import ConfigValueError
from shoprel.serve import ServeSettings


@pytest.mark.parametrize(("given", "said"), [
    ({"max_wait_ms": -1}, "ServeSettings: max_wait_ms: -1 is out of range; it must be at "
                          "least 0"),
    ({"max_pairs": "many"}, "ServeSettings: max_pairs: expected a number, got text 'many'"),
    ({"max_pairs": "10"}, "ServeSettings: max_pairs: '10' is text; write a number: 10"),
    ({"max_pairs": True}, "ServeSettings: max_pairs: expected a number, got True"),
    ({"max_wait_ms": math.inf}, "ServeSettings: max_wait_ms: inf is not a finite number"),
    ({"max_wait_s": 2}, "ServeSettings: max_wait_s: unknown key; did you mean 'max_wait_ms'?"),
    ({"scorer": "fast"}, "ServeSettings: scorer: Input should be 'full', 'student' or "
                         "'cascade', got 'fast'"),
    ({"index_dirs": ["/a", True]}, "ServeSettings: index_dirs: item 2 of the list is True, "
                                   "not a text"),
    ({"index_dirs": "/a"}, "ServeSettings: index_dirs: expected a list of texts, got '/a'"),
])
def test_a_wrong_setting_in_python_is_one_line_naming_the_field(given, said):
    """Built in Python, a wrong value was pydantic's report over several lines (a boolean or
    .inf taken); it is one line naming the field, as the run's config classes say it."""
    with pytest.raises(ConfigValueError) as info:
        ServeSettings(**given)
    assert str(info.value) == said
    assert isinstance(info.value, ValueError)  # as pydantic's ValidationError was


def test_an_infinite_request_timeout_is_still_no_timeout():
    assert ServeSettings(request_timeout_s=math.inf).request_timeout_s == math.inf


@pytest.mark.parametrize(("given", "said"), [
    (math.nan, "nan is not a number"),
    (-math.inf, "-inf is out of range; it must be above 0"),
])
def test_a_non_finite_request_timeout_is_said_as_the_option_says_it(given, said):
    """The field takes .inf (no timeout), so pydantic's refusal of .nan is off for it, and nan
    was "nan is out of range; it must be above 0" where `--request-timeout nan` said "nan is
    not a number" (tests/cli/test_serve.py)."""
    with pytest.raises(ConfigValueError) as info:
        ServeSettings(request_timeout_s=given)
    assert str(info.value) == f"ServeSettings: request_timeout_s: {said}"


def test_an_infinite_request_timeout_travels_to_workers(monkeypatch):
    """`serve --workers 2 --request-timeout inf`: the settings' JSON said null for .inf, and
    every worker refused it ("request_timeout_s: Input should be a valid number")."""
    settings = ServeSettings(request_timeout_s=math.inf)
    monkeypatch.setenv(*next(iter(settings.to_env().items())))
    assert ServeSettings.from_env().request_timeout_s == math.inf


def test_settings_still_travel_to_workers_and_stay_frozen(monkeypatch):
    settings = ServeSettings(max_wait_ms=5, api_key="k", index_dirs=["/a"], scorer="cascade")
    monkeypatch.setenv(*next(iter(settings.to_env().items())))
    assert ServeSettings.from_env() == settings
    with pytest.raises(ValueError):
        settings.max_pairs = 3


@pytest.mark.parametrize("written", ["FULL", "Student", "cascade"])
def test_the_scorer_is_read_in_any_case_as_the_cli_and_api_read_it(written):
    """ServeSettings(scorer="FULL") was refused while `--scorer FULL` and
    shoprel.Scorer(scorer="FULL") were taken; it is "full" here too."""
    assert ServeSettings(scorer=written).scorer == written.lower()
