"""metrics.json's `stage0` block: the file or files stage 0 was fitted on.

One file is recorded as it always was (train_file, train_sha256, train_rows). Several
(stage0.data: a list) keep the same fields as lists in the order named, train_rows the total,
and `file_rows` each file's count; the readers of the block (outputs, distill --nested) take
either shape through `recorded_stage0_files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RecordedStage0File:
    """One stage-0 file as the run records it; None where the record lacks the field."""

    file: str | None
    sha256: str | None
    rows: int | None


def stage0_record(files: list[str], digests: list[str], rows: list[int]) -> dict:
    """The block's file fields for the stage-0 `files` (resolved here), their digests and
    row counts."""
    paths = [str(Path(file).resolve()) for file in files]
    if len(files) == 1:
        return {"train_file": paths[0], "train_rows": rows[0], "train_sha256": digests[0]}
    return {"train_file": paths, "train_rows": sum(rows), "train_sha256": list(digests),
            "file_rows": list(rows)}


def recorded_stage0_files(info: dict | None) -> list[RecordedStage0File]:
    """Each file of a stage0 block (`info`), in the order it was named; [] without one."""
    if not isinstance(info, dict) or not info:
        return []
    files, digests = info.get("train_file"), info.get("train_sha256")
    if not isinstance(files, list):
        rows = info.get("train_rows")
        return [RecordedStage0File(_text(files), _text(digests), _count(rows))]
    digests = digests if isinstance(digests, list) else []
    counts = info.get("file_rows")
    counts = counts if isinstance(counts, list) else []
    return [RecordedStage0File(_text(file), _text(_at(digests, i)), _count(_at(counts, i)))
            for i, file in enumerate(files)]


def shown_stage0_files(info: dict | None) -> str:
    """The block's files as a message names them: 'a.jsonl', or 'a.jsonl and b.jsonl'."""
    return " and ".join(str(recorded.file) for recorded in recorded_stage0_files(info))


def _at(values: list, index: int):
    return values[index] if index < len(values) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None
