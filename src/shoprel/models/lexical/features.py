"""Features of the fast model: hashed sparse tokens and crosses, dense overlap statistics."""

from __future__ import annotations

from itertools import chain

import mmh3
import numpy as np
import scipy.sparse as sp

from shoprel.data.tasks import Task
from shoprel.models.lexical.sides import (
    PathTokens,
    QueryTokens,
    TitleTokens,
    path_overlap,
    path_tokens,
    query_overlap,
    query_tokens,
    repeats_reused,
    title_overlap,
    title_tokens,
)


def qc_tokens(query: str, path: str, language: str) -> list[str]:
    """Query words and n-grams, category nodes, and their crosses (query word × node)."""
    return qc_crosses(query_tokens(query), path_tokens(path), language)


def qc_crosses(q: QueryTokens, p: PathTokens, language: str) -> list[str]:
    """qc_tokens from the query's and the path's own parts (sides.py): only what needs both."""
    tokens = [*q.tokens, *p.node_tokens]
    if p.nodes:
        tokens.append(f"lang:{language}|{p.nodes[0]}")
    for d, node in enumerate(p.nodes):
        head, tail = f"x{d}:", f"|{node}"
        tokens += [head + w + tail for w in q.words]
    for d, node in enumerate(p.nodes[:2]):
        head, tail = f"y{d}:", f"|{node}"  # joined by +: ~25% faster than an f-string each
        tokens += [head + g + tail for g in q.cross_grams]
    # query word × category word generalises to category nodes never seen in training
    tokens += [f"w:{w}|{c}" for w in q.words for c in p.leaf_words]
    tokens += [f"m:{w}" for w in q.words if w in p.leaf_last_words]
    return tokens


def qi_tokens(query: str, title: str, language: str) -> list[str]:
    """Query words and n-grams, title words, query word × title word crosses, exact matches."""
    return qi_crosses(query_tokens(query), title_tokens(title), language)


def qi_crosses(q: QueryTokens, t: TitleTokens, language: str) -> list[str]:
    """qi_tokens from the query's and the title's own parts (sides.py)."""
    tokens = [*q.tokens, *t.tokens]
    tokens += [head + b for head in q.title_heads for b in t.crossed]
    found = [w for w in q.words if w in t.word_set]
    tokens += [f"m:{w}" for w in found]
    tokens.append(f"lang:{language}|m{min(len(found), 3)}")
    return tokens


def hashed_matrix(task: Task, queries, targets, languages, n_features: int) -> sp.csr_matrix:
    """Binary hashed tokens, rows scaled to unit length so long titles do not dominate."""
    crosses, target = (qc_crosses, path_tokens) if task is Task.QC else (qi_crosses, title_tokens)
    query = repeats_reused(query_tokens)
    return binary_hashed_rows(
        (crosses(query(q), target(t), lang)
         for q, t, lang in zip(queries, targets, languages, strict=True)),
        n_features)


def binary_hashed_rows(token_lists, n_features: int) -> sp.csr_matrix:
    """One row per token list: 1/sqrt(n) in the column of each of its n distinct hashes.

    The column of a token is |MurmurHash3-32 (seed 0) of its UTF-8 bytes| mod n_features,
    scikit-learn's FeatureHasher's (tested equal on real rows), so models saved before keep
    their columns; computed here so that scoring does not import scikit-learn (~1.2 s a
    command).
    """
    lengths: list[int] = []

    def counted(tokens: list[str]) -> list[str]:
        lengths.append(len(tokens))
        return tokens

    # each row's tokens are hashed as it comes and then let go: holding every row's list (a
    # whole file's) kept enough objects alive to wake Python's full garbage collection
    hashes = np.fromiter(map(mmh3.hash, chain.from_iterable(map(counted, token_lists))),
                         dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    columns = (np.abs(hashes) % n_features).astype(np.int32)
    matrix = sp.csr_matrix((np.ones(len(columns)), columns, indptr),
                           shape=(len(lengths), n_features))
    matrix.sum_duplicates()  # sorts each row's columns and merges repeats (and collisions)
    counts = np.diff(matrix.indptr)
    matrix.data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1).astype(np.float64)), counts)
    return matrix


OVERLAP_NAMES = ("query_chars", "query_words", "target_words", "target_levels",
                 "word_recall", "gram_jaccard", "leaf_word_recall", "query_ascii", "query_digits")


def overlap_features(task: Task, queries, targets) -> np.ndarray:
    """How much of the query the target covers, and the shapes of both texts."""
    target_overlap = path_overlap if task is Task.QC else title_overlap
    query = repeats_reused(query_overlap)
    rows = []
    for text, target in zip(queries, targets, strict=True):
        q, t = query(text), target_overlap(target)
        q_words = q.word_set
        shared_grams = len(q.trigrams & t.trigrams)
        union = len(q.trigrams) + len(t.trigrams) - shared_grams
        rows.append((
            q.chars, len(q_words), len(t.word_set), t.levels,
            len(q_words & t.word_set) / len(q_words) if q_words else 0.0,
            shared_grams / union if union else 0.0,
            len(q_words & t.leaf_words) / len(q_words) if q_words else 0.0,
            q.ascii,
            q.digits,
        ))
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(OVERLAP_NAMES))


def prior_keys(task: Task, target: str, language: str) -> list[str]:
    """The slots whose label rates the model learns: language, and category nodes by depth."""
    if task is Task.QC:
        return [f"lang:{language}", *path_tokens(target).prior_nodes]
    return [f"lang:{language}"]


class SmoothedPriors:
    """Label rate per key, shrunk toward the global rate by `smoothing` pseudo-rows.

    Fitted on training rows only; unseen keys get the global rate and a count of zero.
    """

    def __init__(self, smoothing: float = 20.0):
        self.smoothing = smoothing
        self.global_rate = 0.5
        self.tables: list[dict[str, tuple[float, float]]] = []

    def fit(self, key_lists: list[list[str]], labels: np.ndarray) -> SmoothedPriors:
        self.global_rate = float(np.mean(labels))
        n_slots = len(key_lists[0]) if key_lists else 0
        self.tables = [{} for _ in range(n_slots)]
        for keys, label in zip(key_lists, labels, strict=True):
            for slot, key in enumerate(keys):
                total, count = self.tables[slot].get(key, (0.0, 0.0))
                self.tables[slot][key] = (total + float(label), count + 1.0)
        return self

    def transform(self, key_lists: list[list[str]]) -> np.ndarray:
        out = np.zeros((len(key_lists), 2 * len(self.tables)), dtype=np.float64)
        m, g = self.smoothing, self.global_rate
        for i, keys in enumerate(key_lists):
            for slot, key in enumerate(keys):
                total, count = self.tables[slot].get(key, (0.0, 0.0)) if key else (0.0, 0.0)
                out[i, 2 * slot] = (total + m * g) / (count + m)
                out[i, 2 * slot + 1] = np.log1p(count)
        return out

    def to_json(self) -> dict:
        return {"smoothing": self.smoothing, "global_rate": self.global_rate,
                "tables": [{k: list(v) for k, v in table.items()} for table in self.tables]}

    @classmethod
    def from_json(cls, data: dict) -> SmoothedPriors:
        priors = cls(data["smoothing"])
        priors.global_rate = data["global_rate"]
        priors.tables = [{k: tuple(v) for k, v in t.items()} for t in data["tables"]]
        return priors
