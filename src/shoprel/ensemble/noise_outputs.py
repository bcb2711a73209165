"""Which existing files `shoprel noise --overwrite` may replace: only what noise itself writes
from the run's training file. Its outputs take a data file's names (flagged.txt, clean.jsonl),
so a gold labels file given as `--out` by mistake was replaced; a file is now replaced only
when its content is noise's: flagged ids (or their table) of the training file's rows, or a
filtered copy that noise's record beside it proves its own (flag_source.py). Anything else is
refused in one line, before any work.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from shoprel.data.formats import ID_TABLE_SUFFIXES, file_format
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.records import (
    Record,
    file_columns,
    iter_records,
    iter_text_lines,
    jsonl_records,
    marked_text_lines,
    require_file,
)
from shoprel.data.tasks import TaskGivenBy
from shoprel.data.validate import id_text
from shoprel.ensemble.flag_source import FILTERED, not_recorded
from shoprel.utils.outputs import check_own_output, holds_data

# the columns of a flagged-ids table (ensemble/noise.find_noisy_rows; query and target only
# where the training file was read); label_quality is noise's own, no data file's
FLAGGED_COLUMNS = frozenset({"id", "language", "label", "probability", "label_quality", "query",
                             "target"})
# the formats whose every field is text
TEXT_FORMATS = ("csv", "tsv")


class TrainingFile:
    """The run's training file as noise reads it, parsed once, when first needed: the checks
    below judge an existing output by it at the start, just before noise writes and again at
    the swap, find_noisy_rows shows the flagged rows' texts from it and filter_training_file
    copies its records (or its lines, JSON lines to JSON lines), where each read the whole
    file (four reads with --overwrite). `path` None: a run recording no training file. Read
    outside the guard (check_own_output), so that a bad training file is told as its own
    error, not as the output's. `given_by`: who gives `task` (the run: run/train_file.py's
    training_file_task), said with the fix where the file there now is of the other task."""

    def __init__(self, path: str | Path | None, task: str | None = None,
                 given_by: TaskGivenBy | None = None):
        self.path = path
        self.task = task
        self.given_by = given_by
        # whether the JSON-lines file read into `lines` began with a byte-order mark, which
        # a copy of its lines keeps (None: not read so)
        self.marked: bool | None = None

    @cached_property
    def lines(self) -> list[tuple[int, str]] | None:
        """A JSON-lines file's (line number, text) of every line, blank ones too, as written:
        read once, for its records and for a JSON-lines filtered copy; None in another format."""
        if self.path is None or file_format(Path(self.path).expanduser()) != "jsonl":
            return None
        path = Path(self.path).expanduser()
        require_file(path)
        lines, self.marked = marked_text_lines(path)
        return lines

    @cached_property
    def records(self) -> list[Record]:
        """Its (line number, record) pairs (of a JSON-lines file, parsed from its lines)."""
        if self.lines is not None:
            return list(jsonl_records(Path(self.path).expanduser(), self.lines))
        return list(iter_records(self.path))

    @cached_property
    def frame(self) -> PairFrame:
        """Its rows as every command reads them (read_pairs), from the records above."""
        return read_pairs(self.path, task=self.task, records=self.records,
                          given_by=self.given_by)

    @cached_property
    def ids(self) -> set[str]:
        """Its rows' ids, as id_text writes them."""
        return {id_text(record.get("id")) for _, record in self.records}


def check_flagged_replaceable(out: str | Path, train: TrainingFile) -> None:
    """An existing `--out` is replaced only if it holds flagged ids of the training file's rows
    (one per line, or a table with noise's label_quality column); a run recording no training
    file, whose flagged ids cannot be told, has nothing existing replaced. An empty file holds
    nothing to lose (noise writes one where it flags no row), and its ids are not read."""

    # read out here, where there is a file to judge: a bad training file is its own error,
    # not the output's
    known = train.ids if train.path is not None and holds_data(out) else None

    def not_flagged(path: Path) -> str | None:
        if known is None:
            return "the run records no training file to tell its ids by"
        return _not_flagged_ids(path, known, train.path)

    check_own_output(out, not_flagged, "a flagged-ids file of noise", "noise")


def check_filtered_replaceable(out: str | Path, train: TrainingFile) -> None:
    """An existing `--filtered-train` is replaced only if noise wrote it: its record beside it
    (flag_source.py) holds the file's SHA-256, which its bytes still match. Its rows alone
    could not tell: a dev split carved from the training file, or a copy kept by hand, holds
    training rows too, and was replaced as noise's copy; a file with no record is kept. An
    empty file holds nothing to lose, and is replaced as any empty output is."""
    check_own_output(out, lambda path: not_recorded(path, FILTERED),
                     f"a filtered copy of {train.path} that noise wrote", "noise")


def _not_flagged_ids(out: Path, known: set[str], train_file: str | Path) -> str | None:
    """Why `out` is no flagged-ids output of the training file whose ids are `known`, or None."""
    if out.suffix.lower() not in ID_TABLE_SUFFIXES:
        listed = False
        for line, text in iter_text_lines(out):
            if text.strip() and id_text(text.strip()) not in known:
                return f"line {line} is no id of {train_file}"
            listed = listed or bool(text.strip())
        # noise lists no id in an empty file, which is replaced unread
        return None if listed else "it holds no ids and is not empty, as noise's list of no ids is"
    listed = False
    for line, record in iter_records(out):
        if not listed and (why := _not_flagged_columns(list(record))):
            return why
        listed = True
        if id_text(record.get("id")) not in known:
            return f"line {line} holds id {record.get('id')!r}, no id of {train_file}"
    return None if listed else _not_flagged_header(out)


def _not_flagged_columns(columns: list[str]) -> str | None:
    """Why a table with these columns is no flagged-ids table of noise's, or None: it has
    noise's own label_quality column and no column noise does not write."""
    if "label_quality" not in columns or not set(columns) <= FLAGGED_COLUMNS:
        return f"its columns are {', '.join(columns)}, not those noise writes"
    return None


def _not_flagged_header(out: Path) -> str | None:
    """Why a table of no rows is not noise's, or None: where noise flags no row it writes its
    columns alone (a CSV/TSV header line, a Parquet schema) or, as JSON lines, an empty file
    (replaced unread). Any header alone was replaced: another table's (sku,price), blank lines,
    a Parquet schema of other columns."""
    columns = file_columns(out)
    if not columns:
        return "it holds no rows and no columns"
    why = _not_flagged_columns(columns)
    fmt = file_format(out)
    if why is None and fmt in TEXT_FORMATS:
        header = ("," if fmt == "csv" else "\t").join(columns) + "\n"
        if out.read_text(encoding="utf-8") != header:
            return "it holds no rows, and is not the header line alone that noise writes"
    return why
