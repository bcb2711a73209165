"""The lexical features computed once per distinct text (models/lexical/sides.py) are exactly
the per-row features they replaced: same tokens (so the same hashed columns for saved models),
same label-rate keys, same overlap statistics, on real rows and on edge cases."""

from itertools import chain

import mmh3
import numpy as np
import pytest
import scipy.sparse as sp

from shoprel.data import category
from shoprel.data.category import node_prefixes
from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task
from shoprel.models.lexical.features import (
    hashed_matrix,
    overlap_features,
    prior_keys,
    qc_tokens,
    qi_tokens,
)
from shoprel.models.lexical.text import char_ngrams, normalise, words


# --- the per-row implementation as it was, the reference ------------------------------------
def old_qc_tokens(query, path, language):
    q = normalise(query)
    nodes = node_prefixes(normalise(path))[:4]
    leaf = nodes[-1] if nodes else ""
    q_words = words(q)
    q_grams = char_ngrams(q, (2, 3))
    tokens = [f"q:{w}" for w in q_words] + [f"g:{g}" for g in q_grams]
    tokens += [f"n{d}:{node}" for d, node in enumerate(nodes)]
    tokens += [f"lang:{language}|{nodes[0]}"] if nodes else []
    for d, node in enumerate(nodes):
        tokens += [f"x{d}:{w}|{node}" for w in q_words]
    for d, node in enumerate(nodes[:2]):
        tokens += [f"y{d}:{g}|{node}" for g in q_grams if len(g.strip()) >= 2]
    tokens += [f"w:{w}|{c}" for w in q_words for c in set(words(leaf))]
    leaf_words = set(words(leaf.rsplit(",", 1)[-1]))
    tokens += [f"m:{w}" for w in q_words if w in leaf_words]
    return tokens


def old_qi_tokens(query, title, language):
    q, t = normalise(query), normalise(title)
    q_words, t_words = words(q), words(t)
    t_set = set(t_words)
    tokens = [f"q:{w}" for w in q_words] + [f"g:{g}" for g in char_ngrams(q, (2, 3))]
    tokens += [f"t:{w}" for w in t_words]
    tokens += [f"x:{a}|{b}" for a in q_words for b in t_words[:24]]
    tokens += [f"m:{w}" for w in q_words if w in t_set]
    tokens += [f"lang:{language}|m{min(sum(w in t_set for w in q_words), 3)}"]
    return tokens


def old_hashed_rows(token_lists, n_features):
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    hashes = np.fromiter(map(mmh3.hash, chain.from_iterable(token_lists)), dtype=np.int64,
                         count=int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    columns = (np.abs(hashes) % n_features).astype(np.int32)
    matrix = sp.csr_matrix((np.ones(len(columns)), columns, indptr),
                           shape=(len(token_lists), n_features))
    matrix.sum_duplicates()
    counts = np.diff(matrix.indptr)
    matrix.data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1).astype(np.float64)), counts)
    return matrix


def old_overlap_features(task, queries, targets):
    rows = []
    for query, target in zip(queries, targets, strict=True):
        q, t = normalise(query), normalise(target)
        q_words, t_words = set(words(q)), set(words(t))
        q_grams, t_grams = set(char_ngrams(q, (3,))), set(char_ngrams(t, (3,)))
        union = q_grams | t_grams
        if task is Task.QC:
            nodes = node_prefixes(t)
            leaf_words = set(words(nodes[-1].rsplit(",", 1)[-1])) if nodes else set()
            levels = len(nodes)
        else:
            leaf_words, levels = t_words, 0
        rows.append((
            len(q), len(q_words), len(t_words), levels,
            len(q_words & t_words) / len(q_words) if q_words else 0.0,
            len(q_grams & t_grams) / len(union) if union else 0.0,
            len(q_words & leaf_words) / len(q_words) if q_words else 0.0,
            sum(ch.isascii() for ch in q) / len(q) if q else 1.0,
            sum(ch.isdigit() for ch in q),
        ))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 9)


def old_prior_keys(task, target, language):
    keys = [f"lang:{language}"]
    if task is Task.QC:
        nodes = node_prefixes(normalise(target))[:4]
        keys += [nodes[d] if d < len(nodes) else "" for d in range(4)]
    return keys


# --- rows ---------------------------------------------------------------------------------------
EDGE_QUERIES = ["", "   ", "a", "ＦＵＬＬ　ｗｉｄｔｈ ½", "Ünïcödé café", "양변기부속", "x x x",
                "3/4 in. 12v", "ドラクエ,ドラクエ"]
EDGE_PATHS = ["single", "", ",", "a,b,c,d,e,f", "automobiles, parts & accessories,exterior parts",
              "Home Improvement,Bathroom Fixture,Toilets & Toilet Parts,Flappers & Tank Balls,x",
              "ÉCOLE,ÉTÉ", "women's clothing, x,y"]
EDGE_TITLES = ["", "Delta 1-Handle Shower Faucet in Chrome (Valve Not Included)", "ＡＢＣ 12 in.",
               " ".join(f"w{i}" for i in range(40)), "chrome chrome chrome"]


def rows_of(path, n, edge_targets):
    df = read_pairs(path).df
    df = df.iloc[np.random.default_rng(0).choice(len(df), n, replace=False)]
    queries, targets, languages = (df["query"].tolist(), df["target"].tolist(),
                                   df["language"].tolist())
    for i, (query, target) in enumerate((q, t) for q in EDGE_QUERIES for t in edge_targets):
        queries.append(query)
        targets.append(target)
        languages.append(["en", "", "ko"][i % 3])
    # a query repeated over several targets (a QI query's titles), and a whole row twice
    queries += [queries[0]] * 4 + [queries[1]]
    targets += targets[1:5] + [targets[1]]
    languages += languages[1:5] + [languages[1]]
    return queries, targets, languages


@pytest.mark.parametrize("task", [Task.QC, Task.QI])
def test_features_are_exactly_the_per_row_ones(task, real_qc, real_qi):
    queries, targets, languages = (rows_of(real_qc, 400, EDGE_PATHS) if task is Task.QC
                                   else rows_of(real_qi, 400, EDGE_TITLES))
    new, old = (qc_tokens, old_qc_tokens) if task is Task.QC else (qi_tokens, old_qi_tokens)
    for _ in range(2):  # the second time from the kept targets' parts
        rows = list(zip(queries, targets, languages, strict=True))
        assert [new(*row) for row in rows] == [old(*row) for row in rows]
        assert ([prior_keys(task, t, lang) for t, lang in zip(targets, languages, strict=True)]
                == [old_prior_keys(task, t, lang)
                    for t, lang in zip(targets, languages, strict=True)])
        np.testing.assert_array_equal(overlap_features(task, queries, targets),
                                      old_overlap_features(task, queries, targets))
    matrix = hashed_matrix(task, queries, targets, languages, 2**18)
    reference = old_hashed_rows([old(*row) for row in rows], 2**18)
    for name in ("indptr", "indices", "data"):  # bit for bit
        np.testing.assert_array_equal(getattr(matrix, name), getattr(reference, name))
    assert matrix.shape == reference.shape and matrix.nnz > 50 * len(rows)


def test_no_rows():
    for task in (Task.QC, Task.QI):
        assert hashed_matrix(task, [], [], [], 2**10).shape == (0, 2**10)
        assert overlap_features(task, [], []).shape == (0, 9)


def test_a_target_is_parsed_once_across_calls(monkeypatch):
    """A batch's rows of one path, and the next batches', reuse its parsed parts: its levels
    are split once for its tokens and keys and once for its overlap, not three times a row."""
    calls = []
    split = category.split_levels
    monkeypatch.setattr(category, "split_levels", lambda path: calls.append(path) or split(path))
    paths = ["parsed once,bathroom fixture,toilets", "parsed once,cycling"] * 40
    queries = [f"query {i}" for i in range(len(paths))]
    for _ in range(3):
        hashed_matrix(Task.QC, queries, paths, ["en"] * len(paths), 2**10)
        overlap_features(Task.QC, queries, paths)
        [prior_keys(Task.QC, p, "en") for p in paths]
    assert len(calls) <= 4  # none if an earlier test in this process parsed them
