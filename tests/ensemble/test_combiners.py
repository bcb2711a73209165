"""The combiner registry: every method's state survives JSON, and a new method needs one class."""

import json

import numpy as np
import pytest

from shoprel.cli.ensemble import ensemble as ensemble_command
from shoprel.data.readers import read_pairs
from shoprel.ensemble.combiners import (
    COMBINERS,
    Combiner,
    MemberScores,
    combiner_from_state,
    make_combiner,
    register,
)
from shoprel.ensemble.runner import build_ensemble
from shoprel.errors import ConfigError
from shoprel.predict.predictor import Predictor


def _scores(seed=0, n=300, m=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.4 * y[:, None] + 0.6 * rng.uniform(size=(n, m)), 0, 1)
    languages = np.where(np.arange(n) % 3, "en", "fr").astype(object)
    cuts = np.tile(np.array([0.4, 0.5, 0.6][:m]), (n, 1))
    return MemberScores(p, languages, cuts), y, np.arange(n) % 3


@pytest.mark.parametrize("method", list(COMBINERS))
def test_every_combiner_round_trips_its_state_as_json(method):
    scores, y, folds = _scores()
    combiner = make_combiner(method).fit(scores, y, [0.4, 0.5, 0.6])
    oof = combiner.out_of_fold(scores, y, folds)
    assert oof.shape == (len(y),) and ((oof >= 0) & (oof <= 1)).all()
    state = json.loads(json.dumps(combiner.state()))
    assert state["method"] == method
    COMBINERS[method].check_state(state)
    fresh, _, _ = _scores(seed=1)
    assert np.allclose(combiner_from_state(state).predict(fresh), combiner.predict(fresh))


def test_the_command_offers_exactly_the_registered_methods():
    option = next(p for p in ensemble_command.params if p.name == "method")
    assert list(option.type.choices) == list(COMBINERS)
    assert all(name in option.help for name in COMBINERS)


def test_unknown_method_and_misplaced_weights_are_config_errors():
    with pytest.raises(ConfigError, match="unknown ensemble method 'median'"):
        make_combiner("median")
    with pytest.raises(ConfigError, match="--weights applies to the weighted and vote methods"):
        make_combiner("stack", weights=[1, 1])


def test_a_registered_combiner_builds_a_run_that_predicts(qc_runs, tmp_path, qc_demo):
    @register
    class Highest(Combiner):
        name = "highest"
        summary = "the most confident member"

        def fit(self, scores, labels, member_thresholds):
            return self

        def predict(self, scores):
            return scores.probabilities.max(axis=1)

        def state(self):
            return {"method": self.name}

        def restore(self, state):
            pass

        @classmethod
        def check_state(cls, state):
            pass

    try:
        build_ensemble(list(qc_runs), tmp_path / "ens", "highest")
        frame = read_pairs(qc_demo).take(np.arange(30))
        members = np.column_stack([Predictor(d).probabilities(frame) for d in qc_runs])
        assert np.allclose(Predictor(tmp_path / "ens").probabilities(frame), members.max(axis=1))
    finally:
        COMBINERS.pop("highest")
