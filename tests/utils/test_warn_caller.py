"""The API's warnings point at the user's line: Scorer's UntranslatedInputWarning pointed at
shoprel/runs.py (a fixed stacklevel counted from the model, not from the API), and told a
Python user only of the CLI command."""

import json
import warnings

import pytest

import shoprel
from shoprel.data.readers import read_pairs
from shoprel.models.base import RelevanceModel, UntranslatedInputWarning


def _caught(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UntranslatedInputWarning)]


@pytest.mark.parametrize("method", ["score", "probabilities"])
def test_the_untranslated_warning_points_at_the_callers_line(translated_run, method):
    run, bare = translated_run
    rows = [json.loads(line) for line in bare.read_text(encoding="utf-8").splitlines()]
    scorer = shoprel.Scorer(run)
    caught = _caught(lambda: getattr(scorer, method)(rows))
    assert caught and {w.filename for w in caught} == {__file__}
    assert "shoprel.translate_file" in str(caught[0].message)


def test_a_models_own_predict_proba_points_at_its_caller_too(translated_run):
    run, bare = translated_run
    model = RelevanceModel.load(run / "models" / "full")
    frame = read_pairs(bare, read_labels=False)
    caught = _caught(lambda: model.predict_proba(frame))
    assert caught and caught[0].filename == __file__
