"""A Parquet map column's values as objects: pyarrow reads each map as a list of (key, value)
pairs, so `{}` came back as `[]` and `{"a": 1}` as `[["a", 1]]` in a JSON-lines or CSV output
(translate, langid) and in every error that names a value's kind. A map is the one Parquet
type that holds an object with no keys beside keyed ones: a struct column has its fields on
every row, so there `{}` is stored as `{"a": null}` and read so, as the file holds it."""

from __future__ import annotations

from collections.abc import Callable


def _holds_map(kind) -> bool:
    import pyarrow as pa

    if pa.types.is_map(kind):
        return True
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
            pa.types.is_fixed_size_list(kind):
        return _holds_map(kind.value_type)
    if pa.types.is_struct(kind):
        return any(_holds_map(kind.field(index).type) for index in range(kind.num_fields))
    return False


def _as_objects(value, kind):
    """`value` (as pyarrow's to_pylist gives it) with every map in it a dict; a map whose keys
    repeat or are no dict key (a struct) stays its list of pairs, which loses nothing."""
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_map(kind):
        pairs = [(_as_objects(key, kind.key_type), _as_objects(item, kind.item_type))
                 for key, item in value]
        try:
            unique = len({key for key, _ in pairs}) == len(pairs)
        except TypeError:  # an unhashable key
            unique = False
        return dict(pairs) if unique else pairs
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or \
            pa.types.is_fixed_size_list(kind):
        return [_as_objects(item, kind.value_type) for item in value]
    if pa.types.is_struct(kind):
        return {field.name: _as_objects(value[field.name], field.type) for field in kind}
    return value


def map_readers(schema) -> dict[str, Callable]:
    """For each column of the Arrow `schema` that holds a map (at any depth), the function
    that turns one of its values into objects; columns without one are read as they are."""
    return {field.name: (lambda value, kind=field.type: _as_objects(value, kind))
            for field in schema if _holds_map(field.type)}
