"""Features of the fast model: hashed sparse tokens and crosses, dense overlap statistics."""

from __future__ import annotations

from itertools import chain

import mmh3
import numpy as np
import scipy.sparse as sp

from shoprel.data.category import node_prefixes
from shoprel.data.tasks import Task
from shoprel.models.lexical.text import ascii_fraction, char_ngrams, normalise, words

# Depth of category nodes that get their own crosses and priors; deeper levels fold into the leaf.
NODE_DEPTH = 4


def qc_tokens(query: str, path: str, language: str) -> list[str]:
    """Query words and n-grams, category nodes, and their crosses (query word × node)."""
    q = normalise(query)
    nodes = node_prefixes(normalise(path))[:NODE_DEPTH]
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
    # query word × category word generalises to category nodes never seen in training
    tokens += [f"w:{w}|{c}" for w in q_words for c in set(words(leaf))]
    leaf_words = set(words(leaf.rsplit(",", 1)[-1]))
    tokens += [f"m:{w}" for w in q_words if w in leaf_words]
    return tokens


def qi_tokens(query: str, title: str, language: str) -> list[str]:
    """Query words and n-grams, title words, query word × title word crosses, exact matches."""
    q, t = normalise(query), normalise(title)
    q_words, t_words = words(q), words(t)
    t_set = set(t_words)
    tokens = [f"q:{w}" for w in q_words] + [f"g:{g}" for g in char_ngrams(q, (2, 3))]
    tokens += [f"t:{w}" for w in t_words]
    tokens += [f"x:{a}|{b}" for a in q_words for b in t_words[:24]]
    tokens += [f"m:{w}" for w in q_words if w in t_set]
    tokens += [f"lang:{language}|m{min(sum(w in t_set for w in q_words), 3)}"]
    return tokens


def hashed_matrix(task: Task, queries, targets, languages, n_features: int) -> sp.csr_matrix:
    """Binary hashed tokens, rows scaled to unit length so long titles do not dominate."""
    make = qc_tokens if task is Task.QC else qi_tokens
    return binary_hashed_rows(
        (make(q, t, lang) for q, t, lang in zip(queries, targets, languages, strict=True)),
        n_features)


def binary_hashed_rows(token_lists, n_features: int) -> sp.csr_matrix:
    """One row per token list: 1/sqrt(n) in the column of each of its n distinct hashes.

    The column of a token is |MurmurHash3-32 (seed 0) of its UTF-8 bytes| mod n_features,
    scikit-learn's FeatureHasher's (tested equal on real rows), so models saved before keep
    their columns; computed here so that scoring does not import scikit-learn (~1.2 s a
    command).
    """
    token_lists = list(token_lists)
    lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    hashes = np.fromiter(map(mmh3.hash, chain.from_iterable(token_lists)), dtype=np.int64,
                         count=int(lengths.sum()))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    columns = (np.abs(hashes) % n_features).astype(np.int32)
    matrix = sp.csr_matrix((np.ones(len(columns)), columns, indptr),
                           shape=(len(token_lists), n_features))
    matrix.sum_duplicates()  # sorts each row's columns and merges repeats (and collisions)
    counts = np.diff(matrix.indptr)
    matrix.data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1).astype(np.float64)), counts)
    return matrix


OVERLAP_NAMES = ("query_chars", "query_words", "target_words", "target_levels",
                 "word_recall", "gram_jaccard", "leaf_word_recall", "query_ascii", "query_digits")


def overlap_features(task: Task, queries, targets) -> np.ndarray:
    """How much of the query the target covers, and the shapes of both texts."""
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
            ascii_fraction(q),
            sum(ch.isdigit() for ch in q),
        ))
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(OVERLAP_NAMES))


def prior_keys(task: Task, target: str, language: str) -> list[str]:
    """The slots whose label rates the model learns: language, and category nodes by depth."""
    keys = [f"lang:{language}"]
    if task is Task.QC:
        nodes = node_prefixes(normalise(target))[:NODE_DEPTH]
        keys += [nodes[d] if d < len(nodes) else "" for d in range(NODE_DEPTH)]
    return keys


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
