"""Cross-encoders as ONNX models for fast CPU scoring with onnxruntime.

A saved `cross` model folder holds an ordinary Hugging Face folder (`hf/`); exporting adds
`onnx/` beside it: `model.onnx` (fp32, dynamic batch and sequence axes), optionally
`model.int8.onnx` (dynamic int8 quantisation of the weights) and `export.json` saying which one
scoring should use. Loading the model folder then scores with onnxruntime (models/hf/onnx.py,
CrossEncoderModel.use_engine). Exports of a whole run appear together or not at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from pathlib import Path

from shoprel.errors import ConfigError, OutputError, RunDirError
from shoprel.models.backbones.cache import built_folder, file_sha256
from shoprel.models.hf.onnx import (
    EXPORT_FILES,
    FP32_FILE,
    INT8_FILE,
    META_FILE,
    ONNX_FOLDER,
    SOURCE_FIELD,
    read_export_meta,
    source_weights,
)
from shoprel.utils.atomic import add_to_stamp
from shoprel.utils.output_stamp import few_names
from shoprel.utils.outputs import check_not_a_link, check_outside_outputs
from shoprel.utils.progress import bar_wanted, honours_progress, progress_bar

OPSET = 17
# int8 weight type. Unsigned weights (u8 activations × u8 weights) avoid the saturation of
# u8×s8 products on x86 CPUs without VNNI (AVX2, older AVX-512); on a fine-tuned e5-small
# measured on such a CPU, signed weights moved AUC by 0.010, unsigned by 0.002.
INT8_WEIGHTS = ("uint8", "int8")


def export_hf_classifier(hf_folder: str | Path, out_folder: str | Path, int8: bool = False,
                         opset: int = OPSET, int8_weights: str = "uint8",
                         cache_dir: str | os.PathLike | None = None) -> dict:
    """Write `hf_folder`'s sequence classifier to out_folder as ONNX (+ int8); returns meta.

    Built beside out_folder and moved into place whole, as `shoprel export` does: a failure
    or a stop midway leaves an earlier export there as it was, not new graphs beside its old
    export.json; a folder it did not write (the model's own, a user's conversion) is refused.
    So is one inside a run (or another folder shoprel wrote): the run's stamp would not list
    it, and its --overwrite would then refuse the run; export_run records what it writes.
    `cache_dir`: whose checksum memo remembers the digests it records (the model's own
    cache_dir, where scoring checks them), else the default cache's."""
    check_int8_weights(int8_weights)
    hf_folder, out_folder = Path(hf_folder).expanduser(), Path(out_folder).expanduser()
    check_outside_outputs(out_folder, then="export a run's models with export_run(RUN) or "
                                           "`shoprel export RUN --onnx`, which record them in "
                                           "the run, or choose a folder outside it")
    check_replaceable_export(out_folder)
    with built_folder(out_folder, cache_dir, overwrite=True, durable=True) as tmp:
        meta = write_export_files(hf_folder, tmp, int8, opset, int8_weights, cache_dir)
    return meta


def check_int8_weights(int8_weights: str) -> None:
    """A weight type quantisation knows, said before the fp32 graph is exported (minutes)."""
    if int8_weights not in INT8_WEIGHTS:
        raise ConfigError(f"int8_weights: {int8_weights!r} is not one of "
                          f"{', '.join(INT8_WEIGHTS)}")


def write_export_files(hf_folder: Path, out_folder: Path, int8: bool, opset: int,
                       int8_weights: str, cache_dir: str | os.PathLike | None = None) -> dict:
    """The export's files, written into out_folder (a folder being built); their digests and
    the weights' are remembered in `cache_dir`'s checksum memo. Public as the seam tests
    replace to skip the trace (a minute) or to stop an export midway."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from shoprel.models.hf.trainer import quiet_transformers
    from shoprel.run.models import saved_model_loading

    with quiet_transformers(), saved_model_loading(hf_folder):
        tokenizer = AutoTokenizer.from_pretrained(hf_folder)
        # eager attention traces to plain ops that onnxruntime fuses; the weights are the same
        model = AutoModelForSequenceClassification.from_pretrained(hf_folder,
                                                                   attn_implementation="eager")
    model.eval()
    names = [n for n in tokenizer.model_input_names if n in ("input_ids", "attention_mask",
                                                              "token_type_ids")]
    # an example with padding, so the traced graph keeps the attention-mask path
    example = tokenizer(["a b", "a"], ["c d e f", "c"], padding=True, return_tensors="pt")
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    started = time.perf_counter()
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter (exact for these graphs) warns about itself and its tracing
        warnings.simplefilter("ignore")
        torch.onnx.export(_by_name_class()(model, names), tuple(example[n] for n in names),
                          str(out_folder / FP32_FILE),
                          input_names=names, output_names=["logits"], dynamic_axes=axes,
                          opset_version=opset, dynamo=False)
    files = {"fp32": FP32_FILE}
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        weight_type = QuantType.QUInt8 if int8_weights == "uint8" else QuantType.QInt8
        # per-channel scales: on a fine-tuned e5-small the mean probability shift vs fp32 drops
        # from 0.0034 to 0.0014 (2,000 real QC pairs) at no measurable cost in speed
        with _quiet_root_logger():  # it advises pre-processing, which changed nothing here
            quantize_dynamic(out_folder / FP32_FILE, out_folder / INT8_FILE,
                             weight_type=weight_type, per_channel=True)
        files["int8"] = INT8_FILE
    meta = {"files": files, "preferred": "int8" if int8 else "fp32",
            # loading checks the file it scores with against this (models/hf/onnx.py)
            "sha256": {precision: file_sha256(out_folder / name, cache_dir)
                       for precision, name in files.items()},
            # and the weights it was made from (loading checks those beside it against these)
            SOURCE_FIELD: source_weights(hf_folder, cache_dir),
            "inputs": names,
            "int8_weights": int8_weights if int8 else None, "int8_per_channel": bool(int8),
            "opset": opset, "seconds": round(time.perf_counter() - started, 2)}
    (out_folder / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


@contextlib.contextmanager
def _quiet_root_logger():
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _by_name_class():
    import torch

    class ByName(torch.nn.Module):
        """Positional inputs in `names` order, handed to the classifier by keyword (its own
        positional order differs: input_ids, attention_mask, token_type_ids)."""

        def __init__(self, model, names: list[str]):
            super().__init__()
            self.model, self.names = model, names

        def forward(self, *inputs):
            return self.model(**dict(zip(self.names, inputs, strict=True))).logits

    return ByName


def run_cache_dir(run_dir: Path) -> str | None:
    """The cache the run's models use (model.params.cache_dir of its config.yaml, read as the
    other commands read it), None for the default or a run without its config: scoring checks
    an export's digests in that cache's memo, so the export remembers them there."""
    from shoprel.run.layout import CONFIG
    from shoprel.training.config_reading import load_config

    path = run_dir / CONFIG
    if not path.is_file():
        return None
    return load_config(path, saved=True).model.params.get("cache_dir")


def cross_model_folders(run_dir: str | Path) -> list[Path]:
    """Every saved cross-encoder folder of a run: each fold's and the full-data model."""
    from shoprel.models.base import MODEL_CONFIG, read_model_config
    from shoprel.run.folder import Run
    from shoprel.run.layout import MODELS

    run = Run.open(run_dir)
    if run.kind != "run":
        raise RunDirError(f"{run.path}: an {run.kind} directory has no models of its own; "
                          "export its member runs")
    run.model_folders()  # those predict reads are there, saved, and the run's own
    models = run.path / MODELS
    folders = []
    for folder in sorted(p for p in models.iterdir() if (p / MODEL_CONFIG).is_file()):
        if read_model_config(folder).get("family") == "cross":
            folders.append(folder)
    run.check_models_inside(folders)  # onnx/ is written into each: never out of the run
    if not folders:
        raise RunDirError(f"{run.path}: no cross-encoder models to export (family "
                          f"{run.manifest.get('model_family')!r})")
    return folders


def check_replaceable_export(folder: Path) -> None:
    """An existing onnx/ is replaced only when an export wrote it: its export.json and model
    files, nothing else. A folder the user put there (their own ONNX conversion, notes beside
    an export) would otherwise be deleted without a word."""
    check_not_a_link(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not a folder; export writes a folder there: "
                          "move the file away")
    entries = list(folder.iterdir())
    if not entries:
        return
    foreign = [p.name for p in entries
               if p.name not in EXPORT_FILES or p.is_symlink() or not p.is_file()]
    if foreign:
        raise OutputError(f"{folder}: holds {few_names(foreign)}, which `shoprel export` did not "
                          "write; exporting would delete it: move it away, then export again")
    if not (folder / META_FILE).exists():
        raise OutputError(f"{folder}: holds {few_names(p.name for p in entries)} but no "
                          f"{META_FILE}, so `shoprel export` did not write this folder; "
                          "exporting would delete it: move it away, then export again")
    if not _written_by_export(folder):
        raise OutputError(f"{folder}: holds {META_FILE}, which `shoprel export` did not "
                          "write; exporting would delete it: move it away, then export again")


def _written_by_export(folder: Path) -> bool:
    """Whether the folder's export.json is one export_hf_classifier wrote (its problem, if
    not, is not said: the folder is then the user's, and said to be so)."""
    try:
        read_export_meta(folder)
    except RunDirError:
        return False
    return True


@honours_progress
def export_run(run_dir: str | Path, int8: bool = False, int8_weights: str | None = None,
               progress: bool = True) -> list[Path]:
    """Export every cross-encoder of a run (a bar over them: each takes seconds to minutes);
    all `onnx/` folders appear together at the end, and an earlier export stays in place until
    the new one is complete. `int8_weights` (uint8 when not given) only with `int8`: an fp32
    export has no weight type, and one given there was read by nothing."""
    from shoprel.models.cross.model import HF_FOLDER

    if int8_weights is not None and not int8:
        raise ConfigError("--int8-weights: applies only with --int8 (fp32 has no weight type)")
    int8_weights = INT8_WEIGHTS[0] if int8_weights is None else int8_weights
    check_int8_weights(int8_weights)
    run_dir = Path(run_dir).expanduser()  # `~/runs/x` from Python, as the CLI reads it
    folders = cross_model_folders(run_dir)
    for folder in folders:  # onnx/ is replaced outright: only an earlier export may be
        check_replaceable_export(folder / ONNX_FOLDER)
    cache_dir = run_cache_dir(run_dir)
    with contextlib.ExitStack() as stack:
        for folder in progress_bar(folders, desc="exporting cross-encoders", unit="model",
                                   disable=not bar_wanted(len(folders), progress, 1)):
            tmp = stack.enter_context(built_folder(folder / ONNX_FOLDER, cache_dir,
                                                   overwrite=True, durable=True))
            write_export_files(folder / HF_FOLDER, tmp, int8, OPSET, int8_weights, cache_dir)
    run_dir = Path(run_dir).resolve()
    for folder in folders:  # --overwrite of the run knows these as shoprel's
        add_to_stamp(run_dir, (folder / ONNX_FOLDER).resolve().relative_to(run_dir).as_posix())
    return [folder / ONNX_FOLDER for folder in folders]
