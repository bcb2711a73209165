"""EmbeddingGemma through ONNX Runtime: the same vectors as sentence-transformers, faster and in
less memory (peak RSS 1,258 MB against torch's 2,108 MB over 2,000 queries in a fresh process:
the engines' table in README.md and docs/engines.md).

The sentence-transformers folder (Gemma3 encoder → mean pooling → two dense layers → unit
length) is exported once per machine into `<cache>/onnx/<backbone>-<checksum>/fp32/`:
`model.onnx` with its weights in `model.onnx.data` beside it, which onnxruntime maps from disk
instead of copying (the 262k-row token table is mostly never read: the real fp32 export measured
807 MB resident, docs/engines.md, where torch maps and touches the whole 1.2 GB weights file).
fp32 vectors agree with the torch engine's to within 4.5e-7 per component (cosine 1.000000 min
and mean on 640 real texts, docs/engines.md), so they share its fingerprint and embedding cache.
`int8` (dynamic quantisation of the weight matrices but the MLP down projections, 7-bit
weights) runs 2.2-2.4x fp32 on a CPU with VNNI and no faster without, and moves vectors (cosine
to torch 0.995 on short texts, 0.976 on a 256-token one; category folds' ROC-AUC 0.7680 against
fp32's 0.7713; all in docs/engines.md), so it has its own fingerprint and cache and is opt-in.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import shoprel.models.backbones.embeddinggemma as embeddinggemma
from shoprel.errors import OutputError, OutputExistsError
from shoprel.models.backbones.batching import BATCH_TOKENS, check_batching, token_batches
from shoprel.models.backbones.cache import LAST_USED, files_sha256, mark_used
from shoprel.models.backbones.encoder import PLURAL, Kind
from shoprel.models.backbones.onnx_session import external_weights_files, open_session
from shoprel.models.backbones.resolve import Backbone, weight_files
from shoprel.utils.atomic import atomic_dir
from shoprel.utils.output_stamp import few_names
from shoprel.utils.progress import bar_delay, bars_allowed, progress_bar
from shoprel.utils.shoprel_folders import is_onnx_export, json_object
from shoprel.utils.temp_names import is_temporary

log = logging.getLogger(__name__)

ONNX, ONNX_INT8 = "onnx", "onnx-int8"  # Backbone.engine values
# int8 with 7-bit weights (onnxruntime's reduce_range): without VNNI (AVX2) the int8 kernel
# saturates its 16-bit sums, and 8-bit weights gave cosine 0.937 to torch on a 256-token text
# (0.974 with VNNI); 7-bit gives 0.976 there, 0.995 on short texts (docs/engines.md). The scheme
# is part of the name, fingerprint and export folder, so vectors of the 8-bit export (before
# 2026-12-01) are never mixed with these.
INT8_SCHEME = "r7"
PRECISION = {ONNX: "fp32", ONNX_INT8: f"int8-{INT8_SCHEME}"}
EXPORT_FORMAT = 1  # bump when the exported graph changes meaning, so old exports are redone
OPSET = 17
MODEL_FILE, DATA_FILE, META_FILE = "model.onnx", "model.onnx.data", "export.json"
# in export.json: the SHA-256 of the backbone's weights it was made from (files_sha256 over its
# weight files, as its fingerprint); the folder's name holds only 16 hex characters of it
SOURCE_FIELD = "source_weights_sha256"
# in export.json: the files beside the graph holding its weights (external_weights_files; none
# when they all lie inside it, as a tiny graph's do); an export without it needs DATA_FILE
WEIGHTS_FIELD = "weights_files"
# the int8 export's scratch copy of the fp32 export it quantises (_plain_copy), removed after
SOURCE_COPY = "fp32-source"
MAX_LENGTH = 256  # tokens, as the sentence-transformers encoder truncates (encoders.py)
CHECK_TEXTS = ("water bottle for kids", "funda iphone 13", "무선 이어폰")
MIN_CHECK_COSINE = 0.999  # an export that disagrees more with torch on CHECK_TEXTS is refused


class ExportError(RuntimeError):
    """The folder cannot be exported, or the export does not compute the same vectors."""


def available(backbone_name: str) -> bool:
    """The engine exists for the built-in EmbeddingGemma, and needs onnxruntime importable."""
    if backbone_name != embeddinggemma.NAME:
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cpu_has_vnni(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool | None:
    """Whether the CPU has the int8 dot-product instructions int8 needs to pay (None: cannot
    tell, e.g. not Linux)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.startswith("flags")), None)
    if flags is None:
        return None
    return "avx512_vnni" in flags or "avx_vnni" in flags


def engine_backbone(backbone: Backbone, engine: str) -> Backbone:
    """The backbone as this engine computes it. fp32 keeps the fingerprint (same vectors to
    ~5e-7, so cached torch vectors stay valid); int8 gets its own name and fingerprint."""
    if engine == ONNX:
        return dataclasses.replace(backbone, engine=ONNX)
    if engine == ONNX_INT8:
        return dataclasses.replace(backbone, name=f"{backbone.name}-{ONNX_INT8}-{INT8_SCHEME}",
                                   fingerprint=f"{ONNX_INT8}-{INT8_SCHEME}:"
                                               f"{backbone.fingerprint}",
                                   engine=ONNX_INT8)
    raise ValueError(f"not an ONNX engine: {engine!r}")


def export_root(backbone: Backbone) -> Path:
    """Exports live beside the built folders: `<cache>/onnx/<name>-<checksum>/`."""
    source = Path(backbone.source)
    sha = backbone.fingerprint.rsplit(":", 1)[-1][:16]
    return source.parent.parent / "onnx" / f"{source.name}-{sha}"


def exported(backbone: Backbone, precision: str = "fp32", show_progress: bool = True,
             cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding `precision`'s model for this backbone, exported on first use, and
    again when it was made from other weights than the backbone's (hashed through
    `cache_dir`'s checksum memo)."""
    folder = export_root(backbone) / precision
    source = source_sha256(backbone, cache_dir)
    reason = _stale_reason(folder, source)
    if reason is None:
        mark_used(folder / LAST_USED)
        return folder
    if folder.is_file() and not folder.is_symlink():  # "holds a file", "move that folder" said
        raise OutputError(f"{folder}: is a file, where {embeddinggemma.NAME}'s {precision} "
                          "export goes; move that file elsewhere, then run again")
    held = not_an_export(folder, precision)
    if held is not None:  # an export replaces its folder whole: never what no export wrote
        raise OutputError(f"{folder}: holds {held}; exporting {embeddinggemma.NAME} ({precision}) "
                          "there would delete it: move that folder elsewhere, then run again")
    fp32 = (folder if precision == "fp32"
            else exported(backbone, "fp32", show_progress, cache_dir))
    say = log.warning if show_progress else log.info
    if reason == OTHER_WEIGHTS:
        log.warning("%s was exported from other weights than %s's in %s; exporting again",
                    folder, embeddinggemma.NAME, backbone.source)
    say("exporting %s to ONNX (%s) into %s (once per machine)", embeddinggemma.NAME,
        precision, folder)
    started = time.perf_counter()
    try:
        with atomic_dir(folder, overwrite=folder.exists()) as tmp:
            if precision == "fp32":
                export_fp32(Path(backbone.source), tmp, show_progress)
            else:
                quantise(fp32, tmp, show_progress, precision)
            _record_source(tmp, source)
    except OutputExistsError:  # another process finished the same export meanwhile
        if _stale_reason(folder, source) is not None:
            raise
    say("exported %s (%s) in %.0f s", embeddinggemma.NAME, precision,
        time.perf_counter() - started)
    return folder


def not_an_export(folder: Path, precision: str) -> str | None:
    """What the folder `precision`'s export goes to holds that no export wrote, in a few words,
    or None when an export may replace it: missing, a link (the link goes, never what it
    leads to), empty but for the use stamp and temporaries, or an export of `precision` by its
    record (_write_meta), stale or broken. A folder put there by hand (a copy of another
    tool's export, notes) was replaced whole, without a word, by the next load."""
    if folder.is_symlink() or not folder.is_dir():  # a file is refused by its caller
        return None
    if is_onnx_export(folder) and json_object(folder / META_FILE).get("precision") == precision:
        return None
    held = [p.name for p in folder.iterdir() if p.name != LAST_USED and not is_temporary(p)]
    if not held:
        return None
    return f"{few_names(held)}, with no record of an {precision} export"


def source_sha256(backbone: Backbone, cache_dir: str | os.PathLike | None = None) -> str | None:
    """The SHA-256 of the backbone folder's weights (None when it holds none): hashed once per
    change of the files through `cache_dir`'s checksum memo, not on every load."""
    weights = weight_files(Path(backbone.source))
    return files_sha256(weights, cache_dir) if weights else None


OTHER_WEIGHTS = "exported from other weights"


def _stale_reason(folder: Path, source: str | None) -> str | None:
    """Why the export in `folder` cannot be used (not there, another format, a file missing,
    made from weights other than `source`), or None when it can. Exports written before the
    weights were recorded, or whose backbone's weights are gone, are not checked against them;
    those written before their weights files were listed need DATA_FILE."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "not exported"
    if not isinstance(meta, dict) or meta.get("format") != EXPORT_FORMAT:
        return "another export format"
    needed = meta.get(WEIGHTS_FIELD, [DATA_FILE])
    if not (isinstance(needed, list) and all(isinstance(name, str) for name in needed)):
        return "another export format"
    if not all((folder / name).is_file() for name in [MODEL_FILE, *needed]):
        return "files missing"
    recorded = meta.get(SOURCE_FIELD)
    if recorded is not None and source is not None and recorded != source:
        return OTHER_WEIGHTS
    return None


def _stages(names: list[str], desc: str, show_progress: bool):
    return progress_bar(names, desc=desc, unit="step",
                        disable=not (show_progress and bars_allowed()))


def export_fp32(source: Path, out: Path, show_progress: bool) -> None:
    """Trace the whole pipeline to one graph (input ids + mask → unit vectors), keep its weights
    in one external file (mapped at load), then check it against torch on a few texts.
    Public as the seam tests replace to stand in for the export or to see none is made."""
    import onnx
    import torch

    steps = _stages(["load", "trace", "save", "check"], f"exporting {embeddinggemma.NAME}",
                    show_progress)
    with steps:
        whole = _pipeline(source)
        # the check texts as the backbone's own tokenizer reads them, padded: the trace's
        # example (ids within its vocabulary, a padded row, its pad id masked)
        batch = _query_batch(source, CHECK_TEXTS)
        reference = _torch_vectors(whole, batch)
        steps.update()
        traced = out / "traced.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter warns about itself
            torch.onnx.export(whole, (batch["input_ids"], batch["attention_mask"]), str(traced),
                              input_names=["input_ids", "attention_mask"],
                              output_names=["embedding"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                            "attention_mask": {0: "batch", 1: "sequence"},
                                            "embedding": {0: "batch"}})
        del whole
        steps.update()
        graph = onnx.load(str(traced))
        traced.unlink()
        onnx.save_model(graph, str(out / MODEL_FILE), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=DATA_FILE, size_threshold=1024)
        del graph
        steps.update()
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (out / name).write_bytes((source / name).read_bytes())
        ours = OnnxEncoder.from_folder(out, num_threads=None).encode_prefixed(
            [embeddinggemma.QUERY_PREFIX + t for t in CHECK_TEXTS])
        cosine = float((ours * reference).sum(axis=1).min())
        if cosine < MIN_CHECK_COSINE:
            raise ExportError(f"backbone {embeddinggemma.NAME!r}: the ONNX export disagrees "
                              f"with torch (cosine {cosine:.5f} < {MIN_CHECK_COSINE})")
        steps.update()
    _write_meta(out, precision="fp32", check_cosine=round(cosine, 6))


def quantise(fp32: Path, out: Path, show_progress: bool, precision: str) -> None:
    """int8 weights for every weight matrix except the MLPs' down projections, whose inputs
    carry Gemma's large activation outliers (with them: cosine min 0.92 instead of 0.99).
    Public as the seam tests replace to see an int8 export is not made again."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    steps = _stages(["quantise"], f"quantising {embeddinggemma.NAME}", show_progress)
    with steps:
        graph = onnx.load(str(fp32 / MODEL_FILE), load_external_data=False).graph
        weights = {i.name for i in graph.initializer}
        keep = [n.name for n in graph.node if n.op_type == "MatMul"
                and ("down_proj" in n.name or not any(x in weights for x in n.input))]
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # it advises pre-processing, which changed nothing here
        source = out / SOURCE_COPY
        try:
            # signed weights: this model's dynamic int8 was 2× faster with them than unsigned
            # on a VNNI CPU, at the same cosine; the weights file is named MODEL_FILE + ".data"
            quantize_dynamic(_plain_copy(fp32, source), out / MODEL_FILE,
                             weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"], nodes_to_exclude=keep,
                             use_external_data_format=True,
                             reduce_range=True)  # 7-bit weights: INT8_SCHEME
        finally:
            root.setLevel(level)
            shutil.rmtree(source, ignore_errors=True)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            (out / name).write_bytes((fp32 / name).read_bytes())
        steps.update()
    _write_meta(out, precision=precision, kept_fp32=len(keep))


def _plain_copy(fp32: Path, folder: Path) -> Path:
    """The fp32 graph and its weights copied into `folder` as files of their own, for the
    quantiser to read: onnx refuses external weights behind a symbolic or hard link (a cache
    whose files are links: assembled from another one, backed up with `cp -al`, deduplicated),
    and the quantiser writes its shape-inferred graph beside the one it reads, which in the
    fp32 folder itself two processes quantising at once would share."""
    folder.mkdir()
    for name in (MODEL_FILE, DATA_FILE):
        shutil.copyfile(fp32 / name, folder / name)
    return folder / MODEL_FILE


def _write_meta(out: Path, **extra) -> None:
    """The export's record, written once its graph is: with the weights files that graph reads,
    which loading then requires."""
    import onnxruntime

    meta = {"format": EXPORT_FORMAT, "opset": OPSET, "onnxruntime": onnxruntime.__version__,
            "max_length": MAX_LENGTH, WEIGHTS_FIELD: external_weights_files(out / MODEL_FILE),
            **extra}
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _record_source(out: Path, weights_sha256: str | None) -> None:
    """Add the SHA-256 of the weights an export was made from (source_sha256) to its record:
    loading compares it with the backbone's weights then."""
    if weights_sha256 is None:
        return
    meta = json.loads((out / META_FILE).read_text(encoding="utf-8"))
    meta[SOURCE_FIELD] = weights_sha256
    (out / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _pipeline(source: Path):
    """The sentence-transformers folder's modules as one torch module, refused unless they are
    what the export reproduces: a Gemma3 encoder, mean pooling, linear dense layers,
    unit length."""
    from safetensors.torch import load_file
    from transformers import AutoModel

    modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[-1] != "Normalize" or any(
            k != "Dense" for k in kinds[2:-1]):
        raise ExportError(f"{source}: modules {kinds} are not Transformer, Pooling, Dense…, "
                          "Normalize")
    pooling = json.loads((source / modules[1]["path"] / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens") or not pooling.get("include_prompt", True):
        raise ExportError(f"{source}: only mean pooling over every token is exported")
    dense = []
    for module in modules[2:-1]:
        folder = source / module["path"]
        config = json.loads((folder / "config.json").read_text())
        if not config["activation_function"].endswith("Identity"):
            raise ExportError(f"{folder}: activation {config['activation_function']}")
        weights = load_file(folder / "model.safetensors")
        dense.append((weights["linear.weight"], weights.get("linear.bias")))
    # eager attention traces to plain ops; the masks are passed in (below), so the tracer never
    # meets transformers' vmap-built masks
    encoder = AutoModel.from_pretrained(source, attn_implementation="eager").eval()
    if encoder.config.model_type != "gemma3_text":
        raise ExportError(f"{source}: a {encoder.config.model_type} encoder; only Gemma3's "
                          "masks are built here")
    return _module_class()(encoder, dense, int(encoder.config.sliding_window))


def _query_batch(source: Path, texts: Sequence[str]):
    """`texts` as queries, tokenized by the backbone's tokenizer and padded to one tensor."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source)
    return tokenizer([embeddinggemma.QUERY_PREFIX + t for t in texts], padding=True,
                     return_tensors="pt")


def _torch_vectors(whole, batch) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return whole(batch["input_ids"], batch["attention_mask"]).numpy()


def _module_class():
    import torch

    class Pipeline(torch.nn.Module):
        """Gemma3 with bidirectional attention (padding masked; sliding layers also see only
        tokens closer than the window), mean over real tokens, dense layers, unit length."""

        def __init__(self, encoder, dense, window: int):
            super().__init__()
            self.encoder, self.window = encoder, window
            self.dense = torch.nn.ModuleList()
            for weight, bias in dense:
                layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
                layer.weight.data = weight
                if bias is not None:
                    layer.bias.data = bias
                self.dense.append(layer)

        def forward(self, input_ids, attention_mask):
            keep = attention_mask[:, None, None, :].bool()
            position = torch.arange(input_ids.shape[1])
            near = ((position[:, None] - position[None, :]).abs() < self.window)[None, None]
            low = torch.finfo(torch.float32).min
            full = torch.zeros(keep.shape).masked_fill(~keep, low)
            sliding = torch.zeros(near.shape).masked_fill(~(keep & near), low)
            hidden = self.encoder(input_ids=input_ids, attention_mask={
                "full_attention": full, "sliding_attention": sliding}).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            x = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            for layer in self.dense:
                x = layer(x)
            return torch.nn.functional.normalize(x, dim=-1)

    return Pipeline


class OnnxEncoder:
    """Same interface as Encoder.encode. Texts are tokenized once, sorted by token count and
    padded per batch, so short queries never wait on a long title's padding; a batch holds at
    most `batch_size` rows and `batch_tokens` padded tokens (0: no token limit)."""

    def __init__(self, backbone: Backbone, batch_size: int = 32, num_threads: int | None = None,
                 show_progress: bool = False, batch_tokens: int = BATCH_TOKENS,
                 cache_dir: str | os.PathLike | None = None):
        folder = exported(backbone, PRECISION[backbone.engine], show_progress and bars_allowed(),
                          cache_dir)
        if backbone.engine == ONNX_INT8 and cpu_has_vnni() is False:
            say = log.warning if show_progress and bars_allowed() else log.info
            say("onnx-int8 on a CPU without VNNI (no avx512_vnni/avx_vnni in /proc/cpuinfo): "
                "int8 runs no faster than fp32 here and costs 0.002-0.003 ROC-AUC; the default "
                "engine (auto) is the better choice on this machine")
        self._open(folder, batch_size, num_threads, batch_tokens)
        self.query_prefix, self.passage_prefix = backbone.query_prefix, backbone.passage_prefix
        self.show_progress = show_progress

    @classmethod
    def from_folder(cls, folder: Path, batch_size: int = 32, num_threads: int | None = None,
                    query_prefix: str = "", passage_prefix: str = "",
                    batch_tokens: int = BATCH_TOKENS) -> OnnxEncoder:
        encoder = cls.__new__(cls)
        encoder._open(folder, batch_size, num_threads, batch_tokens)
        encoder.query_prefix, encoder.passage_prefix = query_prefix, passage_prefix
        encoder.show_progress = False
        return encoder

    def _open(self, folder: Path, batch_size: int, num_threads: int | None,
              batch_tokens: int) -> None:
        check_batching(batch_size, batch_tokens)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = open_session(folder / MODEL_FILE, options, ["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_LENGTH)
        self.tokenizer.no_padding()
        self.batch_size, self.batch_tokens = batch_size, batch_tokens
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if kind not in PLURAL:
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        prefix = self.query_prefix if kind == "query" else self.passage_prefix
        return self.encode_prefixed([prefix + str(t) for t in texts],
                                    f"embedding {PLURAL[kind]}")

    def encode_prefixed(self, texts: Sequence[str], desc: str = "embedding",
                        sort: bool = True) -> np.ndarray:
        """(n, dim) float32 unit vectors; sort=False keeps the given order in batches (for
        measuring what sorting by length gains)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        lengths = np.array([len(x) for x in ids])
        order = np.argsort(lengths, kind="stable") if sort else np.arange(len(ids))
        bar = progress_bar(total=len(texts), unit="text", desc=desc,
                           disable=not (self.show_progress and bars_allowed()), delay=bar_delay())
        with bar:
            for batch in token_batches(lengths, order, self.batch_size, self.batch_tokens):
                width = int(lengths[batch].max())
                input_ids = np.zeros((len(batch), width), dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch):
                    input_ids[row, :lengths[i]] = ids[i]
                    mask[row, :lengths[i]] = 1
                (vectors,) = self.session.run(["embedding"], {"input_ids": input_ids,
                                                              "attention_mask": mask})
                out[batch] = vectors
                bar.update(len(batch))
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(min=1e-12)
