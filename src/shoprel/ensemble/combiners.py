"""Ensemble combiners: how members' probabilities become the ensemble's, one class per method.

A combiner is fitted on the members' OOF scores (`fit`), gives the ensemble's honest OOF
scores (`out_of_fold`: anything it learns is learned on the other folds), scores new rows
(`predict`) and keeps what it learned as JSON (`state` / `from_state`, stored as run.json's
"combination"; never pickle). A new method is one subclass decorated with `@register`: the
`ensemble` command's choices, the manifest check and prediction all read the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from shoprel.ensemble import combine, stacking
from shoprel.errors import ConfigError

COMBINERS: dict[str, type[Combiner]] = {}


def register(cls: type[Combiner]) -> type[Combiner]:
    """Class decorator: make a combiner available under its `name`."""
    COMBINERS[cls.name] = cls
    return cls


@dataclass
class MemberScores:
    """What a combiner sees of n rows scored by m members."""

    probabilities: np.ndarray  # (n, m) each member's positive probability
    languages: np.ndarray  # (n,) row languages
    cuts: np.ndarray  # (n, m) the cut each member applies to each row (its language's or global)


class Combiner:
    """Hyperparameters in `__init__`; learned state set by `fit` (or restored by `from_state`)."""

    name: ClassVar[str]
    summary: ClassVar[str]  # one line for `shoprel ensemble --help`
    takes_weights: ClassVar[bool] = False  # accepts --weights
    averages_members: ClassVar[bool] = False  # a weighted mean of probabilities (distill refits)
    fixed_threshold: ClassVar[float | None] = None  # a cut not tuned on OOF (a vote's majority)
    fixed_rule: ClassVar[str | None] = None  # what that cut means, as the report says it

    def __init__(self, weights=None):
        if weights is not None and not self.takes_weights:
            with_weights = [n for n, c in COMBINERS.items() if c.takes_weights]
            raise ConfigError(f"--weights applies to the {' and '.join(with_weights)} methods, "
                              f"not {self.name!r}")
        self.weights = weights

    def member_weights(self, n_members: int) -> np.ndarray:
        """The given weights normalised (equal ones when none were given)."""
        try:
            return combine.normalise(self.weights, n_members)
        except ValueError as exc:
            raise ConfigError(f"--weights: {exc}") from None

    def fit(self, scores: MemberScores, labels: np.ndarray,
            member_thresholds: list[float]) -> Combiner:
        raise NotImplementedError

    def out_of_fold(self, scores: MemberScores, labels: np.ndarray,
                    folds: np.ndarray) -> np.ndarray:
        """Honest OOF scores; by default the fitted combiner itself (it learns nothing)."""
        return self.predict(scores)

    def predict(self, scores: MemberScores) -> np.ndarray:
        raise NotImplementedError

    def state(self) -> dict:
        """JSON-ready: {"method": name, ...what predict needs}."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, state: dict) -> Combiner:
        combiner = cls.__new__(cls)
        combiner.weights = None
        combiner.restore(state)
        return combiner

    def restore(self, state: dict) -> None:
        raise NotImplementedError

    @classmethod
    def check_state(cls, state: dict) -> None:
        """Raise ValueError when a stored state lacks what predict needs (run.json checks)."""
        if not state.get("weights"):
            raise ValueError(f"method {cls.name!r} needs 'weights'")


class _WeightedMembers(Combiner):
    """Combiners whose state is one weight per member."""

    def restore(self, state: dict) -> None:
        self.weights_ = np.asarray(state["weights"], dtype=np.float64)
        self.extra_ = {k: v for k, v in state.items() if k not in ("method", "weights")}

    def state(self) -> dict:
        return {"method": self.name, "weights": self.weights_.tolist(), **self.extra_}


@register
class Mean(_WeightedMembers):
    name = "mean"
    summary = "average probabilities"
    averages_members = True

    def fit(self, scores, labels, member_thresholds):
        self.weights_, self.extra_ = self.member_weights(scores.probabilities.shape[1]), {}
        return self

    def predict(self, scores):
        return combine.weighted_mean(scores.probabilities, self.weights_)


@register
class Weighted(Mean):
    """Given weights, or weights searched on OOF ROC-AUC (reported OOF: searched on other folds)."""

    name = "weighted"
    takes_weights = True

    def fit(self, scores, labels, member_thresholds):
        if self.weights is None:
            self.weights_ = combine.search_weights(scores.probabilities, labels)
            self.extra_ = {"weights_from": f"grid search maximising OOF {combine.WEIGHT_METRIC}; "
                                           "reported OOF uses weights searched on the other folds"}
        else:
            self.weights_ = self.member_weights(scores.probabilities.shape[1])
            self.extra_ = {"weights_from": "given"}
        return self

    def out_of_fold(self, scores, labels, folds):
        if self.weights is not None:
            return self.predict(scores)
        return combine.nested_weighted_mean(scores.probabilities, labels, folds)


@register
class Vote(_WeightedMembers):
    """Weighted share of members whose own cut calls the row positive; positive at half."""

    name = "vote"
    summary = "weighted majority of each run's thresholded predictions"
    takes_weights = True
    fixed_threshold = 0.5  # a weighted majority: at least half the weight says positive
    fixed_rule = ("a weighted majority of the members, each cut at its own threshold (a vote "
                  "share of at least 0.5): the method's own rule, not tuned, the same for every "
                  "fold and for predict")

    def fit(self, scores, labels, member_thresholds):
        self.weights_ = self.member_weights(scores.probabilities.shape[1])
        self.extra_ = {"member_thresholds": list(member_thresholds)}
        return self

    def predict(self, scores):
        return combine.vote_share(scores.probabilities, scores.cuts, self.weights_)


@register
class Stack(Combiner):
    """Logistic regression on members' OOF logits plus a language one-hot (stacking.py)."""

    name = "stack"
    summary = "logistic regression on OOF logits"

    def __init__(self, weights=None, C: float = stacking.DEFAULT_C):
        super().__init__(weights)
        self.C = C

    def fit(self, scores, labels, member_thresholds):
        self.coefficients_ = stacking.fit_stack(scores.probabilities, scores.languages, labels,
                                                self.C)
        return self

    def out_of_fold(self, scores, labels, folds):
        return stacking.nested_stack_oof(scores.probabilities, scores.languages, labels, folds,
                                         self.C)

    def predict(self, scores):
        return stacking.predict_stack(self.coefficients_, scores.probabilities, scores.languages)

    def state(self) -> dict:
        return {"method": self.name, "stack": self.coefficients_}

    def restore(self, state: dict) -> None:
        self.coefficients_ = state["stack"]
        self.C = self.coefficients_.get("C", stacking.DEFAULT_C)

    @classmethod
    def check_state(cls, state: dict) -> None:
        if not state.get("stack"):
            raise ValueError(f"method {cls.name!r} needs its 'stack' coefficients")


def combiner_class(method: str) -> type[Combiner]:
    try:
        return COMBINERS[method]
    except KeyError:
        raise ConfigError(f"unknown ensemble method {method!r}: use one of "
                          f"{', '.join(COMBINERS)}") from None


def make_combiner(method: str, weights=None) -> Combiner:
    return combiner_class(method)(weights=weights)


def combiner_from_state(state: dict) -> Combiner:
    """The combiner run.json's "combination" describes (checked when the run was opened)."""
    return combiner_class(state["method"]).from_state(state)


def methods_help() -> str:
    """`--method` help from the registry: methods that share a summary are named together."""
    by_summary: dict[str, list[str]] = {}
    for name, cls in COMBINERS.items():
        by_summary.setdefault(cls.summary, []).append(name)
    return "; ".join(f"{'/'.join(names)}: {summary}" for summary, names in by_summary.items()) \
        + "."
