"""Token-budget batching, and every torch encoder's vectors whatever the batching."""

import numpy as np
import pytest

from shoprel.models.backbones.batching import check_batching, token_batches
from shoprel.models.backbones.encoder import Encoder
from shoprel.models.backbones.encoders import SentenceTransformerEncoder
from shoprel.models.backbones.resolve import SENTENCE_TRANSFORMERS, resolve_backbone

# lengths from 1 to ~60 characters: several token batches at a small budget
TEXTS = ["funda", "water bottle for kids", "lamp", "red case for iphone 13 pro max with stand",
         "blue", "kids water bottle, stainless steel, 500 ml, leak proof lid, red and blue",
         "caja", "iphone funda roja"]


def test_token_batches_keep_order_rows_and_padded_tokens():
    lengths = np.array([3, 9, 2, 2, 40, 5, 5, 1, 7])
    order = np.argsort(lengths, kind="stable")
    batches = token_batches(lengths, order, max_rows=3, max_tokens=12)
    assert np.concatenate(batches).tolist() == order.tolist()
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) * lengths[batch].max() <= 12 or len(batch) == 1
    assert [lengths[b].tolist() for b in batches] == [[1, 2, 2], [3, 5], [5], [7], [9], [40]]
    unlimited = token_batches(lengths, order, max_rows=4, max_tokens=0)
    assert [len(b) for b in unlimited] == [4, 4, 1]


@pytest.mark.parametrize(("batch_size", "batch_tokens", "said"), [
    (0, 1024, "batch_size: 0 is out of range; it must be at least 1"),
    (8, -1, "batch_tokens: -1 is out of range; it must be at least 0"),
    (2.5, 0, "batch_size: 2.5 is not a whole number"),
    (True, 0, "batch_size: expected a number, got True"),
])
def test_a_batch_setting_no_encoder_can_honour_is_said_as_a_bound_is(batch_size, batch_tokens,
                                                                      said):
    """It said "batch_size must be >= 1 and batch_tokens >= 0, not 0 and 1024" (both named,
    whichever was wrong; 2.5 rows passed): now the field that is wrong, in the sentence of
    utils/bounds.py that a family's batch_size field says."""
    with pytest.raises(ValueError) as caught:
        check_batching(batch_size, batch_tokens)
    assert str(caught.value) == said
    check_batching(1, 0)
    check_batching(np.int64(64), np.int64(1024))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, tiny_backbone):
    pytest.importorskip("torch")
    return tiny_backbone(tmp_path_factory.mktemp("batching") / "bert", TEXTS)


def same_vectors_whatever_batching(make, texts):
    one_batch = make(batch_size=64, batch_tokens=0).encode(texts, "passage")
    spread = make(batch_size=3, batch_tokens=40)
    batches = token_batches(np.array([len(t) for t in texts]), np.arange(len(texts)), 3, 40)
    assert len(batches) > 3  # the budget really splits these texts
    np.testing.assert_allclose(spread.encode(texts, "passage"), one_batch, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(one_batch, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="batch_tokens"):
        make(batch_size=8, batch_tokens=-1)


def test_transformers_encoder_vectors_do_not_depend_on_batching(tiny_folder, one_torch_thread):
    backbone = resolve_backbone(str(tiny_folder))
    same_vectors_whatever_batching(lambda **kw: Encoder(backbone, **kw), TEXTS)


def test_sentence_transformers_encoder_vectors_do_not_depend_on_batching(
        tiny_folder, tmp_path, one_torch_thread):
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    folder = tmp_path / "st"
    st.SentenceTransformer(modules=[Transformer(str(tiny_folder)), Pooling(16)]).save(str(folder))
    backbone = resolve_backbone(str(folder))
    assert backbone.engine == SENTENCE_TRANSFORMERS
    same_vectors_whatever_batching(
        lambda **kw: SentenceTransformerEncoder(backbone, **kw), TEXTS)
