"""Reading a run config: a YAML file and dotted overrides validated into a RunConfig, and
every problem said at the file's line of the key (or the option or overrides that set it), as
one line. Kept apart from the sections themselves (config.py), which say what a config holds.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from shoprel.data.records import not_a_file, utf16_said
from shoprel.errors import ConfigError
from shoprel.models.base import config_class
from shoprel.models.config import (
    OVERRIDES,
    PYTHON,
    SAVED,
    YAML,
    dotted_key_hint,
    error_message,
    leaf_types,
    lone_value_hint,
)
from shoprel.training.config import (
    DEFAULT_FAMILY,
    ModelConfig,
    RunConfig,
    Stage0Config,
)
from shoprel.training.config_retyped import Place, Written, retyped_problems
from shoprel.training.config_yaml import read_config_yaml, yaml_problem
from shoprel.training.presets import config_path, presets_said
from shoprel.utils.keyed_message import keyed_parts, named_in, split_keyed
from shoprel.utils.shoprel_folders import run_folder_kind


@dataclass(frozen=True)
class KeyLine:
    """Where a config file writes a key: the line of its key, and for a key that an alias or a
    merge key (`<<: *base`) brought into this section, `via` the line that brought it in. An
    error about the key arises there, but its value is written at the anchor (`line`): naming
    only the anchor's line named a section the key is not in, and only the section's line hid
    where the value is."""

    line: int
    via: int | None = None

    def __str__(self) -> str:
        if self.via is None:
            return f"line {self.line}"
        return f"line {self.via} (brought in from line {self.line})"


_MERGE = "tag:yaml.org,2002:merge"


def _aliased(value: yaml.Node, key: yaml.Node) -> bool:
    """Whether `value` came from an alias: an anchor is written before every alias of it, so
    a value that starts before its own key is one written earlier, elsewhere."""
    return value.start_mark.index < key.start_mark.index


def key_lines(text: str) -> dict[str, KeyLine]:
    """Dotted key -> where the YAML text writes it (KeyLine), for errors; a merge key's keys
    under the mapping they are merged into, and only where it does not write them itself."""
    lines: dict[str, KeyLine] = {}

    def walk(node: yaml.Node, prefix: str, via: int | None, inside: frozenset) -> None:
        if not isinstance(node, yaml.MappingNode) or id(node) in inside:
            return  # a scalar, a list, or an alias of a mapping holding itself
        inside = inside | {id(node)}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:  # after the mapping's own keys, which override them
                merges.append((key_node, value_node))
            elif isinstance(key_node, yaml.ScalarNode):
                dotted = f"{prefix}{key_node.value}"
                lines.setdefault(dotted, KeyLine(key_node.start_mark.line + 1, via))
                walk(value_node, f"{dotted}.",
                     via or (key_node.start_mark.line + 1 if _aliased(value_node, key_node)
                             else None), inside)
        for key_node, value_node in merges:  # `<<: *a` or `<<: [*a, *b]`, the first first
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [
                value_node]
            for source in merged:
                walk(source, prefix, via or (key_node.start_mark.line + 1
                                             if _aliased(source, key_node) else None), inside)

    try:
        walk(yaml.compose(text, Loader=yaml.SafeLoader), "", None, frozenset())
    except yaml.YAMLError:
        pass  # the loader says what is wrong with it
    return lines


def _at(source: str, named: str, lines: dict[str, KeyLine] | None) -> str:
    """The file, and the line of the key `named` (or of its nearest written parent)."""
    line = _key_line(named, lines)
    return source if line is None else f"{source}: {line}"


def _key_line(named: str, lines: dict[str, KeyLine] | None) -> KeyLine | None:
    """Where the file writes the key `named`, or its nearest written parent."""
    parts = named.split(".")
    for depth in range(len(parts), 0, -1):
        line = (lines or {}).get(".".join(parts[:depth]))
        if line is not None:
            return line
    return None


def _in_file_order(found: list[tuple[str, str]], lines: dict[str, KeyLine] | None) -> list[str]:
    """The errors `found` (key, what is said) in the order the file writes their keys (pydantic
    gives them in the fields' order: "line 5: folds.seed" came before "line 4: folds.kk"); those
    of keys the file does not write after, as they came."""
    def order(item: tuple[str, str]) -> float:
        line = _key_line(item[0], lines)
        return float("inf") if line is None else (line.via or line.line)
    return [said for _, said in sorted(found, key=order)]


def _dotted_hint(error: dict, how: str) -> str:
    """`model.family: fast` written in YAML is one key named "model.family", not model's
    family: "unknown key" alone named a key the README documents; say how to write it where
    the user wrote it (`how`: YAML or OVERRIDES). A section given one value (`model: fast`)
    is told the key it likely meant (lone_value_hint)."""
    if error["type"] in ("model_type", "dict_type"):
        return lone_value_hint(RunConfig, tuple(error["loc"]), error.get("input"), how)
    return dotted_key_hint(error["loc"], how) if error["type"] == "extra_forbidden" else ""


def _set_by(named: str, overridden: dict[str, str]) -> str | None:
    """Who set the dotted key `named`, a section above it ({"model.params": {...}} sets
    model.params.C) or a key below it ({"foo.bar": 1} makes the unknown section foo): its
    entry in `overridden` (dotted key -> the overrides' name), else None."""
    for key, setter in overridden.items():
        if key == named or named.startswith(f"{key}.") or key.startswith(f"{named}."):
            return setter
    return None


def _covered(named: str, retyped: dict[str, str]) -> bool:
    """Whether a value YAML read as another kind (retyped: field -> its line) is what an error
    about the key `named` is about: said once, as written (config_retyped), not again as
    pydantic or a check read it ("got False")."""
    return any(named == field or named.startswith(f"{field}.") for field in retyped)


def _uncovered(message: str, retyped: dict[str, str]) -> str:
    """A self-keyed message less the problems of keys that `retyped` says (a family's params
    check names every bad param in one message)."""
    return "; ".join(part for part in split_keyed(message)
                     if not _covered(named_in(part), retyped))


def _describe(exc: ValidationError, source: str, options: dict[str, str] | None = None,
              lines: dict[str, KeyLine] | None = None, how: str = YAML,
              overridden: dict[str, str] | None = None,
              retyped: dict[str, str] | None = None) -> str:
    """`options`: dotted key -> the command-line option that set it, named instead of the file;
    `lines`: dotted key -> its line in the file (key_lines); `how` the config was written;
    `overridden`: dotted key -> the name of the overrides (a Python dict) that set it over the
    file, named instead of the file and of a line that does not write it; `retyped`: field ->
    the line saying a value of it that YAML read as another kind, said first, in place of the
    errors about that field."""
    retyped = retyped or {}
    found = []  # (the key an error is about, what is said of it)
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = (error_message(error, RunConfig, how in (PYTHON, OVERRIDES))
                   + _dotted_hint(error, how))
        self_keyed = not error["loc"] or message.startswith((f"{key}.", f"{key}:"))
        if self_keyed and retyped:
            message = _uncovered(message, retyped)
        elif _covered(key, retyped):
            message = ""
        if not message:
            continue
        # a check of a section or the whole names its keys itself, each at its own line
        for part in keyed_parts(message) if self_keyed else [message]:
            named = named_in(part) if self_keyed else key
            setter = _set_by(named, overridden or {})
            if key in (options or {}):
                where = f"{options[key]} (sets {key})"
            elif setter is not None:
                where = setter if self_keyed else f"{setter}: {key}"
            elif self_keyed:
                where = _at(source, named, lines)
            else:
                where = f"{_at(source, key, lines)}: {key}"
            found.append((named, f"{where}: {part}"))
    said = [*retyped.values(), *_in_file_order(found, lines)]
    return "; ".join(said)  # one line: the CLI prints errors as one `error: ...` line


def parse_config(data: dict | None, source: str = "config",
                 options: dict[str, str] | None = None, saved: bool = False,
                 lines: dict[str, KeyLine] | None = None, how: str = YAML,
                 overridden: dict[str, str] | None = None,
                 retyped: dict[str, str] | None = None) -> RunConfig:
    """`saved`: a run's own config.yaml, read as it was trained (models.config.SAVED);
    `lines`: where the file writes each key (key_lines), named in errors; `how`: written as a
    YAML file or as a dict of dotted overrides (models.config.YAML, OVERRIDES), for hints;
    `overridden`: the keys overrides set over the file, named by them in errors (_describe);
    `retyped`: the file's values YAML read as another kind than their field takes
    (retyped_lines), refused even where the field takes what YAML read (`k: 010`, 8)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    context = {**(SAVED if saved else {}), "written_in": how}
    retyped = retyped or {}
    try:
        config = RunConfig.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, options, lines, how, overridden, retyped)
                          ) from None
    except ConfigError as exc:
        named = named_in(str(exc))
        where = _set_by(named, overridden or {}) or _at(source, named, lines)
        own = [] if _covered(named, retyped) else [f"{where}: {exc}"]
        raise ConfigError("; ".join([*retyped.values(), *own])) from None
    if retyped:
        raise ConfigError("; ".join(retyped.values()))
    return config


def _param_types(family, name: str) -> set | None:
    """The types of a family's param `name` (a section's too: params are one flat mapping),
    or None where either is unknown (their own checks say so)."""
    try:
        params = config_class(family if isinstance(family, str) else DEFAULT_FAMILY)
    except ConfigError:
        return None
    sections = params.sections()
    for owner in (params, *sections.values()):
        field = owner.model_fields.get(name)
        if field is not None and name not in sections:
            return leaf_types(field.annotation)
    return None


def _place(data: dict, written: Written) -> Place:
    """The field a value of the file was written in, its types and where inside it the value
    is (config_retyped.Place); the family of `params` as the file names it."""
    model: type[BaseModel] = RunConfig
    node, names, parts = data, [], list(written.path)
    while parts:
        part = parts.pop(0)
        if written.key and not parts:  # a key of a section: a name, which is text
            return ".".join(names), {str}, "a key"
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        parent, node = node, node.get(part) if isinstance(node, dict) else None
        names.append(part)
        if part == "params" and model in (ModelConfig, Stage0Config):
            owner = data.get("model") if model is Stage0Config else parent
            if not parts:  # params itself, given one value (`params: no`): a mapping
                return ".".join(names), {dict}, ""
            if not isinstance(parts[0], str):
                return None
            if written.key and len(parts) == 1:  # a param's name
                return ".".join(names), {str}, "a key"
            names.append(parts.pop(0))
            leaves = _param_types(owner.get("family") if isinstance(owner, dict) else None,
                                  names[-1])
            break
        leaves = leaf_types(field.annotation)
        sections = [leaf for leaf in leaves if isinstance(leaf, type)
                    and issubclass(leaf, BaseModel)]
        if not sections:
            break
        model = sections[0]
    else:  # a section itself, given one value (`data: no`): a mapping is what it takes
        return ".".join(names), {dict if leaf in sections else leaf for leaf in leaves}, ""
    if leaves is None:
        return None
    containers = {get_origin(leaf): get_args(leaf) for leaf in leaves}
    if not parts:
        return ".".join(names), leaves, ""
    if len(parts) == 1 and isinstance(parts[0], int) and (containers.keys() & {list, tuple}):
        return ".".join(names), {str}, f"item {parts[0] + 1} of the list"
    if len(parts) == 1 and dict in containers and len(containers[dict]) == 2:
        key_type, value_type = containers[dict]
        if written.key:
            return ".".join(names), {key_type}, "a key"
        return ".".join([*names, str(parts[0])]), {value_type}, ""
    return None


def retyped_lines(text: str, data, source: str) -> dict[str, str]:
    """`FILE: line N: field: problem` for each value of the config text that YAML read as
    another kind than its field takes (config_retyped), a field's problems joined, by the
    dotted name pydantic's errors give the value (a key read as true is `folds.1` there)."""
    if not isinstance(data, dict):
        return {}
    said: dict[str, str] = {}
    for written, (field, line, problem) in retyped_problems(
            text, lambda written: _place(data, written)):
        named = field
        if written.key:  # pydantic names a key by its value, true as 1
            value = int(written.value) if isinstance(written.value, bool) else written.value
            named = f"{field}.{value}" if field else str(value)
        if not written.key and tuple(written.path) == tuple(field.split(".")):
            problem += lone_value_hint(RunConfig, tuple(written.path), written.value)
        where = f"{source}: line {line}: {field}: " if field else f"{source}: line {line}: "
        said[named] = f"{said[named]}; {problem}" if named in said else where + problem
    return said


def _is_config_key(named: str) -> bool:
    """Whether a dotted name is a key of the run config (free below a mapping such as params)."""
    model: type[BaseModel] | None = RunConfig
    for part in named.split("."):
        if model is None:
            return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part))
        field = model.model_fields.get(part)
        if field is None:
            return False
        sections = [leaf for leaf in leaf_types(field.annotation)
                    if isinstance(leaf, type) and issubclass(leaf, BaseModel)]
        model = sections[0] if sections else None
    return True


def located(error: ConfigError, path: str | Path | None) -> ConfigError:
    """An error found once training runs (a backbone that will not load, a flagged-ids file
    that is not there) that names a key of the config file `path`, with the file and the key's
    line in front, as a config error reads; any other error as it was."""
    text = str(error)
    named = named_in(text)
    if path is None or not _is_config_key(named):
        return error  # e.g. "data.csv: not found" names a file, not the key data.csv
    path = config_path(path)  # named as load_config names it
    try:
        lines = key_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return error
    if named.split(".")[0] not in lines:
        return error  # a key the file does not write: the defaults' or an option's
    return ConfigError(f"{_at(str(path), named, lines)}: {text}")


def run_folder_said(path: Path) -> str | None:
    """What is said of a run (or ensemble) folder given where a config file is expected
    (`train --config RUN`, `distill --student RUN`): "config is a folder; give a file" left
    the user to guess which file; a run's settings are its config.yaml, an ensemble's
    config.yaml names members, not a model. None for any other path."""
    kind = run_folder_kind(path)
    if kind is None:
        return None
    if kind == "ensemble":
        return ("is an ensemble folder, not a config file (its config.yaml names members, not "
                f"a model); give a member run's config.yaml, or {presets_said()}")
    config = path / "config.yaml"
    own = f"give its config.yaml ({config}) for the run's settings, or " \
        if config.is_file() else "give a config file, or "
    return f"is a run folder, not a config file; {own}{presets_said()}"


def load_config(path: str | Path | None = None, overrides: dict | None = None,
                options: dict[str, str] | None = None, saved: bool = False,
                overrides_name: str = "overrides") -> RunConfig:
    """Read a YAML config (or the defaults), then apply dotted overrides like {'folds.k': 3};
    `options` names the command-line option behind an override ({'folds.k': '--folds'}), for
    errors; `saved`: the file is a run's config.yaml (see parse_config); `overrides_name`: what
    errors call the overrides without a file, the argument its caller gave them as."""
    data: dict = {}
    lines: dict[str, KeyLine] | None = None
    retyped: dict[str, str] = {}
    source = overrides_name if overrides else "defaults"  # the defaults themselves are valid
    if path is not None:
        path = config_path(path)  # a quoted `~/c.yaml`, one from Python, a preset's name
        source = str(path)
        reason = not_a_file(path)
        if reason:
            raise ConfigError(f"{path}: " + (f"config file not found; {presets_said()}"
                                              if reason == "file not found"
                                              else run_folder_said(path)
                                              or f"config {reason}"))
        try:
            text = path.read_text(encoding="utf-8")
            data = read_config_yaml(text)
            lines = key_lines(text)
            # a run's config.yaml quotes every text (write_config_yaml): read as it was written
            retyped = {} if saved else retyped_lines(text, data, source)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
        except UnicodeDecodeError as exc:
            if (said := utf16_said(exc.object)) is not None:  # an editor's 'Unicode'
                raise ConfigError(f"{path}: {said}") from None
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            raise ConfigError(f"{path}: line {line}: invalid UTF-8 "
                              f"({exc.object[exc.start:exc.start + 4]!r}); save it as UTF-8"
                              ) from None
        if data is None:  # an empty file (a redirect that truncated it, an unsaved editor)
            # trained the default model, for hours on a large file, as if no file were given;
            # a run's emptied config.yaml read as the default model's
            said = (" (a run's config.yaml records every setting: the run is damaged)" if saved
                    else "; write {} for the defaults, or leave the config file out")
            raise ConfigError(f"{path}: holds no settings (empty, comments only or null)"
                              + said)
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        if overrides:  # the file as written: an option set over a wrong value hides it
            # (`folds:` left empty is no value: an option may fill it)
            parse_config(copy.deepcopy({k: v for k, v in data.items() if v is not None}),
                         source, lines=lines, retyped=retyped)
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for depth, part in enumerate(parents, start=1):
            if node.get(part) is None:  # absent, or `folds:` left empty in the file
                node[part] = {}
            node = node[part]
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {'.'.join(parents[:depth])}: expected a mapping, "
                                  f"found {type(node).__name__}")
        node[leaf] = value
    # an option names itself only for the keys it set: a file's own mistake names the file
    options = {key: flag for key, flag in (options or {}).items() if key in (overrides or {})}
    # a file with overrides was checked alone above: what is wrong now, the overrides brought;
    # a key they set is theirs, not the file's (which said "c.yaml: line 3: model.params.CC:
    # unknown key", the line of `model:`, for a key only the overrides wrote)
    overridden = ({key: overrides_name for key in overrides if key not in options}
                  if path is not None and overrides else None)
    how = OVERRIDES if overrides else YAML
    return parse_config(data, source, options, saved, lines, how, overridden, retyped)
