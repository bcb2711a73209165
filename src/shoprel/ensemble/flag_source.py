"""Where a flagged-ids file came from, so that a run trained with it can tell its figures leak.

`shoprel noise RUN --out FILE` writes FILE.source.json beside the ids: the run read, its
training file and that file's SHA-256, and the ids' own digest. `--filtered-train COPY` writes
COPY.source.json beside the copy alike (its digest as `filtered_sha256`). Each record is the
proof that noise wrote its file, which `--overwrite` replaces only while its bytes are still
the recorded ones (every row of a dev split carved from the training file is a training row
too, every id of a list of its ids a training id, and such files were replaced as noise's
own). Flags chosen from a run's
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
# what noise writes, each recorded by its digest's field in the record: `{kind}_sha256`
FLAGGED, FILTERED = "flagged", "filtered"


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


def check_source_replaceable(written: str | Path, reads: list, run_dir: str | Path | None,
                             overwrite: bool) -> None:
    """The record's place is checked as its output's own is, before any work: an existing
    file there is replaced only with --overwrite, and only when it is noise's record."""
    check_output_file(source_path(written), reads=reads,
                      runs=[run_dir] if run_dir is not None else [], overwrite=overwrite,
                      guard=_guard)


def write_source(written: Path, run_dir: str | Path | None, train_file: str | Path | None,
                 overwrite: bool, kind: str = FLAGGED) -> Path:
    """Write the record of the output of `kind` just written at `written` (read_source's
    fields); `run_dir` None: a copy filtered from Python with no run named."""
    record = {"written_by": WRITTEN_BY, f"{kind}_sha256": sha256_of_file(written),
              "run": None if run_dir is None else str(Path(run_dir).expanduser().resolve()),
              "train_file": None if train_file is None else str(Path(train_file).resolve()),
              "train_sha256": None if train_file is None else sha256_of_file(train_file)}
    path = source_path(written)
    with atomic_file(path, durable=True, replace=overwrite, guard=_guard) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def not_recorded(written: Path, kind: str) -> str | None:
    """Why `written` is not the output of `kind` that noise's record beside it names, or None:
    no record, one noise did not write or of another output, or bytes changed since."""
    name = source_path(written).name
    try:
        record = json.loads(source_path(written).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no {name} beside it, the record noise writes with its own"
    except (OSError, ValueError):
        return f"{name} beside it does not read as noise's record"
    if not isinstance(record, dict) or record.get("written_by") != WRITTEN_BY:
        return f"{name} beside it is no record noise wrote"
    if f"{kind}_sha256" not in record:
        return f"{name} beside it records no {kind} file"
    if record[f"{kind}_sha256"] != sha256_of_file(written):
        return f"it changed since noise wrote it: its SHA-256 is not the one {name} records"
    return None


def read_source(flagged: str | Path) -> dict | None:
    """noise's record of the flags at `flagged`, or None where none tells their source: no
    record, one noise did not write, or ids changed since (their digest is not the record's)."""
    try:
        if not_recorded(Path(flagged).expanduser(), FLAGGED) is not None:
            return None
        return json.loads(source_path(flagged).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def shared_rows(record: dict, rows: pd.DataFrame, train_sha256: str | None) -> int:
    """How many of `rows` (query and target columns) the run the flags came from scored out of
    fold: every one where it was trained on these very bytes, else those whose pair its OOF
    table holds (none where that run is gone, or its table keeps no texts, or the flags were
    written from Python with no run named: `run` null, once read as a folder named None)."""
    if train_sha256 is not None and record.get("train_sha256") == train_sha256:
        return len(rows)
    if not isinstance(record.get("run"), str):
        return 0
    try:
        oof = Run.open(str(record.get("run"))).oof()
    except (ShoprelError, OSError, ValueError):
        return 0
    if not {"query", "target"} <= set(oof.columns):
        return 0
    theirs = set(zip(oof["query"].astype(str), oof["target"].astype(str), strict=True))
    return sum(pair in theirs for pair in zip(rows["query"].astype(str),
                                              rows["target"].astype(str), strict=True))
