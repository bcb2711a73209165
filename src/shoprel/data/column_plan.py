"""The columns of a file of records written chunk by chunk (`translate`, `langid`), gathered
over every record in one streamed pass before anything is written: their order, which hold
text, and for Parquet one type per column that every chunk is written with. A chunk's own
types are no guide: a column null in the first chunk and lists later, a struct whose keys
grow, true/false then numbers would fail midway or be cast quietly (5 written as true); a
column no one type holds, or a value no Parquet type holds (an empty object, a whole number
beyond 64 bits), is told at its line before any work instead. Columns whose type is given
(a Parquet input's own) keep it."""

from __future__ import annotations

from pathlib import Path

from shoprel.data.records import FloatText, position_label, written_kind
from shoprel.errors import OutputError, one_line_reason

# values of a list, object or other non-scalar column whose Parquet type is found at once
NESTED_BATCH = 2_000
TO_TEXT = (str, int, float)  # a number in a column of text is written as its text
PLAIN = {str, int, float, FloatText, bool}  # kinds whose Parquet type needs no inference
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1  # the whole numbers a Parquet column of numbers holds
INT64_WHY = "Parquet holds whole numbers of 64 bits at most"
# what a misfit is refused with, after why: the way out the command has
WAY_OUT = "write the output as .jsonl or .csv"


def _group(kind: type) -> type:
    """Kinds one Parquet column holds together: text and numbers (the numbers as the text the
    file wrote), or ints and floats; any other kind only with itself."""
    return str if kind in TO_TEXT else kind


def _merged(known, found):
    """The type holding both (null and an empty list widen, an int list and a float list are
    float lists, structs take every field); pyarrow's error when none does."""
    import pyarrow as pa

    if known is None:
        return found
    return pa.unify_schemas([pa.schema([("v", known)]), pa.schema([("v", found)])],
                            promote_options="permissive").field("v").type


class ColumnPlan:
    """What a file's records make of each column (see the module): `add` every record, with
    its line, then `names`, `text` and `arrow_schema()` (which tells the first value no
    Parquet column type holds, naming `source`, its line and field). `types`: the Arrow type
    of columns whose values are written back as read from a Parquet file
    (records.parquet_types), kept as they are rather than found again from the values."""

    def __init__(self, source: str | Path | None = None, types: dict | None = None):
        self.source = source
        self.types = dict(types or {})
        self.names: list[str] = []
        self.text: set[str] = set()
        self.kinds: dict[str, set[type]] = {}
        self._seen: dict[str, set[type]] = {}
        self._first_of_group: dict[str, dict[type, tuple[int | None, str]]] = {}
        self._pending: dict[str, list[tuple[int | None, object]]] = {}
        self._nested: dict = {}
        self._beyond_int64: dict[str, tuple[int | None, int]] = {}  # first (line, number)
        # per column, where in a value (keys, "[]" for a list's items) an empty object was
        # first met: (line, order met)
        self._empty_objects: dict[str, dict[tuple[str, ...], tuple[int | None, int]]] = {}
        self._problem: OutputError | None = None

    def add(self, record: dict, line: int | None = None) -> None:
        for name, value in record.items():
            seen = self._seen.get(name)
            if seen is None:
                self.names.append(name)
                self.kinds[name] = set()
                self._first_of_group[name] = {}
                seen = self._seen[name] = set()
            if value is None or name in self.types:
                continue
            kind = type(value)
            if kind not in seen:  # what is noted of a kind is noted at its first value
                seen.add(kind)
                self._new_kind(name, kind, value, line)
            if kind is int:
                if not INT64_MIN <= value <= INT64_MAX:
                    self._beyond_int64.setdefault(name, (line, value))
            elif kind not in PLAIN and self._problem is None:
                pending = self._pending.setdefault(name, [])
                pending.append((line, value))
                if len(pending) >= NESTED_BATCH:
                    self._settle(name)

    def _new_kind(self, name: str, kind: type, value, line: int | None) -> None:
        """A kind of value first met in the column: noted, and told when no Parquet column
        holds it beside the kinds met before."""
        kind = float if kind is FloatText else kind
        if kind is str:
            self.text.add(name)
        else:
            self.kinds[name].add(kind)
        groups = self._first_of_group[name]
        group = _group(kind)
        if group in groups:
            return
        groups[group] = (line, written_kind(value))
        if len(groups) > 1 and self._problem is None:
            earlier_line, earlier = next(iter(groups.values()))
            self._refuse(name, line, f"{written_kind(value)} here, {earlier} on "
                                     f"{self._place(earlier_line)}")

    def _settle(self, name: str) -> None:
        """The pending non-scalar values of `name` merged into its type, in one call when they
        agree; when not, one at a time to find the line of the first that does not fit."""
        import pyarrow as pa

        pending = self._pending.pop(name, [])
        if not pending or self._problem is not None:
            return
        try:
            found = pa.array([value for _, value in pending]).type
            self._nested[name] = _merged(self._nested.get(name), found)
            self._note_empty_objects(name, found, pending)
            return
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            pass
        for line, value in pending:
            try:
                found = pa.array([value]).type
            except OverflowError:
                self._refuse(name, line, f"{written_kind(value)} here holding a whole number "
                                         "beyond 64 bits", INT64_WHY)
                return
            except (pa.ArrowException, ValueError, TypeError) as exc:
                self._refuse(name, line, f"{written_kind(value)} that Parquet cannot hold "
                                         f"({one_line_reason(exc)})")
                return
            try:
                self._nested[name] = _merged(self._nested.get(name), found)
            except (pa.ArrowException, ValueError, TypeError):
                self._refuse(name, line, f"{written_kind(value)} of type {found} here, where "
                                         f"the {position_label(self.source)}s above make the "
                                         f"column {self._nested[name]}")
                return
            self._note_empty_objects(name, found, [(line, value)])

    def _note_empty_objects(self, name: str, found, values: list) -> None:
        """Where the values' type `found` holds an object with no keys (pyarrow's struct<>,
        which Parquet cannot write), the line of the first value holding one there: the
        column's type may still gain keys there from later values."""
        places = set(_empty_struct_places(found)) - set(self._empty_objects.get(name, {}))
        if not places:
            return
        noted = self._empty_objects.setdefault(name, {})
        for line, value in values:
            for place in _empty_object_places(value):
                if place in places:
                    noted[place] = (line, len(noted))
                    places.discard(place)
            if not places:
                return

    def _place(self, line: int | None) -> str:
        return (f"{position_label(self.source)} {line}" if line is not None
                else "an earlier record")

    def _refuse(self, name: str, line: int | None, reason: str,
                why: str = "a Parquet column holds one type of value") -> None:
        where = ", ".join(str(part) for part in (
            self.source, f"{position_label(self.source)} {line}" if line is not None else None,
            f"field {name!r}") if part is not None)
        self._problem = OutputError(f"{where}: {reason}: {why}; {WAY_OUT}")

    def _refuse_unwritable_values(self) -> None:
        """A value no Parquet type holds whatever the column's other values: a whole number
        beyond 64 bits in a column of numbers, or an object with no keys in a place where no
        value gives it any (pyarrow writes neither)."""
        for name in self.names:
            if name in self._beyond_int64 and name not in self.text:
                line, number = self._beyond_int64[name]
                self._refuse(name, line, f"the number {number} here, beyond 64 bits", INT64_WHY)
                return
            noted = self._empty_objects.get(name, {})
            empty = [noted[place] + (place,) for place in _empty_struct_places(
                self._nested[name]) if place in noted] if name in self._nested else []
            if empty:
                line, _, place = min(empty, key=lambda item: item[1])
                at = f" (at {_place_text(name, place)})" if place else ""
                self._refuse(name, line, f"an empty object here{at}, and no line gives one "
                                         "there a key", "a Parquet object needs at least one "
                                                        "field")
                return

    def arrow_schema(self):
        """The Parquet schema of the whole file: text columns as strings, numbers and booleans
        as every value makes them, lists, objects and other values as one type that holds them
        all; the first value no type holds is an OutputError naming its line and field."""
        import pyarrow as pa

        for name in list(self._pending):
            self._settle(name)
        if self._problem is None:
            self._refuse_unwritable_values()
        if self._problem is not None:
            raise self._problem
        fields = []
        for name in self.names:
            kinds = self.kinds[name]
            if name in self.types:
                kind = self.types[name]
            elif name in self.text:
                kind = pa.string()
            elif not kinds:
                kind = pa.null()
            elif kinds == {bool}:
                kind = pa.bool_()
            elif kinds == {int}:
                kind = pa.int64()
            elif kinds <= {int, float}:
                kind = pa.float64()
            else:
                kind = self._nested[name]
            fields.append(pa.field(name, kind))
        return pa.schema(fields)


def _empty_struct_places(kind, place: tuple[str, ...] = ()):
    """Where the pyarrow type `kind` has a struct with no fields: a path of field names, "[]"
    for a list's items."""
    import pyarrow as pa

    if pa.types.is_struct(kind):
        if kind.num_fields == 0:
            yield place
        for index in range(kind.num_fields):
            yield from _empty_struct_places(kind.field(index).type,
                                            (*place, kind.field(index).name))
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        yield from _empty_struct_places(kind.value_type, (*place, "[]"))


def _empty_object_places(value, place: tuple[str, ...] = ()):
    """Where the record's value holds an object with no keys, as _empty_struct_places says
    it."""
    if isinstance(value, dict):
        if not value:
            yield place
        for key, inner in value.items():
            yield from _empty_object_places(inner, (*place, str(key)))
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _empty_object_places(inner, (*place, "[]"))


def _place_text(name: str, place: tuple[str, ...]) -> str:
    """A place in the column's values as a reader writes it: "extra.a", "extra[].b"."""
    return name + "".join(step if step == "[]" else f".{step}" for step in place)
