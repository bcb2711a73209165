"""Every column a file's header lacks or misnames, said in one line: a CSV headed
`id,search,cat,label` was told its target column was missing, then, once that was renamed, its
query column, a run of the command for each. One column missing is said as before
(column_names.missing_column); this module says two or more together."""

from __future__ import annotations

from shoprel.data.column_hints import listed
from shoprel.data.column_names import misnamed_said, renamed_said
from shoprel.data.tasks import TARGET_COLUMN, parted_by

# a file of neither target column, none of its columns naming one: the task is not known
EITHER_TARGET = "a target column ('category_path' for QC, 'item_title' for QI)"


def target_missing(record: dict, target: str | None) -> str | None:
    """The target column `record` lacks: `target` (the task's, where it is known) or, without
    it, the one a column is spelled or named as ('Category_Path', 'title'), else EITHER_TARGET;
    None where a target column is there (or, the task known, the other task's: a row of the
    other task, which the readers say as such)."""
    if any(name in record for name in TARGET_COLUMN.values()):
        return None
    if target is not None:
        return target
    return next((name for name in TARGET_COLUMN.values() if renamed_said(record, name)),
                EITHER_TARGET)


def missing_columns(record: dict, required, optional=(),
                    holder: str = "the file has") -> str | None:
    """One line for the columns of `required` that `record` lacks (EITHER_TARGET among them
    for a target neither named nor hinted) and those of `optional` it holds misnamed
    ('Language'), where they are two or more; None for fewer, which the readers say one by one
    as ever, as they say a header read as one column ('id;prediction', its separator). Each
    renamed column is said with its rename, the rest once with the file's columns."""
    if any(parted_by(key) for key in record):
        return None
    absent = [name for name in required if name not in record]
    misnamed = [name for name in optional if misnamed_said(record, name, holder)]
    if len(absent) + len(misnamed) < 2:
        return None
    hints, unhinted = [], []
    for name in absent:
        hint = renamed_said(record, name, holder) if name != EITHER_TARGET else None
        (hints.append(hint) if hint else unhinted.append(name))
    hints += [misnamed_said(record, name, holder) for name in misnamed]
    said = []
    if absent:
        said.append(f"missing required column{'s' if len(absent) > 1 else ''} "
                    f"{_and(absent)}")
    if misnamed:
        said.append(f"misnamed {_and(misnamed)}")
    if unhinted:
        hints.append(f"{holder} {listed(record)}: {_add(unhinted, len(hints) == 0)}")
    return f"{', and '.join(said)}: {'; '.join(hints)}"


def _shown(name: str) -> str:
    return name if name == EITHER_TARGET else repr(name)


def _and(names) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c'."""
    shown = [_shown(name) for name in names]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _add(names, alone: bool) -> str:
    """What to do with the columns no column of the file is a spelling of: `alone`, they are
    all the problems, just named before."""
    if alone:
        return "add them, or rename the columns that hold them"
    if len(names) > 1:
        return f"add columns {_and(names)}, or rename the ones that hold them"
    if names[0] == EITHER_TARGET:
        return ("add the column of the task's target (QC: category paths, QI: item titles), "
                "or rename the one that holds it")
    return f"add a column {names[0]!r}, or rename the one that holds it"
