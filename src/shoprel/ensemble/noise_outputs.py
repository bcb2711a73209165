"""Which existing files `shoprel noise --overwrite` may replace: only what noise itself writes
from the run's training file. Its outputs take a data file's names (flagged.txt, clean.jsonl),
so a gold labels file given as `--out` by mistake was replaced; a file is now replaced only
where noise's record beside it (flag_source.py) proves it noise's own, flagged ids or a
filtered copy, its bytes unchanged since. Their content alone could not tell: a list of a dev
split's ids is all training ids, a dev split carved from the training file all training rows.
Anything else is refused in one line, before any work.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from shoprel.data.formats import file_format
from shoprel.data.frame import PairFrame
from shoprel.data.readers import read_pairs
from shoprel.data.records import (
    Record,
    iter_records,
    jsonl_records,
    marked_text_lines,
    require_file,
)
from shoprel.data.tasks import TaskGivenBy
from shoprel.ensemble.flag_source import FILTERED, FLAGGED, not_recorded
from shoprel.utils.outputs import check_own_output


class TrainingFile:
    """The run's training file as noise reads it, parsed once, when first needed:
    find_noisy_rows shows the flagged rows' texts from it and filter_training_file copies its
    records (or its lines, JSON lines to JSON lines), where each read the whole file (four
    reads with --overwrite, when the checks below judged an existing output by its content).
    `path` None: a run recording no training file. `given_by`: who gives `task` (the run:
    run/train_file.py's training_file_task), said with the fix where the file there now is
    of the other task."""

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


def check_flagged_replaceable(out: str | Path) -> None:
    """An existing `--out` is replaced only if noise wrote it: its record beside it
    (flag_source.py) holds the file's SHA-256, which its bytes still match. Its ids alone
    could not tell: a list of a dev split's ids, made by hand, is all training ids too, and
    was replaced as noise's flags; a file with no record is kept. An empty file holds nothing
    to lose, and is replaced as any empty output is."""
    check_own_output(out, lambda path: not_recorded(path, FLAGGED),
                     "a flagged-ids file that noise wrote", "noise")


def check_filtered_replaceable(out: str | Path, train: TrainingFile) -> None:
    """An existing `--filtered-train` is replaced only if noise wrote it: its record beside it
    (flag_source.py) holds the file's SHA-256, which its bytes still match. Its rows alone
    could not tell: a dev split carved from the training file, or a copy kept by hand, holds
    training rows too, and was replaced as noise's copy; a file with no record is kept. An
    empty file holds nothing to lose, and is replaced as any empty output is."""
    check_own_output(out, lambda path: not_recorded(path, FILTERED),
                     f"a filtered copy of {train.path} that noise wrote", "noise")
