"""The one sentence for rows read with an empty query or target (null or blank), which
`train` and `predict` both say: the counts a RecordValidator keeps, and where the first is."""

from __future__ import annotations

from pathlib import Path

from shoprel.data.records import position_label
from shoprel.data.spool import input_name

# RecordValidator's stats key: the number of the first record with an empty query or target
FIRST_EMPTY = "first_empty_line"
# an empty or blank query or target among pairs to score one by one (serve's requests,
# Scorer.score: a search never asks about an empty query, and a score for one says nothing),
# where a file's row is kept and noted so that every input id gets its prediction; {}: how
# the pair is given ("send" to serve, "give" to the Python API)
NOT_SCORED = "an empty or blank text is not scored; {} the pair with words in it or leave it out"
# RecordValidator's empty_text policy for such pairs (beside a file's "keep" and "drop")
REFUSE = "refuse"


def empty_counts(stats: dict) -> dict:
    """The part of a reader's stats the note says: the counts, and the first one's number."""
    return {key: stats[key] for key in ("empty_query", "empty_target", FIRST_EMPTY)
            if key in stats}


def empty_texts_note(stats: dict, path: str | Path | None, then: str) -> str | None:
    """"note: in.jsonl holds 1 row with an empty query and 2 with an empty target, the first
    at line 4 (`then`)", a part of none left out ("3 rows with an empty target, ..."); None
    when every row has both texts. `path`: the file read (`-`: stdin), named as every other
    line about an input names it, whose format says whether its records are lines or
    (Parquet) rows."""
    parts = [(count, text) for count, text in ((stats.get("empty_query", 0), "query"),
                                               (stats.get("empty_target", 0), "target"))
             if count]
    if not parts:
        return None
    first = stats.get(FIRST_EMPTY)
    where = f", the first at {position_label(path)} {first}" if first is not None else ""
    (count, text), *more = parts  # the first part alone names its rows
    said = f"{count} {'row' if count == 1 else 'rows'} with an empty {text}" + "".join(
        f" and {n} with an empty {kind}" for n, kind in more)
    holds = f"{input_name(path)} holds " if path is not None else ""
    return f"note: {holds}{said}{where} ({then})"
