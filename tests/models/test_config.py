import pytest

from shoprel.errors import ConfigError
from shoprel.models.base import validate_params
from shoprel.models.lexical.config import LexicalParams


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
