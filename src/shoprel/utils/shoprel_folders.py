"""Which folders shoprel wrote, told by what it leaves in them, so that no output goes
inside one."""

from __future__ import annotations

import json
import os
from pathlib import Path

# atomic_dir writes this into every folder it produces: which top-level entries it wrote, so
# that --overwrite can tell shoprel's files from what a user put there later
STAMP = ".shoprel-output.json"
RUN_MARKER = "run.json"  # run/layout.MANIFEST; a finished run or ensemble
INDEX_MARKER = "index.json"  # predict/index.py's MARKER: a target index folder
INDEX_WRITER = "shoprel index"  # its written_by: a file of that name from elsewhere is no index
# models/backbones/cache.py's META_FILE: the record of a backbone built in the cache (which
# carries no stamp) or pretrained; `cache prune` and a rebuild replace such a folder whole
BACKBONE_MARKER = "shoprel-backbone.json"
# models/backbones/onnx_engine.py's META_FILE: the record of an ONNX export in the cache
# (`<cache>/onnx/<name>/fp32`, no stamp), which `cache prune --kind onnx` removes whole; a
# generic name, so the exporter's fields (_write_meta: format, opset, precision) tell it
ONNX_EXPORT_MARKER = "export.json"

PathLike = str | os.PathLike


def resolved(path: PathLike) -> Path:
    """The path with `~` expanded and links resolved, as every output check compares paths."""
    return Path(path).expanduser().resolve()


def occupied(path: Path) -> bool:
    """Whether anything is at the path, a dangling link included: `exists` follows links, and
    writing through a dangling one would create a file wherever it points."""
    return path.exists() or path.is_symlink()


def json_object(path: Path) -> dict:
    """A JSON file's object; {} where it is missing, unreadable or holds no object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def holds_marker(folder: Path, marker: str) -> bool:
    """The folder's `marker` is shoprel's by its content, not its name alone: a user's
    experiment folder may hold a run.json of its own, which --overwrite must not take for an
    older run's. A run's manifest names its task and threshold; other markers (a backbone's
    record) are JSON objects."""
    try:
        record = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict):
        return False
    if marker != RUN_MARKER:
        return True
    threshold = record.get("threshold")
    return (record.get("task") in ("QC", "QI") and isinstance(threshold, int | float)
            and not isinstance(threshold, bool))


def run_folder_kind(path: PathLike) -> str | None:
    """"ensemble" or "run" where `path` is a finished run folder (its manifest is shoprel's),
    else None: what readers say of a run folder given where a file is expected."""
    folder = Path(path)
    if not folder.is_dir() or not holds_marker(folder, RUN_MARKER):
        return None
    return "ensemble" if json_object(folder / RUN_MARKER).get("kind") == "ensemble" else "run"


def is_shoprel_output(folder: Path) -> bool:
    """A folder shoprel wrote: stamped, a run (older runs carry no stamp), a backbone built in
    the cache (its record, no stamp), an ONNX export (likewise), or an index. Only refusals ask
    (nothing is written inside one), so a run.json is judged by its name here."""
    if (folder / STAMP).is_file() or (folder / RUN_MARKER).is_file():
        return True
    if (folder / BACKBONE_MARKER).is_file() and holds_marker(folder, BACKBONE_MARKER):
        return True
    if is_onnx_export(folder):
        return True
    return str(_index_record(folder).get("written_by", "")).startswith("shoprel")


def is_onnx_export(folder: PathLike) -> bool:
    """An ONNX export the cache made, told by its record's content: the exporter writes the
    export's format and opset (numbers) and its precision ('fp32', 'int8-r7'); a user's own
    `export.json` (another tool's settings, a list) makes no export of its folder."""
    record = json_object(Path(folder) / ONNX_EXPORT_MARKER)
    return (all(isinstance(record.get(field), int) and not isinstance(record.get(field), bool)
                for field in ("format", "opset"))
            and isinstance(record.get("precision"), str))


def is_index_folder(folder: PathLike) -> bool:
    """A target index `shoprel index` wrote, told by its marker's content: a website's or
    another tool's `index.json` makes no index of its folder."""
    return _index_record(Path(folder)).get("written_by") == INDEX_WRITER


def _index_record(folder: Path) -> dict:
    return json_object(folder / INDEX_MARKER)


def shoprel_output_holding(path: PathLike) -> Path | None:
    """The nearest folder above `path` that shoprel wrote, or None."""
    for folder in resolved(path).parents:
        if folder.is_dir() and is_shoprel_output(folder):
            return folder
    return None
