"""The suite writes its own shoprel cache: the user's (~/.cache/shoprel) is only ever read."""

import hashlib
import json
import os

from tests.conftest import LINKED_FROM, USER_CACHE, hashed_files, linked_view

from shoprel.models.backbones.cache import (
    CACHE_ENV,
    CHECKSUMS_FILE,
    LAST_USED,
    cache_root,
    file_sha256,
    mark_used,
)


def _state(folder):
    """Every path under `folder` with its size and modification time (links not followed)."""
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def test_a_test_naming_no_cache_writes_the_sessions_not_the_users(tmp_path):
    """Tests that set no $SHOPREL_CACHE remembered their files' checksums (and embeddings of
    their tiny backbones) in the user's ~/.cache/shoprel."""
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 100)
    assert cache_root() != USER_CACHE
    assert file_sha256(weights) == hashlib.sha256(b"w" * 100).hexdigest()
    assert str(weights) in json.loads((cache_root() / CHECKSUMS_FILE).read_text())
    try:
        users = json.loads((USER_CACHE / CHECKSUMS_FILE).read_text())
    except (OSError, ValueError):
        users = {}
    assert str(weights) not in users


def test_a_view_of_the_users_builds_reads_them_and_writes_only_itself(tmp_path, monkeypatch):
    user = tmp_path / "user"
    weights = user / "backbones" / "b" / "model.safetensors"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"w" * LINKED_FROM)
    (weights.parent / LAST_USED).touch()
    record = weights.parent / "weights.json"  # a record that loading touches, as USE's
    record.write_text("{}")
    export = user / "onnx" / "b-0123456789abcdef" / "fp32" / "model.onnx"
    export.parent.mkdir(parents=True)
    export.write_bytes(b"graph")
    (user / "embeddings").mkdir()
    for name in ("b-0123.sqlite", "other-4567.sqlite"):
        (user / "embeddings" / name).write_bytes(b"rows")
    monkeypatch.setenv(CACHE_ENV, str(user))
    digest = file_sha256(weights)
    before = _state(user)

    view = linked_view(user, tmp_path / "view", copied=("embeddings/b-*.sqlite",))
    monkeypatch.setenv(CACHE_ENV, str(view))
    reads = hashed_files(monkeypatch)
    linked = view / "backbones" / "b" / "model.safetensors"
    assert file_sha256(linked) == digest and reads == []  # known: not hashed again
    assert (view / "onnx" / "b-0123456789abcdef" / "fp32" / "model.onnx").read_bytes() == b"graph"
    # only what tests read: builds, exports and the embeddings asked for, copied
    assert [p.name for p in (view / "embeddings").iterdir()] == ["b-0123.sqlite"]
    (view / "embeddings" / "b-0123.sqlite").write_bytes(b"more rows")
    assert os.path.islink(linked)
    for stamp in (LAST_USED, "weights.json"):
        mark_used(view / "backbones" / "b" / stamp)
        assert not os.path.islink(view / "backbones" / "b" / stamp)
    file_sha256(tmp_path / "user" / "backbones" / "b" / "model.safetensors")
    assert _state(user) == before
