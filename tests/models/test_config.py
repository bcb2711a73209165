import math

import pytest

from shoprel.errors import ConfigError, ConfigValueError
from shoprel.models.base import validate_params
from shoprel.models.lexical.config import LexicalParams
from shoprel.serve import ServeSettings
from shoprel.training.config import RunConfig
from shoprel.training.config_reading import load_config


@pytest.mark.parametrize("template, message", [
    ("{query}", r"must hold both \{query\} and \{translation\}; '\{query\}' lacks "
                r"\{translation\}"),
    ("{translation} only", r"must hold both .* lacks \{query\}"),
    ("{query} - {english}", r"unknown field \{english\}: the template may hold only"),
    ("{query} {translation} {}", r"unknown field \{\}"),
    ("{query} {translation} {query.upper}", r"unknown field \{query\.upper\}"),
    ("{query} {translation", r"not a valid template \(.*\); write a literal brace"),
])
def test_a_translation_template_is_checked_with_the_params(template, message):
    """It was formatted only at the first translated row: a KeyError mid-fit, or (without
    {translation}) the translation silently dropped."""
    with pytest.raises(ConfigError, match=r"^model\.params\.translation_template: " + message):
        validate_params("fast", {"translation_template": template})
    with pytest.raises(ValueError, match=message):
        LexicalParams(translation_template=template)


@pytest.mark.parametrize("template", ["{query} - {translation}", "{translation} ({query})",
                                      "{{{query}}} {translation!r} {query}"])
def test_a_template_with_both_fields_passes(template):
    assert validate_params("fast", {"translation_template": template})[
        "translation_template"] == template


@pytest.mark.parametrize("family, key", [("fast", "seed"), ("embed", "seed"),
                                         ("cross", "seed")])  # cross: its training section
@pytest.mark.parametrize("seed", [-1, 2**30, 2**32])
def test_a_seed_outside_lightgbms_range_is_refused(family, key, seed):
    """numpy refuses a negative seed and LightGBM one past a C int (seed + booster index), each
    with a traceback mid-fit."""
    bound = "at least 0" if seed < 0 else "at most 1073741823"
    with pytest.raises(ConfigError, match=rf"^model\.params\.{key}: {seed} is out of range; "
                                          rf"it must be {bound}$"):
        validate_params(family, {key: seed})
    assert validate_params(family, {key: 2**30 - 1})[key] == 2**30 - 1


@pytest.mark.parametrize(("given", "said"), [
    (3.0, "3.0 is not written as a whole number; write 3"),
    (2.5, "2.5 is not a whole number"),
    (math.nan, "nan is not a number"),
    (math.inf, "inf is not a finite number"),
])
def test_a_whole_number_field_refuses_a_float_as_an_integer_option_does(given, said):
    """folds.k (strict) refused 3.0 as 'Input should be a valid integer' while ServeSettings
    and the families' params took it as 3, and 2.5 was 'got a number with a fractional part':
    every whole-number field now says utils.bounds.not_whole's sentence, as `--folds 3.0`."""
    with pytest.raises(ConfigValueError) as info:
        RunConfig(folds={"k": given})
    assert str(info.value) == f"RunConfig: folds.k: {said}"
    with pytest.raises(ConfigValueError) as info:
        ServeSettings(max_pairs=given)
    assert str(info.value) == f"ServeSettings: max_pairs: {said}"
    with pytest.raises(ConfigError) as info:
        validate_params("fast", {"n_estimators": given})
    assert str(info.value) == f"model.params.n_estimators: {said}"
    assert RunConfig(folds={"k": 3}).folds.k == 3 and ServeSettings(max_pairs=3).max_pairs == 3


def test_a_float_in_a_whole_number_field_of_a_file_names_its_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model:\n  family: fast\nfolds:\n  k: 4.0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: line 4: folds.k: 4.0 is not written as a whole "
                               "number; write 4")


def test_a_saved_model_s_whole_float_still_loads():
    """model.json holds the params as given in Python (FastModel(n_estimators=300.0)), which
    were taken as 300: a model saved so still loads, its param read as 300."""
    params = validate_params("fast", {"n_estimators": 300.0}, saved=True)
    assert params["n_estimators"] == 300 and type(params["n_estimators"]) is int
    with pytest.raises(ConfigError, match="^model.params.n_estimators: 2.5 is not a whole"):
        validate_params("fast", {"n_estimators": 2.5}, saved=True)


def test_any_required_field_not_given_says_so_with_the_values_it_takes():
    """A missing field read pydantic's "Field required" in every config class: one without a
    default says it has none, and the values it takes where they are a fixed set, however deep
    the section (only data.translator.backend is required today: a class of this test's)."""
    from typing import Literal

    from pydantic import ValidationError

    from shoprel.models.config import StrictConfig, error_message

    class Inner(StrictConfig):
        mode: Literal["a", "b"]
        size: int

    class Outer(StrictConfig):
        inner: Inner | None = None

    with pytest.raises(ConfigValueError) as info:
        Outer(inner={})
    assert str(info.value) == (
        "Outer: inner.mode: missing (it has no default); set it to one of 'a', 'b'; "
        "inner.size: missing (it has no default); set it")
    with pytest.raises(ValidationError) as raised:
        Outer.model_validate({"inner": {"size": 1}})
    assert error_message(raised.value.errors()[0], Outer) == (
        "missing (it has no default); set it to one of a, b")
