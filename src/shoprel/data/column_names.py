"""Column names a file or the pairs give, told where they are not the ones the readers take:
a required column missing or spelled otherwise ('ID', ' id', another dataset's `search_term`),
and a column read only when present spelled otherwise ('Language', `lang`), which a reader that
matches names exactly would read as absent. Kept apart from the readers (records.py), which
read rows, so that every check of a column's name says it in the same words."""

from __future__ import annotations

from shoprel.data.column_hints import column_advice, near_name
from shoprel.data.tasks import (
    KNOWN_COLUMNS,
    OTHER_NAMES,
    REQUEST_FIELDS,
    TRANSLATION_COLUMN,
    one_column_said,
    parted_by,
)

# columns of predictions and submissions, which no other column is a misspelling of either
_KNOWN = (*KNOWN_COLUMNS, "prediction", "probability")


def missing_column(record: dict, name: str, reason: str = "missing required column",
                   holder: str = "the file has", fix: str | None = None) -> str:
    """`reason` for a record without column `name`, naming a column spelled otherwise ('ID',
    ' id', 'origin-query', 'orgin_query') or a header read as one column that holds it
    ('id;language;...', a spreadsheet's ';'): every reader matches names exactly, in every
    format, so such a file is refused rather than read with some of its columns silently
    missing. Where no column is the one misnamed, the record's columns are named, with what to
    do (`fix`; column_advice's by default): "missing required column" alone sent the user to
    open the file. `holder`: who holds them ("the line has": a JSON line among others)."""
    alike = [key for key in record if key != name and bare_name(key) == name]
    if not alike and (one_column := _one_column_holding(record, name)):
        return f"{reason} ({one_column})"
    renamed = renamed_said(record, name, holder)
    if renamed is not None:
        return f"{reason}; {renamed}"
    return reason + column_advice(record, name, holder, _KNOWN, fix)


def renamed_said(record: dict, name: str, holder: str = "the file has") -> str | None:
    """"HOLDER 'ID': name the column 'id' (lower case, no spaces)" where a column of the record
    is the missing `name` spelled otherwise (case, spaces, a byte-order mark), under the server
    request's name ('query') or another dataset's ('search_term', 'title'), or misspelled
    ('orgin_query'); None where none is. What missing_column says after its reason, and what
    missing_columns.py says of each column of several."""
    alike = [key for key in record if key != name and bare_name(key) == name]
    if alike:
        return f"{holder} {alike[0]!r}: name the column {name!r} {spelling_fix(alike[0])}"
    if REQUEST_FIELDS.get(name) in record:  # a file in a request's shape
        return (f"found {REQUEST_FIELDS[name]!r}, the server API's name: files and the Python "
                f"API call it {name!r}")
    other = next((key for key in OTHER_NAMES.get(name, ()) if key in record), None)
    near = other or near_name(record, name, _KNOWN)
    return f"{holder} {near!r}: name the column {name!r}" if near is not None else None


# a byte-order mark, which Excel's "CSV UTF-8" starts with: Python's csv module and open()
# without encoding='utf-8-sig' keep it on the first column's name ('\ufeffid'), and
# str.strip() leaves it, so that column went unread (the ids taken for positions)
BOM = "\ufeff"


def bare_name(key) -> str | None:
    """A column's name as its spelling is compared: without case, spaces or a byte-order
    mark; None for a key that is no text."""
    return key.replace(BOM, "").strip().lower() if isinstance(key, str) else None


def spelling_fix(key: str) -> str:
    """What turns a name spelled otherwise into the one read: a byte-order mark is said as
    such, since no rename in an editor shows it."""
    if BOM in key:
        return ("(it begins with a byte-order mark, U+FEFF: read the CSV with "
                "encoding='utf-8-sig')")
    return "(lower case, no spaces)"


def _one_column_holding(record: dict, name: str) -> str:
    """What is said of a header read as one column that holds `name`, or '': a CSV whose rows
    hold no ',' (titles without commas) reads whole as that one column, so no row's field count
    tells it (as csv_header.row_problem does for a category path's commas)."""
    for key in record:
        if said := parted_by(key, {name}):
            return one_column_said(key, said)
    return ""


# columns a reader takes only when present: one spelled otherwise ('Language', ' label') is
# refused, where it was read as absent (a `Language` CSV trained every row as `unk`)
READ_WHEN_PRESENT = ("language", "label", "task", TRANSLATION_COLUMN)
# what other files call an optional column, said as missing_column says a required one's
OTHER_OPTIONAL_NAMES = {"language": ("lang",)}


def misspelled_column(record: dict, names, holder: str = "the file has"
                      ) -> tuple[str, str] | None:
    """(name, reason) for the first of `names` the record lacks while holding it spelled
    otherwise (case, spaces, or another dataset's name), else None: a reader that matches
    names exactly would otherwise read such a column as absent, and its rows as untagged,
    unlabelled or untranslated. `holder`: who holds it ("the pairs have", from Python)."""
    for name in names:
        if (key := misnamed_as(record, name)) is not None:
            return name, (f"no {name!r} column, but {holder} {key!r}, which is not read as "
                          f"{name!r}: name the column {name!r}" + _fix_of(key, name))
    return None


def misnamed_as(record: dict, name: str):
    """The column of the record that is the optional column `name` spelled otherwise (case,
    spaces) or under another file's name ('lang'), where `name` itself is absent; else None."""
    if name in record:
        return None
    cased = [key for key in record if bare_name(key) == name]
    other = [key for key in OTHER_OPTIONAL_NAMES.get(name, ()) if key in record]
    return (cased or other or [None])[0]


def misnamed_said(record: dict, name: str, holder: str = "the file has") -> str | None:
    """"HOLDER 'Language': name the column 'language' (lower case, no spaces)" for an optional
    column misnamed_as finds, else None: said so among several columns (missing_columns.py)."""
    key = misnamed_as(record, name)
    return None if key is None else f"{holder} {key!r}: name the column {name!r}" + \
        _fix_of(key, name)


def _fix_of(key: str, name: str) -> str:
    """' (lower case, no spaces)' after a column `name` spelled otherwise, '' after another
    file's name for it."""
    return f" {spelling_fix(key)}" if bare_name(key) == name else ""
