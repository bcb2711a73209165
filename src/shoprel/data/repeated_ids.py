"""A file's repeated ids said as the file wrote them, by every reader of ids alike (the pair
readers, evaluate's predictions, check-submission): "007" twice is 'duplicate id '007'', not
its key 7, which no line holds; "007" then 7 is said in both spellings."""

from __future__ import annotations

from shoprel.data.records import as_written, shown_value


def shown_id(raw, key, text_table: bool) -> str:
    """An id as its file wrote it, for a message naming it. A CSV or TSV cell that reads as a
    number is shown bare (5, 007), as the file holds it: quoted ('5') it read as a JSON file's
    text "5", beside another file's number 5, a type the cell never had. Text ids, and a cell
    with spaces about its digits (' 7'), are quoted; a typed file's id is as it wrote it.
    `key`: the id as checked_id reads it; `text_table`: the file is a CSV or TSV."""
    if text_table and isinstance(key, int) and isinstance(raw, str) and raw == raw.strip():
        return raw
    return shown_value(raw)


def written_form(raw, key, text_table: bool) -> tuple[str, str]:
    """(text, shown) of an id as written: two rows of one key written alike have the same."""
    return as_written(raw), shown_id(raw, key, text_table)


def spelled_apart(written: tuple[str, str], first: tuple[str, str], where: str) -> str:
    """A repeated id written otherwise than where it was first seen ("007" then 7, JSON's 5
    then "5"), said in both spellings: "duplicate id 5" of both, the user saw no repeat.
    `written`, `first`: written_form of each; `where`: "line N" or "FILE, line N"."""
    return (f"duplicate id: {written[1]} is the id {first[1]} of {where} (7, 7.0, \"7\" and "
            "\"007\" are one id)")


class SeenIds:
    """The ids of one file met so far: each key's first line, and its spelling there where
    that is not the key's own (007 for 7, "5" for 5), kept only then, as a large file's ids
    are many and mostly written as their keys."""

    def __init__(self, text_table: bool, line_label: str = "line"):
        """`text_table`: a CSV or TSV (shown_id); `line_label`: "line", "row" or "pair"."""
        self.text_table = text_table
        self.line_label = line_label
        self.lines: dict = {}  # key -> the line it is first met on
        self.spelled: dict = {}  # key -> its first written_form, where not the key's own

    def __contains__(self, key) -> bool:
        return key in self.lines

    def keys(self):
        return self.lines.keys()

    def repeat(self, raw, key, line: int) -> str | None:
        """For an id met before, the message naming both lines, the id as written in each
        (once where written alike); else None, and the id is recorded as met on `line`.
        `raw`: the id as the file holds it; `key`: as checked_id reads it."""
        written = written_form(raw, key, self.text_table)
        plain = (as_written(key), shown_value(key))  # the key as a row that wrote it shows it
        if key in self.lines:
            first = self.spelled.get(key, plain)
            where = f"{self.line_label} {self.lines[key]}"
            if first != written:  # "007" then 7, or JSON's 5 then "5"
                return spelled_apart(written, first, where)
            return f"duplicate id {written[1]} (first seen on {where})"
        self.lines[key] = line
        if written != plain:
            self.spelled[key] = written
        return None
