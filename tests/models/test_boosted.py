"""The boosters score small batches on one thread, and the same scores either way."""

import lightgbm as lgb
import numpy as np
import pytest

from shoprel.errors import RunDirError
from shoprel.models.boosted import BoosterBag, predict_checked
from shoprel.utils.threads import ONE_THREAD_ROWS


class Recording(BoosterBag):
    def __init__(self, bag):
        super().__init__(bag.boosters)
        self.threads = []

    def predict(self, X, num_threads=None):
        self.threads.append(num_threads)
        return super().predict(X, num_threads=num_threads)


@pytest.fixture(scope="module")
def bag():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8))
    y = (X[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(float)
    boosters = [lgb.train({"objective": "binary", "verbose": -1, "seed": s, "num_threads": 1},
                          lgb.Dataset(X, y), num_boost_round=20) for s in range(2)]
    return Recording(BoosterBag(boosters)), X


def test_small_batches_use_one_thread_and_score_the_same(bag):
    booster, X = bag
    small = predict_checked(booster, X[:10], n_jobs=2)
    large = predict_checked(booster, X, n_jobs=2)
    assert booster.threads[-2:] == [1, 2]
    assert len(X) > ONE_THREAD_ROWS >= 10
    np.testing.assert_array_equal(small, large[:10])
    with pytest.raises(RunDirError, match="reads 8 features, but the model built 3"):
        predict_checked(booster, X[:, :3], n_jobs=2)


def test_a_truncated_booster_is_shoprel_s_one_line_only(trained_runs, tmp_path, capfd):
    """LightGBM wrote its own '[LightGBM] [Fatal] ...' line on stderr before shoprel's."""
    import shutil

    from click.testing import CliRunner

    from shoprel.cli import main

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    booster = run / "models" / "fold_1" / "lightgbm.txt"
    booster.write_bytes(booster.read_bytes()[:200])
    capfd.readouterr()
    result = CliRunner().invoke(main, ["far-pairs", str(run), "--quiet"])
    assert result.exit_code == 2
    [line] = result.output.splitlines()  # shoprel's line, told before LightGBM reads it
    assert line.startswith(f"error: {booster}: the booster file is damaged or cut short (no "
                           "'end of trees' line")
    assert "LightGBM" not in capfd.readouterr().err


class StepsBar:
    """Stands for a tqdm bar: the steps it was asked to draw."""

    disable = False

    def __init__(self):
        self.drawn = []

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        if refresh:
            self.drawn.append(text)


@pytest.mark.parametrize("count", [1, 2])
def test_the_boosters_name_themselves_and_their_trees_on_the_bar_waiting(bag, count):
    """One booster (the default n_boosters) reads 'booster, tree 4/8', not 'boosters 1/1';
    several count themselves ('boosters 2/2, tree 4/8'); the last tree is not named (the
    booster is done)."""
    from shoprel.models.boosted import FeatureModelConfig, fit_booster
    from shoprel.models.targets import Targets
    from shoprel.utils.progress import steps_on

    _, X = bag
    y = (X[:, 0] > 0).astype(float)
    config = FeatureModelConfig(booster={"n_estimators": 8, "n_boosters": count}, n_jobs=1)
    bar = StepsBar()
    with steps_on(bar, "fold 0: "):
        fitted = fit_booster(config, X, Targets(y, None, None), [])
    assert len(fitted.boosters) == count
    names = ["booster"] if count == 1 else ["boosters 1/2", "boosters 2/2"]
    assert bar.drawn == [f"fold 0: {name}{tree}" for name in names
                         for tree in ("", ", tree 1/8", ", tree 2/8", ", tree 3/8",
                                      ", tree 4/8", ", tree 5/8", ", tree 6/8", ", tree 7/8")]
