"""shoprel's own token hashing gives scikit-learn's FeatureHasher columns, so saved models keep
their meaning while scoring does without scikit-learn."""

import numpy as np
import pytest
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize

from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task
from shoprel.models.lexical.features import binary_hashed_rows, hashed_matrix, qc_tokens, qi_tokens


def sklearn_reference(token_lists, n_features):
    """What the lexical block computed before: FeatureHasher, capped at 1, rows at unit length."""
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    matrix = hasher.transform(token_lists).tocsr()
    matrix.data = np.minimum(matrix.data, 1.0)
    matrix = normalize(matrix, norm="l2", copy=False)
    matrix.sort_indices()
    return matrix


def assert_same(ours, reference):
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(ours.indptr, reference.indptr)
    np.testing.assert_array_equal(ours.indices, reference.indices)
    np.testing.assert_array_equal(ours.data, reference.data)  # bit for bit


@pytest.mark.parametrize("n_features", [2**18, 1000, 7])
def test_real_qc_rows_hash_to_sklearns_columns(real_qc, n_features):
    df = read_pairs(real_qc).df.head(3000)
    tokens = [qc_tokens(q, t, lang)
              for q, t, lang in zip(df["query"], df["target"], df["language"], strict=True)]
    ours = hashed_matrix(Task.QC, df["query"], df["target"], df["language"], n_features)
    assert_same(ours, sklearn_reference(tokens, n_features))
    # collisions (7 columns) merge into one binary cell, as FeatureHasher + cap did
    assert ours.data.max() <= 1.0 and np.allclose(ours.multiply(ours).sum(axis=1), 1.0)


def test_demo_qi_rows_and_edge_cases_hash_to_sklearns_columns(qi_demo):
    df = read_pairs(qi_demo).df
    tokens = [qi_tokens(q, t, lang)
              for q, t, lang in zip(df["query"], df["target"], df["language"], strict=True)]
    # non-ASCII text, an empty row, a repeated token
    tokens += [[], ["q:ドラクエ", "q:ドラクエ", "x:é|ü"], ["m:a"]]
    assert_same(binary_hashed_rows(tokens, 2**16), sklearn_reference(tokens, 2**16))
    assert binary_hashed_rows(tokens, 2**16)[len(tokens) - 3].nnz == 0
    assert binary_hashed_rows(tokens, 2**16)[len(tokens) - 2].nnz == 2
