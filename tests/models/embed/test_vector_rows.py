"""The row helpers give the exact answer of the slow way they replace."""

import numpy as np
import pytest

from shoprel.models.embed.vector_rows import distinct_rows, top_k_columns


def k_largest(values, columns):
    return np.sort(np.take_along_axis(values, columns, axis=1), axis=1)


@pytest.mark.parametrize(("rows", "n", "k"), [
    (50, 7650, 20),   # blocks of 19, the last one short
    (30, 3000, 7),    # columns a whole number of blocks
    (10, 300, 20),    # few blocks: whole rows partitioned
    (5, 40, 40),      # every column
    (3, 1, 1),
])
def test_top_k_columns_finds_the_k_largest_values(rows, n, k):
    values = np.random.default_rng(n).standard_normal((rows, n)).astype(np.float32)
    got = top_k_columns(values, k)
    assert got.shape == (rows, k)
    assert all(len(set(row)) == k for row in got.tolist())  # k distinct columns a row
    expected = np.argsort(-values, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(k_largest(values, got), k_largest(values, expected))


def test_top_k_columns_with_ties_and_a_best_value_in_the_short_last_block():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 5, (40, 2001)).astype(np.float32)  # many equal values
    values[:, -1] = 9  # the best column is the short last block's only one
    got = top_k_columns(values, 15)
    assert (got == 2000).any(axis=1).all()
    expected = np.argsort(-values, axis=1, kind="stable")[:, :15]
    np.testing.assert_array_equal(k_largest(values, got), k_largest(values, expected))


def test_top_k_columns_refuses_a_k_it_cannot_give():
    with pytest.raises(ValueError, match="k must be between 1 and the 4 columns"):
        top_k_columns(np.zeros((2, 4), np.float32), 5)


def test_distinct_rows_keeps_first_appearances_in_order():
    rows = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4]], dtype=np.float32)
    distinct, place = distinct_rows(rows)
    np.testing.assert_array_equal(distinct, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(place, [0, 1, 0, 2, 1])
    np.testing.assert_array_equal(distinct[place], rows)
