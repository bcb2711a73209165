"""Per-row weights and soft targets (targets.py) in the fast and embedding models."""

import numpy as np
import pytest
import scipy.sparse as sp

from shoprel.errors import InputError
from shoprel.folds.grouped import assign_folds
from shoprel.models.base import RelevanceModel
from shoprel.models.fast.model import FastModel
from shoprel.models.targets import Targets, linear_problem, mix_targets, training_targets


def _fast(**kwargs):
    return FastModel(n_features=2**16, n_estimators=30, n_jobs=1, **kwargs)


def _with(frame, **columns):
    out = frame.take(np.arange(len(frame)))
    for name, values in columns.items():
        out.df[name] = values
    return out


def test_no_columns_and_uniform_weights_fit_identically(qc_frame):
    plain = _fast().fit(qc_frame).predict_proba(qc_frame)
    uniform = _fast().fit(_with(qc_frame, weight=3.0)).predict_proba(qc_frame)
    np.testing.assert_array_equal(plain, uniform)


def test_weight_zero_rows_are_dropped(qc_frame):
    rng = np.random.default_rng(0)
    weight = np.where(rng.random(len(qc_frame)) < 0.2, 0.0, 1.0)
    weighted = _fast().fit(_with(qc_frame, weight=weight)).predict_proba(qc_frame)
    kept = qc_frame.take(np.flatnonzero(weight > 0))
    np.testing.assert_array_equal(weighted, _fast().fit(kept).predict_proba(qc_frame))


def test_heavier_rows_are_fitted_more_closely(qc_frame):
    heavy = np.arange(len(qc_frame)) % 2 == 0
    weight = np.where(heavy, 5.0, 0.2)
    p = _fast(stack=False).fit(_with(qc_frame, weight=weight)).predict_proba(qc_frame)[:, 1]
    error = np.abs(p - qc_frame.labels)
    assert error[heavy].mean() < 0.7 * error[~heavy].mean()


def test_hard_soft_targets_give_the_plain_linear_model(qc_frame):
    soft = qc_frame.labels.astype(float)
    plain = _fast(stack=False).fit(qc_frame).predict_proba(qc_frame)
    as_soft = _fast(stack=False).fit(_with(qc_frame, soft_label=soft)).predict_proba(qc_frame)
    np.testing.assert_allclose(plain, as_soft, atol=1e-12)


@pytest.mark.parametrize("stack", [True, False])
def test_soft_targets_pull_the_model_toward_the_teacher(qc_frame, stack):
    """A teacher whose belief follows language, not the labels: a student fitted on its
    probabilities agrees with it on held-out rows far more than a hard-label student does."""
    teacher = np.where(qc_frame.df["language"] == qc_frame.df["language"].mode()[0], 0.9, 0.15)
    folds = assign_folds(qc_frame, k=3, seed=0)
    train, valid = np.flatnonzero(folds != 0), np.flatnonzero(folds == 0)
    held_out = qc_frame.take(valid)
    hard = _fast(stack=stack).fit(qc_frame.take(train)).predict_proba(held_out)[:, 1]
    soft_frame = _with(qc_frame, soft_label=mix_targets(qc_frame.labels, teacher, 0.0))
    soft = _fast(stack=stack).fit(soft_frame.take(train)).predict_proba(held_out)[:, 1]
    gap_hard = np.abs(hard - teacher[valid]).mean()
    gap_soft = np.abs(soft - teacher[valid]).mean()
    assert gap_soft < 0.6 * gap_hard


def test_soft_target_booster_saves_and_loads(qc_frame, tmp_path):
    teacher = np.clip(0.2 + 0.6 * qc_frame.labels, 0, 1)
    model = _fast().fit(_with(qc_frame, soft_label=teacher, weight=1.0))
    assert "cross_entropy" in model.booster_.boosters[0].model_to_string()[:2000]
    loaded = RelevanceModel.load(model.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), model.predict_proba(qc_frame))


def test_linear_problem_splits_rows_by_soft_target():
    X = sp.csr_matrix(np.eye(3))
    targets = Targets(np.array([1, 0, 1]), np.array([1.0, 0.25, 0.5]), np.array([1.0, 2.0, 1.0]))
    X2, y, w = linear_problem(X, targets)
    assert X2.shape == (5, 3)  # row 0's negative copy weighs 0 and is left out
    assert y.tolist() == [1, 1, 1, 0, 0]
    np.testing.assert_allclose(w, [1.0, 0.5, 0.5, 1.5, 0.5])


def test_missing_soft_labels_fall_back_to_labels(qc_frame):
    soft = np.full(len(qc_frame), np.nan)
    soft[0] = 0.3
    targets = training_targets(_with(qc_frame, soft_label=soft))
    assert targets.soft[0] == 0.3
    np.testing.assert_array_equal(targets.soft[1:], qc_frame.labels[1:])


@pytest.mark.parametrize("column, value", [("weight", -1.0), ("weight", np.nan),
                                           ("soft_label", 1.5)])
def test_bad_values_name_the_column(qc_frame, column, value):
    values = np.ones(len(qc_frame)) * 0.5
    values[7] = value
    with pytest.raises(InputError, match=column):
        _fast().fit(_with(qc_frame, **{column: values}))


def test_all_zero_weights_is_an_error(qc_frame):
    with pytest.raises(InputError, match="weight 0"):
        _fast().fit(_with(qc_frame, weight=0.0))


def test_embed_model_honours_weights_and_soft_targets(qc_frame, tmp_path_factory, tiny_backbone,
                                                      one_torch_thread):
    pytest.importorskip("torch")
    from shoprel.models.embed.model import EmbedModel

    texts = [*qc_frame.df["query"], *qc_frame.df["target"]]
    backbone = tiny_backbone(tmp_path_factory.mktemp("tiny") / "bert", texts)
    cache = tmp_path_factory.mktemp("cache")

    def model():
        return EmbedModel(backbone=str(backbone), cache_dir=str(cache), n_features=2**16,
                          n_estimators=30, inner_folds=3, n_jobs=1)

    weight = np.where(np.arange(len(qc_frame)) % 5 == 0, 0.0, 1.0)
    dropped = model().fit(_with(qc_frame, weight=weight)).predict_proba(qc_frame)
    kept = qc_frame.take(np.flatnonzero(weight > 0))
    np.testing.assert_array_equal(dropped, model().fit(kept).predict_proba(qc_frame))

    teacher = np.where(qc_frame.df["language"] == qc_frame.df["language"].mode()[0], 0.9, 0.15)
    hard = model().fit(qc_frame).predict_proba(qc_frame)[:, 1]
    soft = model().fit(_with(qc_frame, soft_label=teacher)).predict_proba(qc_frame)[:, 1]
    assert np.abs(soft - teacher).mean() < 0.6 * np.abs(hard - teacher).mean()
