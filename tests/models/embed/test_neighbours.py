"""Neighbour votes against a by-hand reference: a full sort of every pair's similarity."""

import numpy as np
import pytest

from shoprel.models.embed import neighbours
from shoprel.models.embed.neighbours import NAMES, NeighbourVotes


def unit(rng, n, d=12):
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def by_hand(q, t, fitted_q, fitted_t, labels, k):
    rows = []
    for qi, ti in zip(q, t, strict=True):
        sim = fitted_q @ qi + fitted_t @ ti
        top = np.argsort(-sim, kind="stable")[:k]
        s, y = sim[top], labels[top]
        w = np.exp(4.0 * (s - s.max()))
        rows.append([y.mean(), (w * y).sum() / w.sum(), s.max(), y[np.argmax(s)],
                     np.where(y > 0.5, s, -2.0).max(), np.where(y <= 0.5, s, -2.0).max()])
    return np.array(rows)


@pytest.mark.parametrize("repeated_targets", [True, False])
@pytest.mark.parametrize("repeated_queries", [True, False])
def test_votes_equal_a_full_sort(repeated_targets, repeated_queries, monkeypatch):
    rng = np.random.default_rng(7)
    n_fit, n_new, k = 300, 90, 7
    fitted_q, new_q = unit(rng, n_fit), unit(rng, n_new)
    if repeated_queries:  # QI: each query with ~6 titles, multiplied once per distinct query
        fitted_q = unit(rng, 50)[np.repeat(np.arange(50), 6)]
        new_q = unit(rng, 15)[np.repeat(np.arange(15), 6)]  # scored rows too
    if repeated_targets:  # QC: a few categories shared by many rows on both sides
        categories = unit(rng, 15)
        fitted_t = categories[rng.integers(0, 15, n_fit) if not repeated_queries else
                              np.concatenate([rng.choice(15, 6, replace=False)
                                              for _ in range(50)])]  # no pair given twice
        new_t = categories[rng.integers(0, 15, n_new)]
    else:  # QI: nearly every title new
        fitted_t, new_t = unit(rng, n_fit), unit(rng, n_new)
    labels = rng.integers(0, 2, n_fit).astype(np.float32)
    monkeypatch.setattr(neighbours, "CHUNK", 32)  # several chunks, the last one short
    votes = NeighbourVotes(k).fit(fitted_q, fitted_t, labels)
    out = votes.transform(new_q, new_t)
    trained_queries = votes.training_rows()[2]
    assert isinstance(trained_queries, tuple) is repeated_queries
    if repeated_queries:  # each distinct query once, and where each row's is
        assert [len(part) for part in trained_queries] == [50, n_fit]
    assert out.shape == (n_new, len(NAMES))
    # float16 storage rounds the fitted vectors: the reference reads them the same way
    expected = by_hand(new_q, new_t, votes.q_.astype(np.float32), votes.t_.astype(np.float32),
                       labels, k)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # parts of the rows side by side in two threads: the same votes (to float32 rounding: a
    # BLAS may take another kernel for a product of fewer rows)
    np.testing.assert_allclose(votes.transform(new_q, new_t, workers=2), out, rtol=0, atol=1e-6)




class CountedTargets(np.ndarray):
    """The training targets, counting the scored targets multiplied by them."""
    rows: list

    def __rmatmul__(self, other):
        CountedTargets.rows.append(len(other))
        return np.asarray(other) @ np.asarray(self)


def test_a_scorer_remembering_targets_votes_alike_and_multiplies_each_target_once(monkeypatch):
    """serve's batches: 10 new queries over a taxonomy's few categories, batch after batch."""
    rng = np.random.default_rng(3)
    categories = unit(rng, 15)
    fitted_q, fitted_t = unit(rng, 300), categories[rng.integers(0, 15, 300)]
    labels = rng.integers(0, 2, 300).astype(np.float32)
    plain = NeighbourVotes(7).fit(fitted_q, fitted_t, labels)
    remembering = NeighbourVotes(7).fit(fitted_q, fitted_t, labels).remember_targets()
    by_target = neighbours.by_target
    monkeypatch.setattr(neighbours, "by_target", lambda *a: (
        by_target(*a)[0].view(CountedTargets), *by_target(*a)[1:]))
    seen = set()
    for _ in range(8):
        q, which = unit(rng, 10), rng.integers(0, 15, 10)
        t = categories[which]
        CountedTargets.rows = []
        out = remembering.transform(q, t)
        # only the targets not met in an earlier batch are multiplied
        assert sum(CountedTargets.rows) == len(set(which.tolist()) - seen)
        seen |= set(which.tolist())
        CountedTargets.rows = []
        expected = plain.transform(q, t)  # multiplies every distinct target of every batch
        assert sum(CountedTargets.rows) == len(set(which.tolist()))
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(out, by_hand(q, t, plain.q_.astype(np.float32),
                                                plain.t_.astype(np.float32), labels, 7),
                                   atol=1e-5)
    assert len(seen) == 15
    assert remembering.remembered_targets() == 15 and plain.remembered_targets() == 0
    # refitted on other rows: the remembered rows belonged to the old training targets
    other = categories[rng.integers(0, 15, 300)]
    remembering.fit(fitted_q, other, labels)
    plain.fit(fitted_q, other, labels)
    q, t = unit(rng, 10), categories[rng.integers(0, 15, 10)]
    np.testing.assert_allclose(remembering.transform(q, t), plain.transform(q, t), rtol=0,
                               atol=1e-6)


def test_saved_arrays_hold_each_distinct_vector_once_and_load_bit_for_bit(tmp_path):
    """QI rows repeat their query (~6 titles each) and QC rows their path: the saved file held
    one vector per row; now each distinct vector once, with each row's place."""
    from safetensors.numpy import load_file, save_file

    rng = np.random.default_rng(3)
    q = unit(rng, 20, 32)[np.repeat(np.arange(20), 6)]
    t = unit(rng, 100, 32)[rng.integers(0, 100, 120)]
    labels = rng.integers(0, 2, 120).astype(np.float32)
    votes = NeighbourVotes(5).fit(q, t, labels)
    new_q, new_t = unit(rng, 30, 32), unit(rng, 30, 32)
    expected = votes.transform(new_q, new_t)
    save_file(votes.arrays(), str(tmp_path / "n.safetensors"))
    arrays = load_file(str(tmp_path / "n.safetensors"))
    assert arrays["neighbour_q_distinct"].shape == (20, 32)
    assert arrays["neighbour_t_distinct"].shape == (len(np.unique(votes.t_, axis=0)), 32)
    assert "neighbour_q" not in arrays and "neighbour_t" not in arrays
    loaded = NeighbourVotes.from_arrays(5, arrays, "n.safetensors")
    assert loaded.q_.tobytes() == votes.q_.tobytes() and loaded.t_.tobytes() == votes.t_.tobytes()
    np.testing.assert_array_equal(loaded.transform(new_q, new_t), expected)
    # as older releases saved them, one vector per row: loaded alike
    old = {"neighbour_q": votes.q_, "neighbour_t": votes.t_, "neighbour_labels": labels}
    np.testing.assert_array_equal(
        NeighbourVotes.from_arrays(5, old, "n.safetensors").transform(new_q, new_t), expected)


def test_a_saved_place_past_the_distinct_vectors_is_refused_naming_the_field():
    from shoprel.errors import RunDirError

    rng = np.random.default_rng(4)
    arrays = NeighbourVotes(3).fit(unit(rng, 10), unit(rng, 10), np.ones(10, np.float32)).arrays()
    arrays["neighbour_q_place"][-1] = 10
    with pytest.raises(RunDirError) as info:
        NeighbourVotes.from_arrays(3, arrays, "n.safetensors")
    assert str(info.value) == ("n.safetensors: field 'neighbour_q_place' holds 10, but "
                               "'neighbour_q_distinct' has 10 rows")


def test_target_vectors_the_model_saves_anyway_are_saved_as_places_among_them():
    """The target rank keeps each training target's float16 vector: the votes' target vectors
    are the same bits, so they are saved as places among those (where every one is there)."""
    from shoprel.errors import RunDirError

    rng = np.random.default_rng(5)
    targets = unit(rng, 40, 16).astype(np.float16)
    t = targets[rng.integers(0, 40, 90)]
    votes = NeighbourVotes(4).fit(unit(rng, 90, 16), t, rng.integers(0, 2, 90).astype(np.float32))
    new_q, new_t = unit(rng, 12, 16), unit(rng, 12, 16)
    expected = votes.transform(new_q, new_t)
    table = targets[::-1].copy()  # in another order than the rows first use them
    arrays = votes.arrays(table)
    assert "neighbour_t_distinct" not in arrays and arrays["neighbour_t_place"].shape == (90,)
    loaded = NeighbourVotes.from_arrays(4, arrays, "n.safetensors", ("the table", table))
    assert loaded.t_.tobytes() == votes.t_.tobytes()
    np.testing.assert_array_equal(loaded.transform(new_q, new_t), expected)
    with pytest.raises(RunDirError) as info:
        NeighbourVotes.from_arrays(4, arrays, "n.safetensors")
    assert str(info.value) == ("n.safetensors: field 'neighbour_t_distinct' missing, and the "
                               "places of 'neighbour_t_place' point into no vectors, which the "
                               "model does not have")
    # a table lacking one of the vectors: the distinct vectors are saved, as without one
    lacking = table[(table != t[0]).any(axis=1)]
    assert len(lacking) == len(table) - 1
    assert "neighbour_t_distinct" in votes.arrays(lacking)
