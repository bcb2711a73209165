"""LightGBM over feature blocks: the params and the fit the feature families (fast, embed) share.

Both nest the lexical component's params (`LexicalConfig`) and the booster's (`BoosterConfig`)
in their configs, train LightGBM the same way on their blocks, and mix its probability with the
lexical linear score (`linear_weight`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

import lightgbm as lgb
import numpy as np
from pydantic import Field

from shoprel.data.records import not_a_written_count
from shoprel.errors import RunDirError
from shoprel.models.booster_digest import changed_since_saved, text_sha256
from shoprel.models.booster_file import cut_short, scoring_text
from shoprel.models.config import FamilyConfig, Section, Seed
from shoprel.models.lexical.config import LexicalConfig
from shoprel.models.targets import Targets
from shoprel.utils.native_stderr import stderr_silenced
from shoprel.utils.progress import report_step
from shoprel.utils.threads import threads_for_rows


class BoosterConfig(Section):
    n_estimators: Annotated[int, Field(ge=1)] = 300
    learning_rate: Annotated[float, Field(gt=0)] = 0.03
    num_leaves: Annotated[int, Field(ge=2)] = 15
    min_child_samples: Annotated[int, Field(ge=1)] = 40
    feature_fraction: Annotated[float, Field(gt=0, le=1)] = 0.9
    # boosters fitted alike but for the seed, probabilities averaged (BoosterBag)
    n_boosters: Annotated[int, Field(ge=1, le=20)] = 1


def booster_defaults(**changes):
    """A family's `booster` field: the shared params with its own defaults."""
    BoosterConfig(**changes)  # a typo in a family's defaults fails at import
    return Field(default_factory=lambda: BoosterConfig(**changes))


class FeatureModelConfig(FamilyConfig):
    uses_group_levels = True
    runtime_params = frozenset({"n_jobs"})  # LightGBM's threads ("deterministic": True)
    # what n_jobs sets the threads of, as train's busy-machine note names them
    n_jobs_threads: ClassVar[tuple[str, ...]] = ("LightGBM",)

    lexical_features: LexicalConfig = Field(default_factory=LexicalConfig)
    booster: BoosterConfig = booster_defaults()
    # final probability: linear_weight · lexical linear score + the rest · booster's
    linear_weight: Annotated[float, Field(ge=0, le=1)] = 0.5
    seed: Seed = 42
    n_jobs: Annotated[int, Field(ge=1)] = 2  # below 1, LightGBM would quietly use every core

    def booster_params(self, objective: str = "binary") -> dict:
        b = self.booster
        return {"objective": objective, "learning_rate": b.learning_rate,
                "num_leaves": b.num_leaves, "min_child_samples": b.min_child_samples,
                "feature_fraction": b.feature_fraction, "bagging_fraction": 0.9,
                "bagging_freq": 1, "seed": self.seed, "num_threads": self.n_jobs,
                "deterministic": True, "verbose": -1}


def fit_booster(config: FeatureModelConfig, X: np.ndarray, targets: Targets,
                categorical: list[int], step: str = "booster") -> BoosterBag:
    """LightGBM on the feature matrix, honouring soft targets and row weights (targets.py):
    `n_boosters` of them, seeds `seed`, `seed + 1`, ..., each named on the bar waiting for the
    fit ("boosters 2/3", report_step)."""
    params = config.booster_params(targets.objective)
    count, trees = config.booster.n_boosters, config.booster.n_estimators
    boosters = []
    for i in range(count):
        name = f"{step}s {i + 1}/{count}" if count > 1 else step
        report_step(name)
        boosters.append(lgb.train(  # a Dataset each: its binning takes the seed too
            {**params, "seed": config.seed + i},
            lgb.Dataset(X, targets.target, weight=targets.weight,
                        categorical_feature=categorical),
            num_boost_round=trees, callbacks=[trees_told(name, trees)]))
    return BoosterBag(boosters)


def trees_told(name: str, trees: int, times: int = 8):
    """A LightGBM callback naming the trees grown so far, about `times` times a booster ("boosters
    2/3, tree 150/400"): one booster of the embed family took a minute of a loaded 2-core
    machine on 3,000 rows."""
    every = max(1, trees // times)

    def told(env) -> None:
        grown = env.iteration + 1
        if grown % every == 0 and grown < trees:
            report_step(f"{name}, tree {grown}/{trees}")
    return told


def mixed(linear: np.ndarray, boosted: np.ndarray, linear_weight: float) -> np.ndarray:
    """For the fast model the mix ranks better than either part; the embed model's booster
    does best alone (its default weight is 0: the linear score misleads it in new languages)."""
    return linear_weight * linear + (1 - linear_weight) * boosted


class BoosterBag:
    """Boosters fitted alike but for the seed, scored as the mean of their probabilities.

    The embed model's booster draws 15% of ~3k columns per tree, so one booster's answer leans
    on which columns its trees happened to draw; three seeds averaged ranked QC pairs +0.0024
    higher (category folds, 4 of 5 up; README). One booster is a bag of one: saved as
    `lightgbm.txt`, the others beside it as `lightgbm.2.txt`, `lightgbm.3.txt`, ...
    """

    def __init__(self, boosters: list[lgb.Booster]):
        if not boosters:
            raise ValueError("a booster bag needs at least one booster")
        self.boosters = list(boosters)
        self._texts: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self.boosters)

    def num_feature(self) -> int:
        return self.boosters[0].num_feature()

    def predict(self, X: np.ndarray, num_threads: int | None = None) -> np.ndarray:
        threads = {} if num_threads is None else {"num_threads": num_threads}
        return np.mean([b.predict(X, **threads) for b in self.boosters], axis=0)

    def texts(self) -> list[bytes]:
        """Each booster's text as scoring reads it (booster_file.py: ~30% smaller), made once:
        the bytes `save` writes are those `digests` hashed for model.json."""
        if self._texts is None:
            self._texts = [scoring_text(b.model_to_string()) for b in self.boosters]
        return self._texts

    def digests(self, path: Path) -> dict[str, str]:
        """The SHA-256 of each file `save(path)` writes, by file name (booster_digest.py)."""
        return {member_path(path, i).name: text_sha256(text)
                for i, text in enumerate(self.texts())}

    def save(self, path: Path) -> None:
        """Each booster's `texts` at its `member_path`."""
        for i, text in enumerate(self.texts()):
            member_path(path, i).write_bytes(text)


def member_path(path: Path, i: int) -> Path:
    """`lightgbm.txt` for the first booster of a bag, `lightgbm.2.txt` ... for the others."""
    path = Path(path)
    return path if i == 0 else path.with_name(f"{path.stem}.{i + 1}{path.suffix}")


def saved_booster_count(state: dict, model_json: Path) -> int:
    """How many boosters a saved model's state says it averages: models saved before the bag
    have no such field and one booster."""
    count = state.get("boosters", 1)
    problem = not_a_written_count(count, ge=1)
    if problem:
        raise RunDirError(f"{model_json}: field 'state.boosters' (how many boosters were "
                          f"saved): {problem}")
    return count


def load_booster(path: Path, width: int | None, count: int, model_json: Path,
                 digests: dict[str, str] | None) -> BoosterBag:
    """The `count` saved boosters of a bag (`model_json`'s `state.boosters`, read by
    `saved_booster_count`), each reading exactly the `width` feature columns the model builds
    (None: not known before scoring); LightGBM itself would score a narrower matrix as if the
    missing columns were absent, or fail at the first request. A missing member is refused,
    naming the file and the field that declared it; so is one cut short, or whose bytes are not
    those whose SHA-256 `digests` recorded (booster_digest.saved_digests; None for a model saved
    before: unchecked), before LightGBM reads it."""
    path = Path(path)
    boosters = []
    for i in range(count):
        member = member_path(path, i)
        if i and not member.exists():
            raise RunDirError(f"{member}: missing, but {model_json} field "
                              f"'state.boosters' says the model averages {count} boosters")
        try:
            text = member.read_bytes()
        except OSError as exc:
            raise RunDirError(f"{member}: cannot be read ({exc.strerror or exc})") from None
        if problem := cut_short(text):
            raise RunDirError(f"{member}: the booster file is damaged or cut short ({problem}); "
                              "copy the run again from where it was trained, or train it again")
        if problem := changed_since_saved(member, text, digests, model_json):
            raise RunDirError(problem)
        with stderr_silenced():  # a damaged file: LightGBM's own [Fatal] line, then its error
            booster = lgb.Booster(model_str=text.decode("utf-8", errors="replace"))
        if width is not None and booster.num_feature() != width:
            raise RunDirError(f"{member}: field 'max_feature_idx': the booster reads "
                              f"{booster.num_feature()} features, but the model's params "
                              f"and saved arrays build {width}")
        if boosters and booster.num_feature() != boosters[0].num_feature():
            raise RunDirError(f"{member}: field 'max_feature_idx': the booster reads "
                              f"{booster.num_feature()} features, but {path.name} beside "
                              f"it reads {boosters[0].num_feature()}")
        boosters.append(booster)
    bag = BoosterBag(boosters)
    bag.source_ = path  # named by `predict_checked` if a scored matrix does not fit it
    return bag


def predict_checked(booster: BoosterBag, X: np.ndarray, n_jobs: int) -> np.ndarray:
    """The booster's probabilities, refusing a matrix of another width than it was fitted on."""
    if X.shape[1] != booster.num_feature():
        where = getattr(booster, "source_", "the booster")
        raise RunDirError(f"{where}: field 'max_feature_idx': the booster reads "
                          f"{booster.num_feature()} features, but the model built {X.shape[1]}")
    return booster.predict(X, num_threads=threads_for_rows(len(X), n_jobs))
