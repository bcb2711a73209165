"""Where a pair stands among the query's similarities to every training target."""

import numpy as np
import pytest

from shoprel.errors import RunDirError
from shoprel.models.backbones.target_index import hashes
from shoprel.models.embed.target_rank import COLUMNS, KIND, TargetRank


def _unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# four training targets; the query lies along the first axis
TARGETS = _unit([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
NAMES = ["a", "b", "c", "d"]
QUERY = _unit([[1.0, 0.0, 0.0]])


def test_columns_by_hand():
    rank = TargetRank().fit(TARGETS, NAMES)
    new = _unit([[0.6, 0.8, 0.0]])  # cosine 0.6 with the query, a target never fitted
    got = rank.transform(QUERY, new, ["e"])[0]
    others = np.array([1.0, 0.8, 0.0, 0.0])  # the query's cosine to a, b, c, d
    z = (0.6 - others.mean()) / others.std()
    np.testing.assert_allclose(got, [0.6 - 1.0, 0.6 - others.mean(), z, 2 / 4, 1.0], atol=1e-3)
    assert len(got) == len(COLUMNS)


def test_a_row_never_compares_its_target_with_itself():
    fitted = TargetRank().fit(TARGETS, NAMES)
    without_b = TargetRank().fit(TARGETS[[0, 2, 3]], ["a", "c", "d"])
    # the pair (query, b) of a fitted row reads like the same pair against the other targets
    np.testing.assert_allclose(fitted.transform(QUERY, TARGETS[[1]], ["b"]),
                               without_b.transform(QUERY, TARGETS[[1]], ["b"]), atol=1e-6)
    assert fitted.transform(QUERY, TARGETS[[1]], ["b"])[0, 3] == pytest.approx(1 / 3)


def test_repeated_targets_are_kept_once_and_chunks_change_nothing(monkeypatch):
    rng = np.random.default_rng(0)
    t = _unit(rng.normal(size=(50, 8)))
    names = [f"t{i % 20}" for i in range(50)]
    t = t[[i % 20 for i in range(50)]]  # the same text, the same vector
    rank = TargetRank().fit(t, names)
    assert len(rank.keys_) == 20 and rank.vectors_.dtype == np.float16
    q = _unit(rng.normal(size=(50, 8)))
    whole = rank.transform(q, t, names)
    # parts of the rows side by side in threads: the same columns. Not bit for bit: a BLAS
    # may take another kernel for a product of fewer rows (CI's OpenBLAS did: 2 float32 ulp)
    np.testing.assert_allclose(rank.transform(q, t, names, workers=3), whole, rtol=0, atol=1e-6)
    monkeypatch.setattr("shoprel.models.embed.target_rank.CELLS", 7)  # 1 row per chunk
    np.testing.assert_allclose(rank.transform(q, t, names), whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("cells", [1 << 23, 7])
def test_rows_sharing_a_query_read_as_if_scored_alone(monkeypatch, cells):
    """Per-query sums and best few are computed once for all its rows, in any row order."""
    rng = np.random.default_rng(1)
    targets = _unit(rng.normal(size=(30, 8)))
    names = [f"t{i}" for i in range(30)]
    rank = TargetRank().fit(targets, names)
    queries = _unit(rng.normal(size=(6, 8)))
    which = rng.permutation(np.repeat(np.arange(6), 5))  # each query 5 times, shuffled
    own = rng.integers(0, 30, size=30)
    own[1::3] = np.argmax(queries @ targets.T, axis=1)[which[1::3]]  # the query's best target
    rows_t = np.where((np.arange(30) % 3 == 0)[:, None], _unit(rng.normal(size=(30, 8))),
                      targets[own])
    rows_names = [f"new {i}" if i % 3 == 0 else names[own[i]] for i in range(30)]
    monkeypatch.setattr("shoprel.models.embed.target_rank.CELLS", cells)
    together = rank.transform(queries[which], rows_t, rows_names)
    alone = np.vstack([rank.transform(queries[which[[i]]], rows_t[[i]], rows_names[i:i + 1])
                       for i in range(30)])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
    # a row whose own target is its query's best compares with the second best
    assert len(np.unique(together[:, 4].round(6))) > 6


def test_a_second_target_with_the_same_vector_still_counts_as_another():
    names = NAMES + ["a again"]  # another text that embeds like "a"
    rank = TargetRank().fit(np.vstack([TARGETS, TARGETS[:1]]), names)
    queries = np.repeat(QUERY, 2, axis=0)  # two rows of one query: computed once for both
    got = rank.transform(queries, TARGETS[[0, 0]], ["a", "a"])
    np.testing.assert_allclose(got[:, 0], 0.0, atol=1e-3)  # "a again" is as good as "a"
    np.testing.assert_allclose(got[:, 4], 1.0, atol=1e-3)


def test_no_other_target_gives_nan():
    rank = TargetRank().fit(TARGETS[:1], ["a"])
    assert np.isnan(rank.transform(QUERY, TARGETS[:1], ["a"])).all()
    assert not np.isnan(rank.transform(QUERY, TARGETS[1:2], ["b"])).any()


def test_saved_arrays_round_trip_and_bad_ones_are_named():
    rank = TargetRank().fit(TARGETS, NAMES)
    again = TargetRank.from_arrays(rank.arrays(), 3, "x.safetensors")
    queries = np.repeat(QUERY, 4, axis=0)
    np.testing.assert_array_equal(again.transform(queries, TARGETS, NAMES),
                                  rank.transform(queries, TARGETS, NAMES))
    with pytest.raises(RunDirError, match="x.safetensors: field 'target_keys' missing"):
        TargetRank.from_arrays({"target_vectors": rank.vectors_}, 3, "x.safetensors")
    with pytest.raises(RunDirError, match="field 'target_vectors' has shape .4, 3.; expected "
                                          r"\(targets, 5\)"):
        TargetRank.from_arrays(rank.arrays(), 5, "x.safetensors")
    with pytest.raises(RunDirError, match="'target_keys' has shape .3,., but 'target_vectors' "
                                          "holds 4"):
        TargetRank.from_arrays({**rank.arrays(), "target_keys": rank.keys_[:3]}, 3, "x")


def test_targets_are_keyed_as_the_target_index_keys_them():
    rank = TargetRank().fit(TARGETS[[0, 1, 0]], ["a", "b", "a"])
    keys = hashes(KIND, ["a", "b", "a"])
    assert keys[0] == keys[2] != keys[1] and rank.keys_.dtype == np.uint64
    np.testing.assert_array_equal(rank.keys_, keys[:2])
    assert hashes(KIND, ["a"])[0] == hashes(KIND, ["a"])[0]
