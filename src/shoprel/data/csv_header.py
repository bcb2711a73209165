"""What a CSV/TSV file's first line, or a later row, says is wrong with its header, in one line.

A spreadsheet or a shell leaves many things where the header should be (JSON lines under a .csv
name, a blank line, Excel's `sep=` hint, a row with the header left out) or after it (a second
header where files were joined, a header whose columns `;` parts); each is said in the file's
words rather than as the field count or missing column it would otherwise surface as.
"""

from __future__ import annotations

import re

from shoprel.data.tasks import one_column_said, parted_by

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def header_problem(header: list[str], delimiter: str) -> str | None:
    """What makes `header` (the first line's cells, stripped) no header, or None."""
    if header[:1] and header[0].startswith("{"):  # JSON lines saved under a .csv name
        return "holds a JSON object, not a header: the file is JSON lines; name it .jsonl"
    if not any(header):  # a blank line above the header: its columns were read as none
        return ("names no columns: the first line must be the header naming them (id, ...); "
                "delete any blank lines above it")
    if header[0].lower().startswith("sep=") and len(header[0]) <= 5 and not any(header[1:]):
        written = header[0] + delimiter * (len(header) - 1)  # Excel's hint line
        return (f"{written!r} is a spreadsheet's separator line, not the header: delete it, so "
                "that the line naming the columns (id, ...) comes first")
    # a file written without its header line was refused as 'the header names this column
    # twice' (a row "1,1") or 'missing required column', as if a column were misnamed
    names = [name for name in header if name]
    if all(_NUMBER.fullmatch(name) for name in names):
        shown = ", ".join(repr(name) for name in names[:4]) + (", ..." if len(names) > 4 else "")
        return (f"the first line holds only numbers ({shown}), not column names: the header "
                "line naming the columns (id, ...) is missing")
    return None


def row_problem(row: list[str], header: list[str], delimiter: str) -> tuple[str, bool] | None:
    """What a non-blank row after the header says is wrong, and whether it is told at the
    header's line (else at the row's), or None: the header again (files joined one after
    another, the second with its byte-order mark), or a count of fields other than the
    header's: at the header where the header is one column that ';' (or '|') parts, whose
    rows' paths hold ','."""
    if [cell.strip().removeprefix("\ufeff") for cell in row] == header:
        return "repeats the header line (files joined one after another?); delete it", False
    if len(row) == len(header):
        return None
    said = parted_by(header[0]) if len(header) == 1 else None
    if said:
        return one_column_said(header[0], said), True
    # a hand-written row whose category path or title holds the separator unquoted
    unquoted = (f": a text holding {'a tab' if delimiter == chr(9) else repr(delimiter)} (a "
                "category path, a title) must be in double quotes"
                if len(row) > len(header) else "")
    return f"expected {len(header)} fields, found {len(row)}{unquoted}", False
