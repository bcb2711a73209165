"""A model family's hyperparameters as one typed, validated config.

Each family declares its params once, as a `FamilyConfig` subclass in `<family>/config.py`; the
model class takes exactly those names (see base.py) and the run config validates `model.params`
with it. Shared groups of params (the fine-tuning arguments of hf/) are nested sections: a
field whose type is a `Section`. Outside, in YAML and in a saved model.json, params stay one
flat mapping (`params: {learning_rate: 1e-4, lora_r: 8}`); `from_params` nests the section's
keys and `flat` undoes it.
"""

from __future__ import annotations

import types
from string import Formatter
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shoprel.data.records import written_kind
from shoprel.errors import ConfigError, ConfigValueError
from shoprel.utils.bounds import (
    PYDANTIC_BOUND_ERRORS,
    not_finite,
    not_whole,
    out_of_range,
    past_bound,
)
from shoprel.utils.close_names import closest_name
from shoprel.utils.scalars import is_boolean, python_scalar, text_for_number

# how models read a query that comes with its translation (the winners' "{query} - {english}")
QUERY_TEMPLATE = "{query} - {translation}"
TEMPLATE_FIELDS = ("query", "translation")  # what base.query_side formats the template with


# validation context of what shoprel wrote itself (a model.json, a run's config.yaml): the
# template check, younger than some runs, skips it, so a run trained before still loads
SAVED = {"saved": True}
# how the user wrote the config being validated (its validation context's "written_in"): a YAML
# file, a Python dict of dotted overrides, whose own keys are split at dots but not the keys
# of a mapping given as a value, or a config class's keyword arguments in Python
# (`RunConfig(folds={"k": 3})`). A hint on writing a key shows it in the user's notation.
YAML, OVERRIDES, PYTHON = "yaml", "overrides", "python"


def written_in(context: dict | None) -> str:
    """How a validated config was written; YAML unless its context says (files are the norm)."""
    return (context or {}).get("written_in", YAML)


def check_translation_template(template: str, info: ValidationInfo) -> str:
    """Checked with the config, not at the first translated row: a template without
    {translation} dropped it silently, and one with another field failed mid-fit (KeyError).
    A saved model's template is read as it was trained."""
    if (info.context or {}).get("saved"):
        return template
    try:
        fields = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as exc:  # a lone `{` or `}`
        raise ValueError(f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
                         ) from None
    other = sorted({name for name in fields if name not in TEMPLATE_FIELDS})
    if other:
        raise ValueError(f"unknown field {'{' + other[0] + '}'}: the template may hold only "
                         "{query} and {translation}")
    missing = [name for name in TEMPLATE_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"must hold both {{query}} and {{translation}}; {template!r} lacks "
                         f"{{{missing[0]}}}")
    return template


TranslationTemplate = Annotated[str, AfterValidator(check_translation_template)]

# LightGBM reads a seed as a C int and shoprel adds small offsets to it (a booster's, a fold's
# index); numpy refuses a negative one: past these bounds a fit failed with a traceback
SEED_MAX = 2**30 - 1


def check_seed(value: int) -> int:
    """In LightGBM's range, said as `--seed` says it (utils/bounds.py)."""
    problem = out_of_range(value, ge=0, le=SEED_MAX)
    if problem:
        raise ValueError(problem)
    return value


Seed = Annotated[int, AfterValidator(check_seed)]


def leaf_types(annotation) -> set:
    """The plain types a field annotation admits (through Annotated, unions and Optional)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return leaf_types(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return set().union(*(leaf_types(arg) for arg in get_args(annotation)))
    return {annotation}


def refuse_lax_reading(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """pydantic's lax mode reads `true` as 1 and `false` as 0 (`seed: false` was seed 0), 1, 0
    or "off" as booleans (`refit_full: 0` was false), and text as a number (`n_estimators:
    "400"` was 400): a number field takes numbers only (text_for_number), a true/false field
    true or false only; numpy's scalars are read as Python's. Shared by every config model's
    "*" validator."""
    if info.field_name not in model.model_fields:
        return value
    leaves = leaf_types(model.model_fields[info.field_name].annotation)
    # True/False as Python writes them to a caller building the config in Python
    # an overrides dict is Python's too (the commands' options give no true/false for a number)
    python = written_in(info.context) in (PYTHON, OVERRIDES)
    truth = ("True", "False") if python else ("true", "false")
    plain = python_scalar(value)  # numpy's 0 (from an array) is 0: pydantic read it as false
    if any(is_text_list(leaf) for leaf in leaves) and not (plain is None
                                                            and type(None) in leaves):
        refuse_non_text(plain, str in leaves, python)
    wants_number = bool not in leaves and bool(leaves & {int, float})
    if is_boolean(value):  # numpy's True too: pydantic read it as 1
        if wants_number:
            raise ValueError(f"expected a number, got {truth[0] if value else truth[1]}")
    elif wants_number and str not in leaves:
        problem = text_for_number(plain, python)
        if problem:
            raise ValueError(problem)
        if float not in leaves and isinstance(plain, float):
            return whole_field_number(plain, info)
    elif bool in leaves and isinstance(plain, int | float | str) and not any(
            isinstance(plain, leaf) if isinstance(leaf, type) else plain in literal_values(leaf)
            for leaf in leaves):
        words = [repr(v) for leaf in leaves if not isinstance(leaf, type)
                 for v in literal_values(leaf)]
        raise ValueError(f"expected {' or '.join([*truth, *words])}, got {plain!r}")
    if str in leaves and isinstance(plain, int | float) and not leaves & {bool, int, float}:
        # pydantic said "Input should be a valid string", not what was given (a file's value
        # YAML read as another kind is said as written first: training/config_retyped.py)
        raise ValueError(f"expected a text, got {_shown(plain, python)}")
    return plain  # numpy's 3 as 3: folds.k, once strict against `true`, refused np.int64(3)


def whole_field_number(number: float, info: ValidationInfo) -> int:
    """A float given to a whole-number field, refused as an integer option refuses its text
    (utils.bounds.not_whole: "3.0 is not written as a whole number; write 3", "1.5 is not a
    whole number", "nan is not a number"). pydantic's lax mode took 3.0 as 3 in some fields
    and said "Input should be a valid integer" in folds.k (strict), and "got a number with a
    fractional part" for 1.5. A saved config (SAVED) reads 3.0 as 3: a model.json holds the
    params as given in Python, and one saved before this check still loads."""
    if (info.context or {}).get("saved") and number.is_integer():
        return int(number)
    raise ValueError(not_whole(number, repr(number)))


def is_text_list(leaf) -> bool:
    """Whether a leaf type is a list of texts (list[str], tuple[str, ...])."""
    return (get_origin(leaf) in (list, tuple)
            and {arg for arg in get_args(leaf) if arg is not Ellipsis} == {str})


def _shown(value, python: bool) -> str:
    """A wrong value as the user wrote it: Python's repr, or as YAML/JSON says its kind."""
    if not python:
        return written_kind(value)
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:56]}..."


def refuse_non_text(value: Any, one_text_too: bool, python: bool) -> None:
    """A field of texts (a backbone list, LoRA's target modules, index folders) given another
    kind, or a list holding one: pydantic said it in its own words, per branch of the field's
    type (`model.params.backbone.str: Input should be a valid string; ...list[str].1: ...`);
    one line names the field and the item. `one_text_too`: one text alone is taken too."""
    if isinstance(value, list | tuple):
        for position, item in enumerate(value, start=1):
            item = python_scalar(item)
            if not isinstance(item, str):
                raise ValueError(f"item {position} of the list is {_shown(item, python)}, "
                                 "not a text")
    elif (isinstance(value, bool | int | float | str | None)
          and not (one_text_too and isinstance(value, str))):  # other kinds: pydantic's check
        wanted = "a text or a list of texts" if one_text_too else "a list of texts"
        raise ValueError(f"expected {wanted}, got {_shown(value, python)}")


def literal_values(leaf) -> tuple:
    """The values a Literal[...] leaf admits (a field may be true/false or a named mode)."""
    return get_args(leaf) if get_origin(leaf) is Literal else ()


class StrictConfig(BaseModel):
    """What every config model refuses: unknown keys, .nan/.inf, a boolean or text for a number
    and a number for a boolean (refuse_lax_reading). The params' sections and families,
    and the run config's sections (training/config.py), all derive from it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    # the key a lone value given for the whole section stands for (`folds: 3` is folds.k),
    # said as the advice of its error; None where no key is the obvious one
    lone_key: ClassVar[str | None] = None

    def __init__(self, /, **data: Any):
        """Built in Python (`RunConfig(folds={"k": 1})`), a wrong value is one line naming the
        field (ConfigValueError), as a file's is, not pydantic's report over several lines;
        validated as pydantic's own __init__ does, with the context saying it is Python."""
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self,
                                                        context={"written_in": PYTHON})
        except ValidationError as exc:
            raise ConfigValueError(in_python_words(exc, type(self))) from None

    # validating a section inside a config stays pydantic's (its context kept: a saved run's,
    # or the file's lines); only a call of the class itself comes here (as RootModel marks it)
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @field_validator("*", mode="before")
    @classmethod
    def _no_lax_reading(cls, value, info: ValidationInfo):
        return refuse_lax_reading(cls, value, info)


class Section(StrictConfig):
    """A group of params shared by several families, nested in their configs."""


class FamilyConfig(StrictConfig):
    """The params every family has; a family's config adds its own."""

    # read the query's translation too ("{query} - {translation}") when the rows carry one
    use_translation: bool = True
    translation_template: TranslationTemplate = QUERY_TEMPLATE

    uses_group_levels: ClassVar[bool] = False  # inner folds group like the run's outer folds
    # params that change how a fit runs (threads, caches, progress, where checkpoints go),
    # never the model it fits: two runs apart only in these fit the same model (a student
    # that would be its run again is refused on that, training/student.py)
    runtime_params: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def sections(cls) -> dict[str, type[Section]]:
        return {name: field.annotation for name, field in cls.model_fields.items()
                if isinstance(field.annotation, type) and issubclass(field.annotation, Section)}

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        """Flat keys that belong to a section go into it, over the family's section defaults."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, section in cls.sections().items():
            given = data.get(name)
            if isinstance(given, Section):
                given = given.model_dump()
            values = {**cls.model_fields[name].get_default(call_default_factory=True)
                      .model_dump(), **(given or {})}
            for key in section.model_fields:
                if key in data:
                    values[key] = data.pop(key)
            data[name] = values
        return data

    def flat(self) -> dict[str, Any]:
        """The params as one mapping, sections inlined (what YAML and model.json hold)."""
        out = {}
        sections = self.sections()
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in sections:
                out.update(value.model_dump())
            else:
                out[name] = value
        return out

    @classmethod
    def param_names(cls) -> list[str]:
        names = []
        sections = cls.sections()
        for name in cls.model_fields:
            names += list(sections[name].model_fields) if name in sections else [name]
        return names

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return cls().flat()

    @classmethod
    def fitted_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Flat params without the runtime ones: what decides the model a fit makes."""
        return {name: value for name, value in params.items()
                if name not in cls.runtime_params}

    @classmethod
    def from_params(cls, params: dict | None, where: str = "model.params",
                    saved: bool = False, how: str = YAML) -> FamilyConfig:
        """Validate flat params, each problem named by its key (`model.params.lr_scheduler`);
        `saved`: params shoprel wrote (see SAVED); `how` they were written (see YAML)."""
        try:
            return cls.model_validate(params or {},
                                      context={**(SAVED if saved else {}), "written_in": how})
        except ValidationError as exc:
            raise ConfigError(describe(exc, cls, where, how)) from None


def _sections_of(field) -> list[type[BaseModel]]:
    """The config classes a field holds (a section's), none for a plain value's field."""
    return [leaf for leaf in leaf_types(field.annotation)
            if isinstance(leaf, type) and issubclass(leaf, BaseModel)]


def _field_at(model: type[BaseModel], loc: tuple):
    """The field of `model` (a config class) at pydantic's place `loc`, through its sections,
    or None where the place is not a field of one (an item of a list, a key of a mapping)."""
    field = None
    for depth, part in enumerate(loc):
        if depth:  # the section the previous part names
            sections = _sections_of(field)
            if not sections:
                return None
            model = sections[0]
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
    return field


def _section_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The config class at pydantic's place `loc` of `model` (`model` itself for the top), or
    None where the place is no section."""
    if not loc:
        return model
    field = _field_at(model, loc)
    sections = _sections_of(field) if field is not None else []
    return sections[0] if sections else None


def _unknown_said(loc: tuple, model: type[BaseModel] | None) -> str:
    """An unknown key, said with the key of its section it likely misspells (`n_job` for
    n_jobs; a family's params are one flat mapping, its sections' keys among them)."""
    section = _section_at(model, tuple(loc[:-1])) if model is not None and loc else None
    if section is None or "." in str(loc[-1]).strip("."):  # a dotted name: its own hint
        return "unknown key"
    known = (section.param_names() if issubclass(section, FamilyConfig)
             else list(section.model_fields))
    meant = closest_name(str(loc[-1]), [name for name in known if name != loc[-1]])
    return "unknown key" if meant is None else f"unknown key; did you mean {meant!r}?"


def lone_value_hint(model: type[BaseModel], loc: tuple, value, how: str = YAML) -> str:
    """What to write for a lone value given where a section (`loc` in `model`) takes a mapping:
    `folds: 3` said "expected a mapping" without `folds: {k: 3}`. Only for a section with one
    obvious key for it (lone_key) and a value that key takes; else ""."""
    section = _section_at(model, tuple(loc)) if loc else None
    key = getattr(section, "lone_key", None)
    if key is None or isinstance(value, dict | list) or value is None:
        return ""
    try:
        section.model_validate({key: value}, context={"written_in": how})
    except (ValidationError, ValueError, ConfigError):  # nor does the key: no advice
        return ""
    name = ".".join(map(str, loc))
    if how == OVERRIDES:
        return f"; write {{{f'{name}.{key}'!r}: {value!r}}}"
    if how == PYTHON:
        return f"; write {name}={{{key!r}: {value!r}}}"
    return f"; write {name}: {{{key}: {value}}}"


def missing_said(loc: tuple, model: type[BaseModel] | None = None, python: bool = False) -> str:
    """A required field not given (pydantic's "Field required" said neither that it has no
    default nor what to write), with the values it takes where they are a fixed set (`model`:
    the class `loc` is in; `python`: said to a Python caller, the values quoted as Python
    writes them)."""
    field = _field_at(model, loc) if model is not None and loc else None
    choices = [value for leaf in (leaf_types(field.annotation) if field else ())
               for value in literal_values(leaf)]
    shown = ", ".join(repr(value) if python else str(value) for value in choices)
    return "missing (it has no default); set it" + (f" to one of {shown}" if choices else "")


def kind_said(value, python: bool = False) -> str:
    """A value's kind for "expected ..., got a list": as YAML writes it, and None, True and
    False as Python does to a Python caller (`{"model.params": False}` said "got true/false",
    where `{"folds.k": False}` said "got False")."""
    if python and (value is None or is_boolean(value)):  # numpy's True too
        return repr(value if value is None else bool(value))
    names = {list: "a list", dict: "a mapping", str: "a string", bool: "true/false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def error_message(error: dict, model: type[BaseModel] | None = None,
                  python: bool = False) -> str:
    """One pydantic error's message in a config's words: "unknown key" for an extra one, a
    required one not given with what it takes (missing_said: `model` the class validated,
    `python` whether a Python caller wrote it), a choice refused with the value given, and a
    validator's ValueError without pydantic's "Value error, " in front. A section given as a
    scalar or a list says so (not pydantic's "instance of FoldsConfig"), whether the value
    came from a file, overrides or a class built in Python (`RunConfig(model=False)`)."""
    if error["type"] == "extra_forbidden":
        return _unknown_said(tuple(error["loc"]), model)
    if error["type"] in ("model_type", "dict_type"):
        return f"expected a mapping of keys, got {kind_said(error.get('input'), python)}"
    if error["type"] == "missing":
        return missing_said(tuple(error["loc"]), model, python)
    if error["type"] in PYDANTIC_BOUND_ERRORS:  # Field(ge=1): said as a command's option says it
        kind = PYDANTIC_BOUND_ERRORS[error["type"]]
        return past_bound(error["input"], kind, error["ctx"][kind])
    if error["type"] == "finite_number":  # .inf, .nan: said as a command's option says them
        return not_finite(error["input"]) or error["msg"]
    if error["type"] in ("literal_error", "enum"):  # "Input should be 'QC' or 'QI'" alone
        # did not say what was read (a typo, or a YAML value read as another: `no` is false)
        return f"{error['msg']}, got {error['input']!r}"
    return error["msg"].removeprefix("Value error, ")


_INSIDE_A_VALUE = "only the overrides' own keys are split at dots, not a key inside a value"


def dotted_key_hint(loc: tuple, how: str = YAML) -> str:
    """How to write an unknown key written with dots, `loc` its place (("model.family",) for
    `model.family: fast`, one key in YAML, not model's family): nested, in YAML; as one dotted
    override key, in a Python dict. Said after "unknown key", or "" for a plain name."""
    name = str(loc[-1]) if loc else ""
    if "." not in name.strip("."):
        return ""
    if how == OVERRIDES:
        return f" ({_INSIDE_A_VALUE}: write {{{'.'.join(map(str, loc))!r}: ...}})"
    if how == PYTHON:
        first, *inner = [*map(str, loc[:-1]), *name.split(".")]
        value = "..."
        for part in reversed(inner):
            value = f"{{{part!r}: {value}}}"
        return f" (a dotted name is one keyword or key in Python: write {first}={value})"
    *parents, leaf = name.split(".")
    nested = "".join(f"{part}: {{" for part in parents) + f"{leaf}: ..." + "}" * len(parents)
    return f" (a dotted name is one key in YAML: write {nested})"


def _dotted_param_hint(name: str, config: type[FamilyConfig], where: str, how: str) -> str:
    """`params: {booster.n_estimators: 10}` is one key too, but params are one flat mapping
    (a section's keys among them): the hint names the param to write, not a nesting."""
    if "." not in name.strip("."):
        return ""
    said = {OVERRIDES: _INSIDE_A_VALUE, PYTHON: "a dotted name is one key in Python"}.get(
        how, "a dotted name is one key in YAML")
    leaf = name.rsplit(".", 1)[1]
    if leaf not in config.param_names():
        return f" ({said}, and params are one flat mapping of the family's names)"
    write = {OVERRIDES: f"{{{f'{where}.{leaf}'!r}: ...}}",
             PYTHON: f"{{{leaf!r}: ...}}"}.get(how, f"{leaf}: ...")
    return f" ({said}, and params are one flat mapping: write {write})"


def describe(exc: ValidationError, config: type[FamilyConfig], where: str,
             how: str = YAML) -> str:
    """One line of `where.key: problem`, keys as the user wrote them (flat, no section); `how`
    the config was written (YAML or OVERRIDES), for the hints."""
    sections = config.sections()
    problems = []
    for error in exc.errors():
        loc = [str(x) for x in error["loc"]]
        if loc and loc[0] in sections and len(loc) > 1:
            loc = loc[1:]
        message = error_message(error, config, how != YAML)
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            message += _dotted_param_hint(loc[0], config, where, how)
        problems.append(f"{where}.{'.'.join(loc)}: {message}" if loc else f"{where}: {message}")
    return "; ".join(problems)


def _python_path(loc: list[str | int]) -> str:
    """A field's place as Python reaches it: `folds.k`, `params.backbone[0]`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f"{'.' if path else ''}{part}"
    return path


def in_python_words(exc: ValidationError, config: type[BaseModel]) -> str:
    """One line of `Class: field: problem` for a config class built in Python, fields named
    as Python reaches them (a family's params flat, as it takes them); a check of a section or
    of the whole names its fields itself."""
    sections = config.sections() if issubclass(config, FamilyConfig) else {}
    said = []
    for error in exc.errors():
        loc = list(error["loc"])
        if len(loc) > 1 and loc[0] in sections:
            loc = loc[1:]
        key = _python_path(loc)
        message = error_message(error, config, python=True)
        if error["type"] == "extra_forbidden":
            message += (_dotted_param_hint(str(loc[-1]), config, "params", PYTHON)
                        if sections and len(loc) == 1 else dotted_key_hint(tuple(loc), PYTHON))
        elif error["type"] in ("model_type", "dict_type"):  # RunConfig(folds=3)
            message += lone_value_hint(config, tuple(loc), error.get("input"), PYTHON)
        named = not key or message.startswith((f"{key}.", f"{key}:"))
        said.append(message if named else f"{key}: {message}")
    return f"{config.__name__}: {'; '.join(said)}"
