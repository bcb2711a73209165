"""Scoring a fine-tuned classifier exported to ONNX (`shoprel export --onnx`) with onnxruntime.

A saved model folder may hold `onnx/` beside its Hugging Face weights: `model.onnx` (fp32),
optionally `model.int8.onnx`, and `export.json` saying which one scoring should use (and
each file's SHA-256, so that a folder mixing files of different exports is refused, and those
of the Hugging Face weights it was made from, so that an export scoring as another model than
the weights beside it is refused too). The exporter (export/onnx.py) writes these files; this
module only reads them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoprel.errors import RunDirError
from shoprel.models.backbones.cache import file_sha256
from shoprel.models.backbones.resolve import weight_files
from shoprel.models.hf.trainer import softmax_positive
from shoprel.utils.export_names import (
    EXPORT_FILES,
    EXPORT_FOLDER,
    EXPORT_FP32,
    EXPORT_INT8,
    EXPORT_RECORD,
)

# one list of the names, where --overwrite tells an export's files from a user's too
ONNX_FOLDER, META_FILE = EXPORT_FOLDER, EXPORT_RECORD
FP32_FILE, INT8_FILE = EXPORT_FP32, EXPORT_INT8
SOURCE_FIELD = "source_weights"  # in export.json: the weight files it was made from, by SHA-256


@dataclass(frozen=True)
class ExportedModel:
    path: Path
    precision: str  # "fp32" or "int8"


def _meta_problem(meta) -> str | None:
    """Why a parsed export.json is not one the exporter writes, else None."""
    files = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(files, dict) or not files or not all(
            isinstance(name, str) and name in EXPORT_FILES - {META_FILE}
            for name in files.values()):
        return "field 'files': not the model files of an export"
    if meta.get("preferred") not in files:
        return "field 'preferred': not one of its files"
    sums = meta.get("sha256")  # absent in exports written before it was recorded
    if sums is not None and (not isinstance(sums, dict) or not set(sums) <= set(files)
                             or not all(isinstance(s, str) for s in sums.values())):
        return "field 'sha256': not a checksum per file of the export"
    source = meta.get(SOURCE_FIELD)  # absent in exports written before it was recorded
    if source is not None and (not isinstance(source, dict) or not all(
            isinstance(s, str) for s in (*source, *source.values()))):
        return f"field '{SOURCE_FIELD}': not a checksum per weight file"
    return None


def _way_out(onnx_folder: Path, flags: str = "") -> str:
    return f"export the run again (`shoprel export RUN --onnx{flags}`) or remove {onnx_folder}"


def source_weights(hf_folder: str | Path,
                   cache_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """The SHA-256 of each weight file in a Hugging Face folder, by its path there: what an
    export records of the weights it was made from and loading compares with those beside it.
    file_sha256 remembers each by size, inode and times (in `cache_dir`'s checksum memo), so a
    load hashes nothing unchanged."""
    folder = Path(hf_folder)
    return {p.relative_to(folder).as_posix(): file_sha256(p, cache_dir)
            for p in weight_files(folder)}


def _check_source(onnx_folder: Path, meta: dict, hf_folder: Path,
                  cache_dir: str | os.PathLike | None = None) -> None:
    """Refuse an export made from other weights than those in hf_folder now (retrained or
    replaced there, or an onnx/ copied from another model): it would score as that other
    model without a word. Exports from before the record, and a folder whose weights were
    removed (the export is then all there is of the model), are not checked."""
    recorded = meta.get(SOURCE_FIELD)
    if not recorded:
        return
    current = source_weights(hf_folder, cache_dir)
    if not current or current == recorded:
        return
    differ = [f"{name} differs" for name in sorted(recorded)
              if name in current and current[name] != recorded[name]]
    differ += [f"{name} missing" for name in sorted(set(recorded) - set(current))]
    differ += [f"{name} not in the export's" for name in sorted(set(current) - set(recorded))]
    flags = " --int8" if "int8" in meta["files"] else ""
    if flags and meta.get("int8_weights") not in (None, "uint8"):
        flags += f" --int8-weights {meta['int8_weights']}"
    raise RunDirError(f"{onnx_folder}: exported from other weights than those in {hf_folder} "
                      f"({', '.join(differ[:3])}{' ...' if len(differ) > 3 else ''}), so it "
                      f"would score as another model; {_way_out(onnx_folder, flags)}")


def read_export_meta(onnx_folder: Path) -> dict:
    """An onnx/ folder's export.json, parsed and checked as one the exporter writes, or one
    RunDirError naming the file, the problem and the way out: scoring reads it to pick a
    file, and export to know the folder as its own before replacing it."""
    meta_path = onnx_folder / META_FILE
    fix = _way_out(onnx_folder)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{meta_path}: unreadable ({exc}); {fix}") from None
    problem = _meta_problem(meta)
    if problem:
        raise RunDirError(f"{meta_path}: {problem}; {fix}")
    return meta


def exported_model(model_folder: str | Path, hf_folder: str | Path,
                   precision: str | None = None,
                   cache_dir: str | os.PathLike | None = None) -> ExportedModel | None:
    """The ONNX file a model folder's export says to score with (or the given precision's),
    or None when there is none (no export.json: no export, or a user's own conversion).
    `hf_folder`: the Hugging Face weights the export must have been made from; `cache_dir`:
    whose checksum memo remembers the files hashed to check that.

    An export.json that cannot be read, names a file that is not there (an export copied
    or removed in part) or was made from other weights is refused in one line: scoring
    silently with torch instead, with what is left, or as another model would hide it."""
    folder = Path(model_folder) / ONNX_FOLDER
    if not (folder / META_FILE).exists():
        return None
    meta = read_export_meta(folder)
    precision = precision or meta["preferred"]
    if precision not in meta["files"]:
        return None
    path = folder / meta["files"][precision]
    if not path.is_file():
        raise RunDirError(f"{path}: missing, though {META_FILE} names it; {_way_out(folder)}")
    recorded = (meta.get("sha256") or {}).get(precision)
    # hashed once per change of the file (file_sha256 remembers it by size, inode and times)
    if recorded is not None and file_sha256(path, cache_dir) != recorded:
        raise RunDirError(f"{path}: not the file {META_FILE} was written with (its SHA-256 "
                          f"differs): the folder mixes files of different exports; "
                          f"{_way_out(folder)}")
    _check_source(folder, meta, Path(hf_folder), cache_dir)
    return ExportedModel(path, precision)


class OnnxScorer:
    """An onnxruntime session that turns padded batches into positive-class probabilities."""

    def __init__(self, path: str | Path, n_threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if n_threads:
            options.intra_op_num_threads = n_threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def positive(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        feed = {name: batch[name].astype(np.int64) for name in self.inputs}
        (logits,) = self.session.run(["logits"], feed)
        return softmax_positive(logits)
