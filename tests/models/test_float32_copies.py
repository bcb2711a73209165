import numpy as np

from shoprel.models.embed.neighbours import NeighbourVotes
from shoprel.models.embed.target_rank import TargetRank
from shoprel.models.float32_copies import float32_copies


class Holder:
    pass


def test_copy_is_made_once_per_array():
    owner, a = Holder(), np.arange(6, dtype=np.float16).reshape(2, 3)
    (first,) = float32_copies(owner, a)
    (again,) = float32_copies(owner, a)
    assert first.dtype == np.float32 and again is first
    np.testing.assert_array_equal(first, a.astype(np.float32))


def test_new_arrays_of_the_same_shape_are_not_served_the_old_copy():
    owner = Holder()
    float32_copies(owner, np.zeros((2, 3), np.float16))
    (fresh,) = float32_copies(owner, np.ones((2, 3), np.float16))
    assert fresh.sum() == 6


def test_refitted_blocks_score_with_their_new_vectors():
    rng = np.random.default_rng(0)
    q, t = rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    votes = NeighbourVotes(k=2).fit(q, t, np.array([1, 0, 1, 0]))
    votes.transform(q, t)
    refitted = votes.fit(-q, -t, np.array([1, 0, 1, 0])).transform(q, t)
    np.testing.assert_allclose(refitted, NeighbourVotes(k=2).fit(-q, -t, np.array([1, 0, 1, 0]))
                               .transform(q, t))
    texts = ["a", "b", "c", "d"]
    rank = TargetRank().fit(t, texts)
    rank.transform(q, t, texts)
    again = rank.fit(-t, texts).transform(q, -t, texts)
    np.testing.assert_allclose(again, TargetRank().fit(-t, texts).transform(q, -t, texts))
