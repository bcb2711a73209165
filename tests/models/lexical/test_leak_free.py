"""Features that use labels are computed for training rows from inner folds: a row's feature
never used its own label nor the labels of its inner fold (its group included)."""

import numpy as np

from shoprel.folds.grouped import fold_groups
from shoprel.models.embed.neighbours import NeighbourVotes
from shoprel.models.fast.model import FastModel
from shoprel.models.lexical import LexicalFeatures, LexicalParams
from shoprel.models.targets import training_targets


def _flip_group(frame, groups, group):
    flipped = frame.take(np.arange(len(frame)))
    rows = np.where(groups == group)[0]
    flipped.df.loc[rows, "label"] = 1 - flipped.df.loc[rows, "label"]
    return flipped, rows


def test_lexical_inner_fold_features_ignore_their_own_labels(qc_frame):
    lexical = LexicalFeatures(LexicalParams.of(FastModel(n_features=2**14).config()))
    groups = fold_groups(qc_frame, lexical.params.group_levels)
    before = lexical.fit(qc_frame, training_targets(qc_frame)).oof_dense(
        qc_frame, training_targets(qc_frame))
    group = max(set(groups), key=lambda g: (groups == g).sum())
    flipped, rows = _flip_group(qc_frame, groups, group)
    after = lexical.fit(flipped, training_targets(flipped)).oof_dense(
        flipped, training_targets(flipped))
    np.testing.assert_array_equal(before[rows], after[rows])
    assert not np.array_equal(before, after)  # other rows did hear about the flipped labels


def test_neighbour_votes_ignore_their_own_labels(qc_frame):
    rng = np.random.default_rng(0)
    n = len(qc_frame)
    q = rng.normal(size=(n, 8))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    t = q.copy()  # each row's most similar pair is itself, were it allowed to vote
    labels = qc_frame.labels.astype(np.float64)
    groups = fold_groups(qc_frame, 3)
    votes = NeighbourVotes(k=5)
    before = votes.oof_transform(q, t, labels, groups, inner_folds=4, seed=1)
    assert (before[:, 2] < 1.99).all()  # top-1 similarity 2.0 would be the row itself
    group = max(set(groups), key=lambda g: (groups == g).sum())
    rows = np.where(groups == group)[0]
    flipped = labels.copy()
    flipped[rows] = 1 - flipped[rows]
    after = votes.oof_transform(q, t, flipped, groups, inner_folds=4, seed=1)
    np.testing.assert_array_equal(before[rows], after[rows])
    assert not np.array_equal(before, after)


def test_neighbour_votes_on_new_rows_use_the_fitted_labels():
    q = np.eye(4)
    votes = NeighbourVotes(k=2).fit(q, q, np.array([1.0, 0.0, 1.0, 0.0]))
    out = votes.transform(q[:2], q[:2])
    np.testing.assert_allclose(out[:, 3], [1.0, 0.0])  # label of the top-1 neighbour
    np.testing.assert_allclose(out[:, 2], [2.0, 2.0])  # its pair similarity
