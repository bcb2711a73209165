"""The learned similarity: it learns a relevance the frozen cosine misses, its out-of-fold scores
never hear their own group's labels, and it saves, loads and refuses bad arrays."""

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from sklearn.metrics import roc_auc_score  # noqa: E402

from shoprel.errors import RunDirError  # noqa: E402
from shoprel.models.base import RelevanceModel  # noqa: E402
from shoprel.models.embed.learned_similarity import LearnedSimilarity  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def hidden_relevance(n=1200, dim=64, seed=0):
    """Pairs whose label depends on 4 of 64 dimensions only: the plain cosine barely sees it."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, dim)).astype(np.float32)
    t = rng.normal(size=(n, dim)).astype(np.float32)
    t[: n // 2, :4] = q[: n // 2, :4] + 0.3 * rng.normal(size=(n // 2, 4))
    labels = np.zeros(n)
    labels[: n // 2] = 1
    order = rng.permutation(n)
    return q[order], t[order], labels[order]


def cosine(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_learns_what_the_cosine_misses():
    q, t, y = hidden_relevance()
    head = LearnedSimilarity(dim=8, epochs=30, seeds=2, learning_rate=3e-3).fit(
        q[:900], t[:900], y[:900])
    learned = roc_auc_score(y[900:], head.transform(q[900:], t[900:])[:, 0])
    frozen = roc_auc_score(y[900:], cosine(q[900:], t[900:]))
    assert frozen < 0.66 and learned > frozen + 0.08  # 0.63 -> 0.74


def test_out_of_fold_scores_never_hear_their_group():
    q, t, y = hidden_relevance(n=300)
    groups = np.arange(300) % 10
    head = LearnedSimilarity(dim=8, epochs=2, seeds=1)
    before = head.oof_transform(q, t, y, None, groups, 5, seed=3)
    flipped = y.copy()
    flipped[groups == 4] = 1 - flipped[groups == 4]
    after = head.oof_transform(q, t, flipped, None, groups, 5, seed=3)
    np.testing.assert_array_equal(before[groups == 4], after[groups == 4])
    assert not np.array_equal(before[groups != 4], after[groups != 4])  # the flip is heard


def test_arrays_round_trip_and_bad_shapes_are_refused():
    q, t, y = hidden_relevance(n=200)
    head = LearnedSimilarity(dim=8, epochs=1, seeds=2).fit(q, t, y, weight=np.ones(200))
    again = LearnedSimilarity.from_arrays(head.arrays(), dim=64, source="x.safetensors")
    np.testing.assert_array_equal(again.transform(q, t), head.transform(q, t))
    with pytest.raises(RunDirError, match=r"x.safetensors: field 'projections' has shape"):
        LearnedSimilarity.from_arrays(head.arrays(), dim=16, source="x.safetensors")
    broken = {**head.arrays(), "scales": np.ones(3, np.float32)}
    with pytest.raises(RunDirError, match="field 'scales' has shape"):
        LearnedSimilarity.from_arrays(broken, dim=64, source="x.safetensors")
    with pytest.raises(RunDirError, match="field 'biases' missing"):
        LearnedSimilarity.from_arrays({"projections": head.projections_, "scales":
                                       head.scales_}, dim=64)


def test_model_saved_before_the_block_existed_still_loads(tmp_path, qc_frame, small_model):
    model = small_model("embed", learned_similarity=False).fit(qc_frame)
    folder = model.save(tmp_path / "saved")
    config_path = folder / "model.json"
    config = json.loads(config_path.read_text())
    for key in ("learned_similarity", "similarity_dim", "similarity_epochs", "similarity_seeds"):
        del config["params"][key]  # as an older shoprel wrote it
    config_path.write_text(json.dumps(config))
    loaded = RelevanceModel.load(folder)
    assert loaded.learned_similarity is False
    np.testing.assert_allclose(loaded.predict_proba(qc_frame), model.predict_proba(qc_frame))


def test_model_missing_its_heads_is_refused(tmp_path, qc_frame, small_model):
    folder = small_model("embed").fit(qc_frame).save(tmp_path / "saved")
    (folder / "learned_similarity.safetensors").unlink()
    with pytest.raises(RunDirError, match="learned_similarity.safetensors: missing"):
        RelevanceModel.load(folder)
