"""Errors that name their keys themselves, several in one line ("model.params.a: ...;
model.params.nope: unknown key"): a family's params check says every bad param at once. Split
into their parts, each part can be placed at its own line of the file and put under the
section that holds it (a student's model)."""

from __future__ import annotations

import re

# the problems a check names itself, each `key: problem`, one line joined by "; "
_NEXT_KEYED = re.compile(r"; (?=[\w.\[\]-]+: )")
# a value a problem quotes (JSON's "...", Python's '...'), which may hold "; key: " itself: a
# quote opens after no letter (not the one in "run's") and closes before none
_QUOTED = re.compile(r"""(?<!\w)(["'])(?:\\.|(?!\1).)*?\1(?!\w)""")


def split_keyed(message: str) -> list[str]:
    """The message cut at each "; key: " that is not inside a value it quotes."""
    quoted = [found.span() for found in _QUOTED.finditer(message)]
    parts, start = [], 0
    for cut in _NEXT_KEYED.finditer(message):
        if not any(low < cut.start() < high for low, high in quoted):
            parts.append(message[start:cut.start()])
            start = cut.end()
    return [*parts, message[start:]]


def named_in(message: str) -> str:
    """The dotted key a self-keyed message begins with ("model.params.nope: unknown key")."""
    return message.split(":", 1)[0].split(" ", 1)[0]


def keyed_parts(message: str) -> list[str]:
    """The message's problems, each `key: problem`. A part naming no key of the first one's
    section stays with the one before: it is text the problem quotes, not another key."""
    parts: list[str] = []
    for part in split_keyed(message):
        if parts and named_in(part).split(".")[0] != named_in(parts[0]).split(".")[0]:
            parts[-1] = f"{parts[-1]}; {part}"
        else:
            parts.append(part)
    return parts


def under(section: str, message: str) -> str:
    """The message with every key it names put under `section`: a student's `model.params.a:
    ...; model.params.nope: ...` is `student.model.params.a: ...; student.model.params.nope:
    ...` (prefixing the whole line named only the first key as the student's)."""
    return "; ".join(f"{section}.{part}" for part in keyed_parts(message))
