"""How a config file is read and a run's config.yaml written: YAML, with every number that a
reader of YAML 1.2 (or JSON) takes for one read as a number.

PyYAML reads YAML 1.1, where a float needs a dot and a signed exponent: `learning_rate: 1e-4`
and `1.0e4` were text, which pydantic's lax mode turned into a number. A config's number field
takes numbers only now (models.config.refuse_lax_reading), so these are read as the numbers
they are, and text is what the user quoted (`"400"`).
"""

from __future__ import annotations

import re

import yaml

# YAML 1.2's core schema: what PyYAML's 1.1 float pattern misses (1e-4, 1E5, 1.0e4, 2.e3)
_NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_FLOAT = "tag:yaml.org,2002:float"


class ConfigLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last, so
    a second `model:` would silently replace the first), and reading 1e-4 as a number."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor`: merged keys may be overridden, as YAML means them
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # an unhashable key: the base loader reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        """`2024-13-45` unquoted is a date to YAML 1.1, and no date: its ValueError ("month
        must be in 1..12") left load_config as a traceback."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} reads as a date and is none ({exc}) unless quoted "
                f"('{node.value}')", node.start_mark) from None


ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", ConfigLoader.construct_yaml_timestamp)


class ConfigDumper(yaml.SafeDumper):
    """YAML's safe dumper, quoting text that ConfigLoader would read as a number (a backbone
    folder named 1e5), so that a run's config.yaml reads back as it was written."""


for _resolving in (ConfigLoader, ConfigDumper):
    _resolving.add_implicit_resolver(_FLOAT, _NUMBER, list("-+0123456789."))


def read_config_yaml(text: str):
    """The config file's text as Python values (yaml.YAMLError where it is no valid YAML)."""
    return yaml.load(text, Loader=ConfigLoader)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong with a config file's YAML, and where, in one line: str(exc) named the text
    "<unicode string>" for the file and flattened its excerpt and caret into the sentence."""
    if not isinstance(exc, yaml.MarkedYAMLError) or not exc.problem:
        return " ".join(str(exc).split())
    said = exc.problem
    if exc.problem_mark is not None:
        said += f" at line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}"
    if exc.context:
        opened = exc.context_mark
        said += f" ({exc.context}" + (f" from line {opened.line + 1}, column {opened.column + 1}"
                                      if opened is not None else "") + ")"
    return said


def write_config_yaml(data) -> str:
    """`data` as a config file's text, in the order given."""
    return yaml.dump(data, Dumper=ConfigDumper, sort_keys=False, allow_unicode=True)
