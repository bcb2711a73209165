"""What a message on a missing column says the file holds instead: a column that is the missing
one misspelled ('origin-query', 'orgin_query', 'lable'), else the columns it has. "missing
required column" alone sent the user to open the file to learn what it held and what to fix.
Kept free of the readers' own names (tasks.py, column_names.py pass them) so both may use it."""

from __future__ import annotations

from shoprel.utils.close_names import closest_name

# a short name ('id') has near misses that are other columns ('ids', 'pid'): only its own
# letters in another case or with other separators ('_id', 'I.D.') are taken for it
_SHORTEST_FUZZY = 5
# 'orgin_query' and 'lable' reach it; 'categories' (for category_path) does not
_CUTOFF = 0.8
_LISTED = 8  # a wide file's columns are named up to this many, then counted


def _squeezed(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def near_name(columns, name: str, known=()) -> str | None:
    """The column of `columns` that is `name` misspelled (other separators or case, or a letter
    or two off), or None; a column the readers take under its own name (`known`) is none."""
    others = [c for c in columns if isinstance(c, str) and c != name and c not in known]
    wanted = _squeezed(name)
    for column in others:
        if _squeezed(column) == wanted:
            return column
    if len(wanted) < _SHORTEST_FUZZY:
        return None
    squeezed: dict[str, str] = {}
    for column in others:
        squeezed.setdefault(_squeezed(column), column)
    return closest_name(wanted, squeezed, cutoff=_CUTOFF)  # the keys' rule, stricter


def listed(columns) -> str:
    """The columns named as a message names them ("'id', 'label'"), the first few of a wide
    file and a count of the rest; 'none' for none."""
    names = [repr(c) for c in columns]
    if not names:
        return "none"
    if len(names) > _LISTED:
        return f"{', '.join(names[:_LISTED])} and {len(names) - _LISTED} more"
    return ", ".join(names)


def column_advice(columns, name: str, holder: str = "the file has", known=(),
                  fix: str | None = None) -> str:
    """"; HOLDER 'origin-query': name the column 'origin_query'" for a near miss, else
    "; HOLDER 'id', 'label': FIX" (by default: add the column, or rename the one holding it),
    said after what is missing."""
    near = near_name(columns, name, known)
    if near is not None:
        return f"; {holder} {near!r}: name the column {name!r}"
    fix = fix or f"add a column {name!r}, or rename the one that holds it"
    return f"; {holder} {listed(columns)}: {fix}"
