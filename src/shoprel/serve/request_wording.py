"""pydantic's own sentences for the mistakes a client makes most ("List should have at least 1
item after validation, not 0", "Input should be a valid string") in the house's words: what is
wrong with the field the line names, and what to send instead.

Only the types a request realistically meets are said anew; a validator's own sentence (ids,
blank texts, labels) and any rarer pydantic type keep their words.
"""

from __future__ import annotations

from shoprel.data.records import as_written, written_kind
from shoprel.data.tasks import Task
from shoprel.data.validate import unwritable_reason
from shoprel.utils.scalars import is_boolean

OBJECT_TYPES = ("model_type", "model_attributes_type", "dict_type")


def house_message(error: dict, task: Task) -> str | None:
    """The line's message for `error` (FastAPI's, located from "body"), or None to keep
    pydantic's. A pair's place is ("body", "pairs", N), a field of it one deeper."""
    kind, loc = error.get("type"), tuple(error.get("loc") or ())
    given = error.get("input")
    ctx = error.get("ctx") or {}
    pair = f"{{\"query\": ..., \"{task.target_column}\": ...}}"
    if kind == "missing":
        if loc == ("body",):  # FastAPI reads an empty body as none at all
            return f"the body is empty; send the pairs to score as {{\"pairs\": [{pair}, ...]}}"
        if loc == ("body", "pairs"):
            return f"missing; send the pairs to score as {{\"pairs\": [{pair}, ...]}}"
        if len(loc) == 4:
            return f"missing; each pair needs a 'query' and a '{task.target_column}'"
        return None
    if kind == "too_short" and loc == ("body", "pairs"):
        return "an empty list; send at least one pair to score"
    if kind == "too_long" and loc == ("body", "pairs") and "max_length" in ctx:
        return (f"a request may hold at most {ctx['max_length']:,} pairs, this one holds "
                f"{ctx.get('actual_length', len(given or ())):,}; send fewer pairs per request")
    if kind == "list_type" and loc == ("body", "pairs"):
        return f"{written_kind(given)} is not a list; send the pairs as a list, [{pair}, ...]"
    if kind in OBJECT_TYPES and loc == ("body",):
        return f"{written_kind(given)} is not an object; send {{\"pairs\": [{pair}, ...]}}"
    if kind in OBJECT_TYPES and len(loc) == 3:
        return f"{written_kind(given)} is not a pair; send each pair as an object, {pair}"
    if kind == "string_type":  # files read a number as its text; a request sends the text
        quoted = f", \"{as_written(given)}\"" if isinstance(given, int | float) \
            and not is_boolean(given) else ""
        return f"{written_kind(given)} is not a text; send it as a JSON string{quoted}"
    if kind == "string_too_long" and isinstance(given, str) and "max_length" in ctx:
        return too_long(loc[-1] if loc else None, len(given), ctx["max_length"])
    if kind == "string_unicode" and isinstance(given, str):
        return unencodable(given, key=loc == ("body",) or len(loc) == 3)
    return None


def unencodable(given: str, key: bool) -> str | None:
    """pydantic's "unable to parse raw data as a unicode string" (a lone surrogate, which
    JSON's \\ud800 carries, in a text its checks read as UTF-8) in the files' words, as the
    text checks say a NUL (schemas._encodable), or None. `key`: the text is a key of the
    object the error locates (the body, a pair), not the value of a field."""
    reason = unwritable_reason(given)
    if reason is None:
        return None
    return f"a key {reason}; send the fields' names as the API spells them" if key else \
        f"text {reason}"


def too_long(field, length: int, limit: int) -> str:
    """A text over its field's limit, said of that field: "a text may hold at most 32
    characters" of a 40,000-character `language` read as if the query were meant."""
    name = repr(field) if isinstance(field, str) else "this text"
    fix = ("send its language code, e.g. 'es'" if field == "language"
           else "send a shorter one")
    return f"{name} holds {length:,} characters, at most {limit:,} here; {fix}"
