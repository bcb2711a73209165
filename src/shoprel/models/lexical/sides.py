"""What the lexical features need of one query, one category path or one title on its own.

A pair's tokens, label-rate keys and overlap statistics used to normalise, split and cut both
of its texts into n-grams row after row (three times over), though a text's share of that work
does not depend on the other side. Here it is done once per distinct text: a target's parts are
kept (a batch's or a server's category paths come from one taxonomy), a query's while its rows
follow each other (a QI query comes with ~6 titles). What the tokens need and what the overlap
statistics need are kept apart, so that a text seen once (a new query) costs no more than before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from shoprel.data.category import node_prefixes
from shoprel.models.lexical.text import ascii_fraction, char_ngrams, normalise, words

# Depth of category nodes that get their own crosses and priors; deeper levels fold into the leaf.
NODE_DEPTH = 4
# Targets kept (~8 KB each, both kinds of parts: at most ~35 MB): every path of a taxonomy
# (3,183 among the real QC rows), or a busy share of a catalogue's titles. A query is kept only
# while its rows follow each other (`repeats_reused`): a new query is rarely asked again soon
TARGETS_KEPT = 1 << 12


T = TypeVar("T")


def repeats_reused(parse: Callable[[str], T]) -> Callable[[str], T]:
    """`parse` that gives its last answer again for the same text: a QI query's rows come
    together. Keeping every query of a large file instead left enough objects alive to wake
    Python's full garbage collection (the lexical features of 5,000 QC rows took 15% longer)."""
    last: list = [None, None]

    def parsed(text: str) -> T:
        if last[1] is None or text != last[0]:
            last[0], last[1] = text, parse(text)
        return last[1]

    return parsed


@dataclass(frozen=True, slots=True)
class QueryTokens:
    words: tuple[str, ...]
    tokens: tuple[str, ...]  # its own hashed tokens: words ("q:") and 2-/3-grams ("g:")
    cross_grams: tuple[str, ...]  # grams with two characters or more besides the padding
    title_heads: tuple[str, ...]  # "x:{word}|", the start of its crosses with a title's words


@dataclass(frozen=True, slots=True)
class QueryOverlap:
    word_set: frozenset[str]
    trigrams: frozenset[str]
    chars: int
    ascii: float
    digits: int


@dataclass(frozen=True, slots=True)
class PathTokens:
    nodes: tuple[str, ...]  # the first NODE_DEPTH nodes, top level first
    node_tokens: tuple[str, ...]
    prior_nodes: tuple[str, ...]  # NODE_DEPTH label-rate keys, "" past the path's depth
    leaf_words: tuple[str, ...]  # distinct words of the deepest kept node (crossed)
    leaf_last_words: frozenset[str]  # words after that node's last comma (matched)


@dataclass(frozen=True, slots=True)
class TitleTokens:
    tokens: tuple[str, ...]  # its own hashed tokens: words ("t:")
    crossed: tuple[str, ...]  # the first 24 words, crossed with the query's
    word_set: frozenset[str]


@dataclass(frozen=True, slots=True)
class TargetOverlap:
    word_set: frozenset[str]
    trigrams: frozenset[str]
    levels: int  # category levels (0 for a title)
    leaf_words: frozenset[str]  # a path's words after its last comma, a title's words


def query_tokens(query: str) -> QueryTokens:
    q = normalise(query)
    q_words = tuple(words(q))
    grams = char_ngrams(q, (2, 3))
    return QueryTokens(
        words=q_words,
        tokens=tuple([f"q:{w}" for w in q_words] + [f"g:{g}" for g in grams]),
        cross_grams=tuple([g for g in grams if len(g.strip()) >= 2]),
        title_heads=tuple([f"x:{w}|" for w in q_words]),
    )


def query_overlap(query: str) -> QueryOverlap:
    q = normalise(query)
    return QueryOverlap(word_set=frozenset(words(q)), trigrams=frozenset(char_ngrams(q, (3,))),
                        chars=len(q), ascii=ascii_fraction(q), digits=sum(map(str.isdigit, q)))


def _last_words(node: str) -> frozenset[str]:
    return frozenset(words(node.rsplit(",", 1)[-1]))


@lru_cache(maxsize=TARGETS_KEPT)
def path_tokens(path: str) -> PathTokens:
    nodes = tuple(node_prefixes(normalise(path))[:NODE_DEPTH])
    leaf = nodes[-1] if nodes else ""
    return PathTokens(
        nodes=nodes,
        node_tokens=tuple([f"n{d}:{node}" for d, node in enumerate(nodes)]),
        prior_nodes=nodes + ("",) * (NODE_DEPTH - len(nodes)),
        leaf_words=tuple(set(words(leaf))),
        leaf_last_words=_last_words(leaf),
    )


@lru_cache(maxsize=TARGETS_KEPT)
def title_tokens(title: str) -> TitleTokens:
    t_words = words(normalise(title))
    return TitleTokens(tokens=tuple([f"t:{w}" for w in t_words]), crossed=tuple(t_words[:24]),
                       word_set=frozenset(t_words))


@lru_cache(maxsize=TARGETS_KEPT)
def path_overlap(path: str) -> TargetOverlap:
    t = normalise(path)
    nodes = node_prefixes(t)
    return TargetOverlap(word_set=frozenset(words(t)), trigrams=frozenset(char_ngrams(t, (3,))),
                         levels=len(nodes),
                         leaf_words=_last_words(nodes[-1]) if nodes else frozenset())


@lru_cache(maxsize=TARGETS_KEPT)
def title_overlap(title: str) -> TargetOverlap:
    t = normalise(title)
    t_words = frozenset(words(t))
    return TargetOverlap(word_set=t_words, trigrams=frozenset(char_ngrams(t, (3,))), levels=0,
                         leaf_words=t_words)
