"""Where a flagged-ids file came from, so that a run trained with it can tell its figures leak.

`shoprel noise RUN --out FILE` writes FILE.source.json beside the ids: the run read, its
training file and that file's SHA-256, and the ids' own digest. Flags chosen from a run's
out-of-fold scores knew the labels of every fold, so a run that drops or down-weights them on
the same rows measures optimistic OOF figures (+0.069 ΔAUC that compare called "better" on
1,500 QC rows); training/noise_filter.py records that in metrics.json `noise`, as distill
records a leaky student. A flag file with no record (hand-written, or written by an older
noise) or changed since tells nothing, and is read as ever.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from shoprel.errors import ShoprelError
from shoprel.run.folder import Run
from shoprel.utils.atomic import atomic_file
from shoprel.utils.digest import sha256_of_file
from shoprel.utils.outputs import check_output_file, check_own_output

SUFFIX = ".source.json"
WRITTEN_BY = "shoprel noise"


def source_path(flagged: str | Path) -> Path:
    """The record beside a flagged-ids file: flagged.txt → flagged.txt.source.json."""
    flagged = Path(flagged).expanduser()
    return flagged.with_name(flagged.name + SUFFIX)


def _not_a_record(path: Path) -> str | None:
    """Why `path` is no record noise wrote, or None."""
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict) or record.get("written_by") != WRITTEN_BY:
        return f"it holds no \"written_by\": \"{WRITTEN_BY}\""
    return None


def _guard(path: Path) -> None:
    """An existing record is replaced only when it is noise's own."""
    check_own_output(path, _not_a_record, "the record of where flagged ids came from", "noise")


def check_source_replaceable(flagged: str | Path, reads: list, run_dir: str | Path,
                             overwrite: bool) -> None:
    """The record's place is checked as the ids' own is, before any work: an existing file
    there is replaced only with --overwrite, and only when it is noise's record."""
    check_output_file(source_path(flagged), reads=reads, runs=[run_dir], overwrite=overwrite,
                      guard=_guard)


def write_source(flagged: Path, run_dir: str | Path, train_file: str | Path | None,
                 overwrite: bool) -> Path:
    """Write the record of the ids just written at `flagged` (read_source's fields)."""
    record = {"written_by": WRITTEN_BY, "flagged_sha256": sha256_of_file(flagged),
              "run": str(Path(run_dir).expanduser().resolve()),
              "train_file": None if train_file is None else str(Path(train_file).resolve()),
              "train_sha256": None if train_file is None else sha256_of_file(train_file)}
    path = source_path(flagged)
    with atomic_file(path, durable=True, replace=overwrite, guard=_guard) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def read_source(flagged: str | Path) -> dict | None:
    """noise's record of the flags at `flagged`, or None where none tells their source: no
    record, one noise did not write, or ids changed since (their digest is not the record's)."""
    try:
        record = json.loads(source_path(flagged).read_text(encoding="utf-8"))
        if not isinstance(record, dict) or record.get("written_by") != WRITTEN_BY:
            return None
        return record if record.get("flagged_sha256") == sha256_of_file(flagged) else None
    except (OSError, ValueError):
        return None


def shared_rows(record: dict, rows: pd.DataFrame, train_sha256: str | None) -> int:
    """How many of `rows` (query and target columns) the run the flags came from scored out of
    fold: every one where it was trained on these very bytes, else those whose pair its OOF
    table holds (none where that run is gone, or its table keeps no texts)."""
    if train_sha256 is not None and record.get("train_sha256") == train_sha256:
        return len(rows)
    try:
        oof = Run.open(str(record.get("run"))).oof()
    except (ShoprelError, OSError, ValueError):
        return 0
    if not {"query", "target"} <= set(oof.columns):
        return 0
    theirs = set(zip(oof["query"].astype(str), oof["target"].astype(str), strict=True))
    return sum(pair in theirs for pair in zip(rows["query"].astype(str),
                                              rows["target"].astype(str), strict=True))
