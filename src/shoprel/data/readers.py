"""Read pair files into PairFrames, whole or in chunks, validating every row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from shoprel.data.frame import PairFrame
from shoprel.data.records import NO_ROWS, Record, iter_records
from shoprel.data.tasks import Task, TaskGivenBy
from shoprel.data.validate import RecordValidator, validated_chunks
from shoprel.errors import ConfigError, InputError
from shoprel.utils.bounds import not_a_count
from shoprel.utils.scalars import python_scalar


def iter_pair_chunks(
    path: str | Path,
    task: Task | str | None = None,
    require_label: bool = False,
    empty_text: str = "keep",
    chunk_rows: int = 50_000,
    written_ids: bool = False,
    read_labels: bool = True,
    records: Iterable[Record] | None = None,
    earlier_ids: dict | None = None,
    given_by: TaskGivenBy | None = None,
) -> Iterator[PairFrame]:
    """Stream a file as PairFrames of at most chunk_rows rows; memory stays flat.
    `written_ids`: keep ids as the file wrote them, to write them back (scoring);
    `read_labels` False: leave a label column unread (scoring needs none); `records`: the
    file's records already read (iter_records), checked again without parsing it again;
    `earlier_ids`: the ids of files read before it as one set of rows (RecordValidator);
    `given_by`: who gave `task`, said where the first row's task field names another.

    A file with no rows (a header-only CSV, an empty JSON lines file) is refused whether or
    not the task is given: it is almost always a wrong file or a failed export, and with the
    task given predict wrote it an empty output and exited 0 where every other reader refused."""
    problem = not_a_count(chunk_rows, ge=1)  # as an integer option says it (bounds.py)
    if problem:  # named as the caller wrote it: predict --chunk-rows is refused by its parser
        raise ConfigError(f"chunk_rows: {problem}")
    chunk_rows = int(python_scalar(chunk_rows))  # np.int64(500) is 500
    path = Path(path).expanduser()  # `~/data.jsonl` from Python, as the CLI reads it
    validator = RecordValidator(path, task, require_label, empty_text,
                                written_ids=written_ids, read_labels=read_labels,
                                earlier_ids=earlier_ids, given_by=given_by)
    produced = False
    records = iter_records(path) if records is None else records
    for chunk in validated_chunks(records, validator, chunk_rows):
        if validator.stats["rows"] == 0:  # its one empty frame (validated_chunks)
            raise InputError(NO_ROWS, path=path)
        produced = True
        yield chunk
    if not produced:
        raise InputError("every row was dropped (empty query or target)", path=path)


def read_pairs(
    path: str | Path,
    task: Task | str | None = None,
    require_label: bool = False,
    empty_text: str = "keep",
    both_labels: bool = True,
    read_labels: bool = True,
    records: Iterable[Record] | None = None,
    earlier_ids: dict | None = None,
    given_by: TaskGivenBy | None = None,
) -> PairFrame:
    """Read a whole file; the task comes from its columns unless given. With labels required,
    both must occur (training needs them) unless `both_labels` is False (a gold file to score
    predictions against may hold one); `read_labels` False leaves a label column unread;
    `records`: the file's records already read, `earlier_ids`: those of files read before it
    as one set, `given_by`: who gave the task, as iter_pair_chunks takes them."""
    chunks = list(iter_pair_chunks(path, task, require_label, empty_text, chunk_rows=10**12,
                                   read_labels=read_labels, records=records,
                                   earlier_ids=earlier_ids, given_by=given_by))
    frame = chunks[0]
    if len(chunks) > 1:
        frame = PairFrame(frame.task, pd.concat([c.df for c in chunks], ignore_index=True),
                          frame.source, chunks[-1].stats)
    if require_label and both_labels and frame.df["label"].nunique() < 2:
        raise InputError("training needs both labels (0 and 1); the file has only one",
                         path=path, field="label")
    return frame
