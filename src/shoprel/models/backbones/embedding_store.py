"""Where a backbone's vectors come from, cheapest first: target indexes built ahead, recent texts
kept in memory (a server sees the same queries again and again), the on-disk cache, and last the
encoder itself. Every source returns the vectors the encoder computed, so the path a text takes
never changes a score.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from shoprel.models.backbones.cache_keys import KnownKeys
from shoprel.models.backbones.cache_writes import store_later
from shoprel.models.backbones.embedding_cache import EmbeddingCache
from shoprel.models.backbones.target_index import TargetIndex

Encode = Callable[[list[str], str], np.ndarray]
SOURCES = ("index", "memory", "disk", "encoded")
# A kept text holds its vector (dimensions × 4 bytes) and its key: measured ~3.4 KB at 768
# dimensions (EmbeddingGemma), ~2.4 KB at 512 (USE), ~300 bytes of it key and bookkeeping. Each
# backbone of each model keeps its own texts, so the bound keeps one within a few GB.
MAX_RECENT_TEXTS = 1_000_000
RECENT_TEXT_BYTES_768 = 3_400


class CountsEmbeddedTexts:
    """Mixed into models that score through an EmbeddingStore: what serve's /metrics reads."""

    @property
    def embedding_counts_(self) -> Counter:
        """Distinct texts this instance embedded, per source (SOURCES)."""
        return self.__dict__.setdefault("_embedding_counts", Counter())


class RecentTexts:
    """A bounded least-recently-used map (kind, text) → vector, safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, kind: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        with self._lock:
            for text in texts:
                vector = self._items.get((kind, text))
                if vector is not None:
                    self._items.move_to_end((kind, text))
                    found[text] = vector
        return found

    def store(self, kind: str, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            for text, vector in items.items():
                self._items[(kind, text)] = vector
                self._items.move_to_end((kind, text))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class EmbeddingStore:
    """One backbone's vectors through the layers; `counts` tallies distinct texts per source."""

    def __init__(self, encode: Encode, cache: EmbeddingCache | None = None,
                 indexes: Sequence[TargetIndex] = (), recent: RecentTexts | None = None,
                 counts: Counter | None = None, write_behind: bool = False,
                 known_keys: KnownKeys | None = None):
        self.encode = encode
        self.cache = cache
        self.indexes = list(indexes)
        self.recent = recent
        self.counts = counts if counts is not None else Counter()
        self.write_behind = write_behind  # disk writes on the cache writer's thread
        self.known_keys = known_keys  # texts the cache surely lacks are not asked of it

    def embed(self, texts: Sequence[str], kind: str, keep: bool = True) -> np.ndarray:
        """Row per text. keep=False: texts the encoder had to compute are not written to the
        disk cache (an index build stores them in the index instead)."""
        distinct = list(dict.fromkeys(str(t) for t in texts))
        found: dict[str, np.ndarray] = {}
        for index in self.indexes:  # an index of targets answers a query with nothing, unsearched
            self._take("index", found, index.lookup(kind, self._missing(distinct, found)))
        if self.recent is not None:
            self._take("memory", found, self.recent.lookup(kind, self._missing(distinct, found)))
        cheap = set(found)  # indexed or already in memory
        if self.cache is not None:
            asked = self._missing(distinct, found)
            if self.known_keys is not None:
                asked = self.known_keys.may_hold(kind, asked)
            self._take("disk", found, self.cache.lookup(kind, asked))
        missing = self._missing(distinct, found)
        if missing:
            fresh = dict(zip(missing, self.encode(missing, kind), strict=True))
            self.counts["encoded"] += len(missing)
            if self.cache is not None and keep:
                vectors = np.vstack(list(fresh.values()))
                if self.write_behind:
                    store_later(self.cache, kind, missing, vectors)
                else:
                    self.cache.store(kind, missing, vectors)
                if self.known_keys is not None:
                    self.known_keys.add(kind, missing)
            found.update(fresh)
        if self.recent is not None:
            self.recent.store(kind, {t: found[t] for t in distinct if t not in cheap})
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[str(t)] for t in texts])

    def _take(self, source: str, found: dict, new: dict) -> None:
        """Tally and keep what `source` gave; a source that gave nothing is not tallied, so the
        counts (serve's /metrics) name only the sources texts came from."""
        if new:
            self.counts[source] += len(new)
            found.update(new)

    @staticmethod
    def _missing(distinct: list[str], found: dict) -> list[str]:
        return [t for t in distinct if t not in found]
