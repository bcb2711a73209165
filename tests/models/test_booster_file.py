"""A saved booster holds no training-only fields nor its features' ranges, and scores, explains,
ranks its features and refits exactly as the booster that was fitted; runs saved whole before
still load the same."""

import json

import lightgbm as lgb
import numpy as np
import pytest

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel
from shoprel.models.booster_file import cut_short, scoring_text

DROPPED = ("leaf_weight=", "internal_value=", "internal_weight=", "feature_importances:")


@pytest.fixture(scope="module")
def demo_booster(qc_frame):
    """A booster on a few features of the real demo rows, the language a categorical one."""
    df = qc_frame.df
    query, target = df["query"].str.lower(), df["target"].str.lower()
    shared = [len(set(q.split()) & set(t.replace(",", " ").split()))
              for q, t in zip(query, target, strict=True)]
    X = np.column_stack([query.str.len(), target.str.len(), target.str.count(","), shared,
                         df["language"].astype("category").cat.codes]).astype(float)
    X[::9, 1] = np.nan  # missing values take the default branch
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 0,
                         "num_leaves": 7, "min_data_in_leaf": 5, "min_data_per_group": 5,
                         "cat_smooth": 1},
                        lgb.Dataset(X, df["label"].to_numpy(), categorical_feature=[4]),
                        num_boost_round=30)
    return booster, X


def infos(text: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith("feature_infos="))
    return line.removeprefix("feature_infos=").split(" ")


def fields(text: str) -> set[str]:
    return {line.split("=", 1)[0] + ("=" if "=" in line else "")
            for line in text.splitlines()}


def test_the_saved_text_scores_explains_and_ranks_as_the_fitted_booster(demo_booster):
    booster, X = demo_booster
    full = booster.model_to_string()
    trimmed = scoring_text(full).decode()
    assert "cat_threshold=" in fields(trimmed)  # the categorical splits are exercised
    assert fields(full) >= set(DROPPED) and not fields(trimmed) & set(DROPPED)
    assert len(trimmed) < 0.75 * len(full)
    loaded = lgb.Booster(model_str=trimmed)
    for kind in ({}, {"raw_score": True}, {"pred_leaf": True}, {"pred_contrib": True}):
        np.testing.assert_array_equal(loaded.predict(X, **kind), booster.predict(X, **kind))
    for kind in ("split", "gain"):
        np.testing.assert_array_equal(loaded.feature_importance(kind),
                                      booster.feature_importance(kind))
    assert scoring_text(trimmed) == trimmed.encode()  # nothing more to take


def test_ranges_are_written_none_and_nothing_but_dump_model_reads_them(demo_booster, qc_frame):
    booster, X = demo_booster
    full = booster.model_to_string()
    trimmed = scoring_text(full).decode()
    before, after = infos(full), infos(trimmed)
    assert all(word.startswith("[") for word in before[:4])  # four numerical features' ranges
    assert after == ["none"] * 4 + before[4:] and ":" in after[4]  # the categorical one's values
    loaded = lgb.Booster(model_str=trimmed)
    ranged = lgb.Booster(model_str=trimmed.replace(" ".join(after), " ".join(before), 1))
    assert loaded.trees_to_dataframe().equals(ranged.trees_to_dataframe())
    labels = qc_frame.df["label"].to_numpy()
    np.testing.assert_array_equal(loaded.refit(X, labels).predict(X),
                                  booster.refit(X, labels).predict(X))
    more = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 0}
    grown = [lgb.train(more, lgb.Dataset(X, labels, categorical_feature=[4]), 5, init_model=b)
             for b in (booster, loaded)]
    np.testing.assert_array_equal(grown[1].predict(X), grown[0].predict(X))
    dumped = booster.dump_model()["feature_infos"]  # the one reader: ranges left out
    assert loaded.dump_model()["feature_infos"] == {"Column_4": dumped["Column_4"]}


def test_a_text_laid_out_otherwise_is_saved_whole(demo_booster):
    full = demo_booster[0].model_to_string()
    sizes = next(line for line in full.splitlines() if line.startswith("tree_sizes="))
    unsized = full.replace(sizes + "\n", "")  # loadable, but no sizes to count again
    assert scoring_text(unsized) == unsized.encode()
    miscounted = full.replace(sizes, sizes + "0")
    assert scoring_text(miscounted) == miscounted.encode()


def test_a_saved_model_scores_as_fitted_and_one_saved_whole_loads_the_same(
        tmp_path, qc_frame, small_model):
    model = small_model("fast", n_boosters=2).fit(qc_frame)
    fitted = model.predict_proba(qc_frame)
    folder = model.save(tmp_path / "saved")
    for i, name in enumerate(["lightgbm.txt", "lightgbm.2.txt"]):
        saved = (folder / name).read_text()
        assert not fields(saved) & set(DROPPED)
        assert saved.encode() == scoring_text(model.booster_.boosters[i].model_to_string())
    np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), fitted)
    for i, name in enumerate(["lightgbm.txt", "lightgbm.2.txt"]):  # as runs were saved before
        model.booster_.boosters[i].save_model(str(folder / name))
        assert "internal_value=" in fields((folder / name).read_text())
    config = json.loads((folder / "model.json").read_text())
    del config["state"]["booster_sha256"]  # nor were their digests recorded
    (folder / "model.json").write_text(json.dumps(config))
    np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), fitted)


def test_a_booster_file_cut_short_is_refused_before_lightgbm_reads_it(tmp_path, qc_frame,
                                                                      small_model):
    """LightGBM read a file cut inside its trees by aborting the whole process (exit 134 after
    a warning per unreadable line; a Ray actor restarted on it without end): the file is told
    damaged in one line naming it, whether cut short, its trees' bytes short of tree_sizes, or
    missing; a whole file, and one saved whole before, still load."""
    folder = small_model("fast").fit(qc_frame).save(tmp_path / "saved")
    booster = folder / "lightgbm.txt"
    whole = booster.read_bytes()
    assert cut_short(whole) is None
    assert cut_short(lgb.Booster(model_str=whole.decode()).model_to_string().encode()) is None
    tree = whole.index(b"\nTree=3\n") + 1
    middle = whole[:tree] + whole[whole.index(b"\nTree=4\n") + 1:]  # a tree lost inside
    for damaged, why in [(whole[:len(whole) // 2], "no 'end of trees' line"),
                         (middle, "where its header's tree_sizes says")]:
        booster.write_bytes(damaged)
        assert why in cut_short(damaged)
        with pytest.raises(RunDirError, match=f"^{booster}: the booster file is damaged or cut "
                                              f"short \\(.*{why}"):
            RelevanceModel.load(folder)
    booster.unlink()
    with pytest.raises(RunDirError, match=f"^{booster}: "):
        RelevanceModel.load(folder)
