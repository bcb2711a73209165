"""Offline rule-based translation with Debian's Apertium: batched calls, pivot routes."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict, deque

from shoprel.augment.translator import TranslationError, check_batch, target_region
from shoprel.data.language_tags import base_language

# A line that every installed pair passes through untouched (checked on each call), so one
# process translates many texts: start-up costs ~0.13 s, a short query ~1 ms.
SEPARATOR = "⟦0⟧"
PLAIN_MODE = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
REGIONAL_MODE = re.compile(r"^([a-z]{2,3}-[a-z]{2,3})_([A-Za-z0-9]+)$")  # es-pt_BR, spa-eng_US
PREFERRED_PIVOTS = ("es", "ca", "en", "fr", "pt", "it", "gl")


def installed_modes(binary: str = "apertium") -> list[str]:
    """Mode names such as 'spa-eng' that `apertium -l` lists."""
    try:
        out = subprocess.run([binary, "-l"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise TranslationError(f"cannot list Apertium pairs with '{binary} -l': {exc}") from None
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def pair_graph(modes: list[str]) -> dict[str, dict[str, str]]:
    """source → {target: mode}; dialect variants ('spa-eng_US') and debug modes are skipped."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for mode in modes:
        match = PLAIN_MODE.match(mode)
        if match:
            graph[base_language(match.group(1))].setdefault(base_language(match.group(2)), mode)
    return dict(graph)


def regional_modes(modes: list[str]) -> dict[tuple[str, str], str]:
    """(plain mode, region in lower case) -> its regional variant: ('es-pt', 'br') ->
    'es-pt_BR', ('spa-cat', 'valencia') -> 'spa-cat_valencia'. Routes are planned over the
    plain pairs; a target that names a region then ends on its variant where one is listed."""
    variants = {}
    for mode in modes:
        match = REGIONAL_MODE.match(mode)
        if match:
            variants[(match.group(1), match.group(2).lower())] = mode
    return variants


def plan_route(graph: dict[str, dict[str, str]], source: str, target: str,
               max_hops: int = 3) -> list[str] | None:
    """Fewest hops from source to target, pivoting through Spanish first when hops tie.

    Returns the list of modes to chain ([] when source is target), or None when no route.
    """
    if source == target:
        return []
    rank = {lang: i for i, lang in enumerate(PREFERRED_PIVOTS)}
    previous: dict[str, tuple[str, str]] = {}
    queue = deque([(source, 0)])
    seen = {source}
    while queue:
        lang, hops = queue.popleft()
        if hops >= max_hops:
            continue
        for nxt in sorted(graph.get(lang, {}), key=lambda x: (x != target, rank.get(x, 99), x)):
            if nxt in seen:
                continue
            seen.add(nxt)
            previous[nxt] = (lang, graph[lang][nxt])
            if nxt == target:
                modes = []
                while nxt != source:
                    nxt, mode = previous[nxt]
                    modes.append(mode)
                return modes[::-1]
            queue.append((nxt, hops + 1))
    return None


def _clean(source: str, output: str) -> str:
    """Drop error marks (# generation, @ transfer) the source lacked; keep the query's casing.

    Apertium capitalises a sentence's first word; shoppers' queries are mostly lower case.
    """
    for mark in "#@":
        if mark not in source:
            output = output.replace(mark, "")
    output = " ".join(output.split())
    return output.lower() if source == source.lower() else output


def _split_batch(output: str, count: int) -> list[str] | None:
    """The texts back out of a batched output, or None if its shape is not what was sent."""
    groups: list[list[str]] = [[]]
    for line in output.splitlines():
        if line.strip() == SEPARATOR:
            groups.append([])
        else:
            groups[-1].append(line.strip())
    if len(groups) != count:
        return None
    for i, group in enumerate(groups):
        if i > 0:
            if not group or group[0] != ".":
                return None
            group.pop(0)
        if i < count - 1:
            if not group or group[-1] != ".":
                return None
            group.pop()
    return [" ".join(g).strip() for g in groups]


class ApertiumTranslator:
    """Translate with the `apertium` command, texts grouped per route, many per process."""

    name = "apertium"

    def __init__(self, binary: str = "apertium", chunk_size: int = 500, max_hops: int = 3,
                 timeout_s: float = 600.0):
        if shutil.which(binary) is None:
            raise TranslationError(
                f"the '{binary}' command is not installed: apt-get install apertium "
                "apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita")
        self.binary = binary
        self.chunk_size = chunk_size
        self.timeout_s = timeout_s
        modes = installed_modes(binary)
        self.graph = pair_graph(modes)
        self.max_hops = max_hops
        plain = {m for g in self.graph.values() for m in g.values()}
        self.regional = {key: mode for key, mode in regional_modes(modes).items()
                         if key[0] in plain}
        # every pair a route may take, regional ones too: installing one starts a fresh cache
        self.model = ",".join(sorted(plain | set(self.regional.values())))
        self.process_calls = 0
        self._routes: dict[tuple[str, str], list[str] | None] = {}

    def route(self, source: str, target: str) -> list[str] | None:
        """The modes from source to target; a target with a region ('pt-BR') ends on the last
        pair's regional variant (es-pt_BR) where it is installed, else on the plain pair."""
        key = (base_language(source), base_language(target), target_region(target))
        if key not in self._routes:
            modes = plan_route(self.graph, key[0], key[1], max_hops=self.max_hops)
            if modes and key[2]:
                modes[-1] = self.regional.get((modes[-1], key[2]), modes[-1])
            self._routes[key] = modes
        return self._routes[key]

    def unmet_region(self, source: str, target: str) -> str | None:
        """The plain pair a route into a regional target ended on for want of its variant
        ('es-pt' for es -> pt-BR without es-pt_BR); None when it reached the region, or
        the target names none, or there is no route."""
        modes = self.route(source, target)
        if not modes or not target_region(target) or REGIONAL_MODE.match(modes[-1]):
            return None
        return modes[-1]

    def translate(self, texts: list[str], source_langs: list[str], target: str
                  ) -> list[str | None]:
        check_batch(texts, source_langs)
        results: list[str | None] = [None] * len(texts)
        by_route: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, lang in enumerate(source_langs):
            modes = self.route(lang, target)
            if modes is not None:
                by_route[tuple(modes)].append(i)
        for modes, rows in by_route.items():
            for start in range(0, len(rows), self.chunk_size):
                chunk = rows[start:start + self.chunk_size]
                outputs = self._through(list(modes), [texts[i] for i in chunk])
                for i, out in zip(chunk, outputs, strict=True):
                    results[i] = None if out is None else _clean(texts[i], out)
        return results

    def _through(self, modes: list[str], texts: list[str]) -> list[str | None]:
        current: list[str | None] = [" ".join(t.split()) for t in texts]  # one line per text
        for mode in modes:
            todo = [i for i, t in enumerate(current) if t]
            if not todo:
                break
            outputs = self._batch(mode, [current[i] for i in todo])
            for i, out in zip(todo, outputs, strict=True):
                current[i] = out
        return current

    def _batch(self, mode: str, texts: list[str]) -> list[str | None]:
        """One process for the whole batch; per-text calls if the separators did not survive.

        Each text sits between full stops, so the tagger starts and ends it as it would a
        text of its own: without them neighbouring queries change each other's translation.
        """
        joined = f"\n.\n{SEPARATOR}\n.\n".join(texts) + "\n"
        output = self._call(mode, joined)
        parts = None if output is None else _split_batch(output, len(texts))
        if parts is not None:
            return parts
        return [self._single(mode, t) for t in texts]

    def _single(self, mode: str, text: str) -> str | None:
        output = self._call(mode, text + "\n")
        return None if output is None else output.strip()

    def _call(self, mode: str, text: str) -> str | None:
        self.process_calls += 1
        try:
            done = subprocess.run([self.binary, "-u", mode], input=text, capture_output=True,
                                  text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            return None
        return done.stdout if done.returncode == 0 else None
