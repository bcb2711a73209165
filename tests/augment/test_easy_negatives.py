"""Easy negatives: a relevant row's query with a target from another branch (QC) or another
query (QI), label 0, added after the originals."""

import numpy as np
import pytest

from shoprel.augment.easy_negatives import add_easy_negatives
from shoprel.data.category import top_level
from shoprel.data.readers import read_pairs
from shoprel.errors import ConfigError
from shoprel.run.folder import Run
from shoprel.training import runner
from shoprel.training.config_reading import load_config


def check_new_rows(frame, out, far):
    df, n = frame.df, len(frame)
    assert out.df.iloc[:n][list(df.columns)].equals(df)  # the originals, first and unchanged
    assert not out.df["augmented"].iloc[:n].any()
    made = out.df.iloc[n:]
    assert made["augmented"].all() and (made["label"] == 0).all()
    assert out.stats["augmented"] == len(made)
    assert not set(made["id"]) & set(df["id"]) and made["id"].is_unique
    relevant = df[df["label"] == 1]
    assert set(made["query"]) <= set(relevant["query"])
    assert set(made["target"]) <= set(df["target"])
    for query, target in zip(made["query"], made["target"], strict=True):
        assert target not in set(df.loc[df["query"] == query, "target"])
        assert far(target) not in {far(t) for t in relevant.loc[relevant["query"] == query,
                                                                 "target"]}
    return made


def test_qc_negatives_come_from_other_branches(qc_demo):
    frame = read_pairs(qc_demo)
    out = add_easy_negatives(frame, 0.5, seed=3)
    made = check_new_rows(frame, out, top_level)
    assert 0.4 * len(frame) <= len(made) <= 0.5 * len(frame) + 1
    assert "weight" not in out.df.columns  # weight 1: no column, any family fits it
    again = add_easy_negatives(frame, 0.5, seed=3)
    assert again.df.equals(out.df)  # seeded
    assert not add_easy_negatives(frame, 0.5, seed=4).df.equals(out.df)


def test_qi_negatives_are_other_queries_titles(qi_demo):
    frame = read_pairs(qi_demo)
    made = check_new_rows(frame, add_easy_negatives(frame, 0.3, seed=0), lambda t: t)
    assert len(made) > 0.25 * len(frame)


def test_weight_and_soft_labels(qc_demo):
    frame = read_pairs(qc_demo)
    frame.df["soft_label"] = np.linspace(0.1, 0.9, len(frame))
    out = add_easy_negatives(frame, 0.2, weight=0.3, seed=1)
    n = len(frame)
    assert (out.df["weight"].iloc[:n] == 1.0).all() and (out.df["weight"].iloc[n:] == 0.3).all()
    assert (out.df["soft_label"].iloc[n:] == 0.0).all()
    assert out.df["soft_label"].iloc[:n].equals(frame.df["soft_label"])
    frame.df["weight"] = 2.0  # a weight column of the file's own is kept for its rows
    out = add_easy_negatives(frame, 0.2, weight=0.3, seed=1)
    assert (out.df["weight"].iloc[:n] == 2.0).all() and (out.df["weight"].iloc[n:] == 0.3).all()


def test_nothing_to_add(qc_demo):
    frame = read_pairs(qc_demo)
    assert add_easy_negatives(frame, 0.0) is frame
    negatives = frame.take(np.flatnonzero(frame.labels == 0))
    assert add_easy_negatives(negatives, 1.0) is negatives  # no relevant row to start from


def test_easy_negatives_train_but_never_validate(tmp_path, qc_demo, fast_fits):
    frame = read_pairs(qc_demo)
    fitted = fast_fits
    config = load_config(None, {"model.family": "fast", "folds.k": 3,
                                "model.params.n_estimators": 30, "augment.easy_negatives": 0.25})
    result = runner.train(qc_demo, tmp_path / "run", config, progress=False)
    oof = Run.open(result.run_dir).oof()
    assert sorted(oof["id"]) == sorted(frame.df["id"])  # validation: original rows only
    folds = oof.set_index("id")["fold"]
    for fold, training in enumerate(fitted[:3]):
        added = training[training["augmented"]]
        originals = training[~training["augmented"]]
        assert len(added) == pytest.approx(0.25 * len(originals), abs=2)
        assert (added["label"] == 0).all()
        assert set(added["query"]) <= set(originals["query"])  # drawn from the fold's own rows
        assert not folds.loc[originals["id"]].eq(fold).any()
    assert result.metrics["data"]["augmented_rows"] == len(fitted[3][fitted[3]["augmented"]])


def test_a_weight_needs_a_family_that_reads_weights():
    with pytest.raises(ConfigError, match="augment.easy_negative_weight"):
        load_config(None, {"model.family": "cross", "augment.easy_negatives": 0.2,
                           "augment.easy_negative_weight": 0.5})
    load_config(None, {"model.family": "fast", "augment.easy_negatives": 0.2,
                       "augment.easy_negative_weight": 0.5})
