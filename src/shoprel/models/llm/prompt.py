"""How a (query, target) pair becomes one decoder prompt of at most `max_length` tokens.

A decoder reads one sequence, so the pair is written into a template around two segments. Cutting
the assembled prompt at max_length would drop the template's tail (where the score is read) or
a whole segment, so each segment is tokenised alone and the longer one is shortened first.
"""

from __future__ import annotations

from dataclasses import dataclass

QUERY, TARGET = "{query}", "{target}"
DEFAULT_TEMPLATE = "Query: {query}\nProduct: {target}\nRelevant:"


def check_template(template: str) -> None:
    if template.count(QUERY) != 1 or template.count(TARGET) != 1 or \
            template.index(QUERY) > template.index(TARGET):
        raise ValueError(f"template must hold {QUERY} then {TARGET} once each, got {template!r}")


def ensure_pad_token(tokenizer) -> None:
    """Decoders often ship without a pad token; batching needs one (EOS, else UNK, stands in)."""
    if tokenizer.pad_token is None:
        stand_in = tokenizer.eos_token or tokenizer.unk_token
        if stand_in is None:
            raise ValueError("tokenizer has no pad, eos or unk token to pad with")
        tokenizer.pad_token = stand_in


def shorten(q: list[int], t: list[int], budget: int) -> tuple[list[int], list[int]]:
    """Cut the longer segment first (like `truncation='longest_first'`) until both fit."""
    budget = max(budget, 0)
    if len(q) + len(t) <= budget:
        return q, t
    if len(q) <= budget // 2:
        return q, t[: budget - len(q)]
    if len(t) <= budget // 2:
        return q[: budget - len(t)], t
    return q[: budget - budget // 2], t[: budget // 2]


@dataclass
class PairEncoder:
    tokenizer: object
    template: str = DEFAULT_TEMPLATE
    max_length: int = 128

    def __post_init__(self) -> None:
        check_template(self.template)
        head, rest = self.template.split(QUERY)
        middle, tail = rest.split(TARGET)
        piece_ids = self._ids([head, middle, tail])
        self._head, self._middle, self._tail = piece_ids
        self._prefix, self._suffix = self._special_tokens()
        fixed = len(self._prefix) + len(self._suffix) + sum(map(len, piece_ids))
        if fixed >= self.max_length:
            raise ValueError(f"max_length {self.max_length} leaves no room for text after the "
                             f"template's {fixed} tokens")
        self._budget = self.max_length - fixed

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """What the tokenizer adds before and after a text (e.g. BOS for Gemma, none for Qwen)."""
        plain = self.tokenizer("a", add_special_tokens=False)["input_ids"]
        full = self.tokenizer("a", add_special_tokens=True)["input_ids"]
        for start in range(len(full) - len(plain) + 1):
            if full[start:start + len(plain)] == plain:
                return full[:start], full[start + len(plain):]
        return [], []

    def _ids(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]

    def encode(self, queries: list[str], targets: list[str]) -> list[list[int]]:
        """Token ids per pair: specials, template head, query, middle, target, tail, specials."""
        out = []
        for q, t in zip(self._ids(queries), self._ids(targets), strict=True):
            q, t = shorten(q, t, self._budget)
            out.append(self._prefix + self._head + q + self._middle + t + self._tail
                       + self._suffix)
        return out
