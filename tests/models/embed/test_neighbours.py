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
    trained_queries = votes.__dict__["_by_target"][1][2]
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

