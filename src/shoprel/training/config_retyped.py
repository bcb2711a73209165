"""A config file's plain values that YAML reads as another kind than written, said as written.

PyYAML reads YAML 1.1: an unquoted `no`, `yes`, `on`, `off` is false or true, `0123` the octal
number 83, `12:30` the number 750 and `2024-01-01` a date. In a field that takes text (`to: no`,
Norwegian; a backbone, a column, a path) such a value was refused in pydantic's words or
Python's, naming neither what was written nor the fix ("data.translator.to: Input should be a
valid string", "data.empty_text: ... got False"); in a number field `k: 010` was read silently
as 8. Each is refused here with the text as written, what YAML made of it and how to write it
(`quote it: 'no'`), never read as text behind the user's back: a `cache: no` may mean none.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args, get_origin

import yaml

from shoprel.training.config_yaml import ConfigLoader

_TAG = "tag:yaml.org,2002:"
_READ_AS_OTHER = {f"{_TAG}{name}" for name in ("bool", "int", "float", "timestamp")}
# a leading zero: octal to YAML 1.1 (010 is 8), text where no octal digit follows (08)
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")


@dataclass(frozen=True)
class Written:
    """One plain (unquoted) value of the file that YAML did not read as the text written."""

    path: tuple[str | int, ...]  # keys as written, and list positions, from the top
    text: str
    value: object
    line: int
    key: bool = False  # the value is a mapping's key


def _read_as_other(node: yaml.Node) -> bool:
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return False  # quoted: text as written
    return node.tag in _READ_AS_OTHER or (node.tag == f"{_TAG}str"
                                           and bool(_LEADING_ZERO.fullmatch(node.value)))


def written_values(text: str) -> list[Written]:
    """Every plain value of the config text read as a boolean, a number or a date (or a
    leading-zero number read as text), with its path; [] where the text is no YAML (the
    reader says why)."""
    loader = ConfigLoader(text)
    found: list[Written] = []

    def record(node: yaml.ScalarNode, path: tuple, key: bool = False) -> None:
        found.append(Written(path, node.value, loader.construct_object(node, deep=True),
                             node.start_mark.line + 1, key))

    def walk(node: yaml.Node, path: tuple, inside: frozenset) -> None:
        if id(node) in inside:
            return  # an alias of a node holding itself
        inside = inside | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == f"{_TAG}merge":  # `<<: *base`: its keys are this mapping's
                    walk(value_node, path, inside)
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if _read_as_other(key_node):
                    record(key_node, (*path, key_node.value), key=True)
                walk(value_node, (*path, key_node.value), inside)
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                walk(item, (*path, position), inside)
        elif _read_as_other(node):
            record(node, path)

    try:
        root = loader.get_single_node()
        if root is not None:
            walk(root, (), frozenset())
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    return found


def _reading(written: Written) -> str:
    """What YAML made of the value: `false`, `the number 83 (octal)`, `a date`."""
    value = written.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, str):
        return "text"
    if _BASE_60.fullmatch(written.text):
        return f"the number {value} (base 60)"
    if _LEADING_ZERO.fullmatch(written.text):
        return f"the number {value} (octal)"
    return f"the number {value}"


def _said(written: Written) -> str:
    """The value as written, and what YAML read where that is not what it shows."""
    reading = _reading(written)
    if reading in (written.text.lower(), f"the number {written.text}"):
        return reading  # `false`, `the number 2024`
    return f"{written.text}, which YAML reads as {reading}"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _texts(leaves: set) -> tuple[bool, list, bool]:
    """What text a field's types take: any text, the choices of its Literal (texts only), and
    a list of texts."""
    any_text = str in leaves
    choices = [value for leaf in leaves if get_origin(leaf) is Literal
               for value in get_args(leaf)]
    text_list = any(get_origin(leaf) in (list, tuple) and str in get_args(leaf)
                    for leaf in leaves)
    return any_text, choices, text_list


def _takes(leaves: set, value) -> bool:
    """Whether a field's types take the value as YAML read it."""
    for leaf in leaves:
        if isinstance(value, bool):
            if leaf is bool or (get_origin(leaf) is Literal and value in get_args(leaf)
                                and any(isinstance(v, bool) for v in get_args(leaf))):
                return True
        elif isinstance(value, int | float):
            if leaf in (int, float):
                return True
        elif isinstance(leaf, type) and isinstance(value, leaf):
            return True
    return False


def _problem(written: Written, leaves: set) -> str | None:
    """What is wrong with the value in a field of these types, and what to write; None where
    the field takes it as YAML read it, or another check says it better."""
    value, text = written.value, written.text
    numeric = bool(leaves & {int, float}) and bool not in leaves
    if isinstance(value, str):  # 08: text to YAML, a number to its writer
        return (f"expected a number, got {text}, which YAML reads as text (a leading zero "
                f"makes an octal number, and 8 or 9 is no octal digit); write "
                f"{int(text.replace('_', ''), 10)}") if numeric else None
    if _takes(leaves, value):
        if not numeric or isinstance(value, bool):
            return None
        if _BASE_60.fullmatch(text):
            return f"expected a number, got {_said(written)}; write {value}"
        if (_LEADING_ZERO.fullmatch(text) and isinstance(value, int)
                and int(text.replace("_", ""), 10) != value):
            return (f"expected a number, got {_said(written)}; write {value}, or "
                    f"{int(text.replace('_', ''), 10)} without the leading zero")
        return None
    any_text, choices, text_list = _texts(leaves)
    nullable = type(None) in leaves
    if any_text:
        if nullable and isinstance(value, bool):
            return (f"expected a text or null, got {_said(written)}; write null for none, "
                    f"or quote it for the text: {_quoted(text)}")
        return f"expected a text, got {_said(written)}; quote it: {_quoted(text)}"
    if choices:
        shown = " or ".join([repr(choice) for choice in choices] + ["null"] * nullable)
        return f"expected {shown}, got {_said(written)}"
    if text_list:
        return f"expected a list of texts, got {_said(written)}"
    if any(leaf is dict or get_origin(leaf) is dict for leaf in leaves):
        # a section (`data: no`) said "expected a mapping of keys, got true/false"
        if nullable and isinstance(value, bool):
            return (f"expected a mapping of keys or null, got {_said(written)}; write null "
                    "for none")
        return f"expected a mapping of keys{' or null' * nullable}, got {_said(written)}"
    if numeric:
        return f"expected a number, got {_said(written)}"
    return None


# a value's place: the dotted name of its field, the types of the value there (an item's
# or a key's, inside a list or a mapping), and where it is inside the field ("item 2 of the
# list", "a key"); None where the place is no field (its own check names an unknown key)
Place = tuple[str, set, str] | None


def retyped_problems(text: str, place: Callable[[Written], Place]
                     ) -> list[tuple[Written, tuple[str, int, str]]]:
    """The value and (field, line, problem) for each plain value of the config text that YAML
    read as another kind than its field takes (`place` finds the field), in the file's order."""
    problems = []
    for written in written_values(text):
        found = place(written)
        if found is None:
            continue
        field, leaves, inside = found
        problem = _problem(written, leaves)
        if problem is not None:
            problems.append((written, (field, written.line,
                                       f"{inside}: {problem}" if inside else problem)))
    return problems
