"""A key the request models do not know, said with the field it most likely misspells.

pydantic answers `{"pair": [...]}` with two errors, `body.pairs: Field required` first and the
unknown `pair` second, so a client read that a field it believed it sent was missing. The
unknown key names the field meant ('pair' for 'pairs', 'qurey' or the files' 'origin_qurey' for
'query'); the field is then not said to be missing apart.
"""

from __future__ import annotations

from shoprel.data.tasks import REQUEST_FIELDS
from shoprel.utils.close_names import closest_name


def meant_field(key: str, known, present) -> str | None:
    """The field of `known` that `key` likely stands for, among those its object does not hold
    (`present`): spelled alike in any case, or alike the training files' name for it."""
    candidates = [name for name in known if name not in present]
    spellings = {name: name for name in candidates}
    spellings.update({column: name for column, name in REQUEST_FIELDS.items()
                      if name in candidates})
    return closest_name(key, spellings)


def unknown_field_message(meant: str | None, known) -> str:
    """What is said of an unknown key: the field it stands for, or the fields there are."""
    if meant is not None:
        return f"unknown field; did you mean {meant!r}?"
    if not known:
        return "unknown field"
    return "unknown field; drop it (the fields here: " + ", ".join(map(repr, known)) + ")"
