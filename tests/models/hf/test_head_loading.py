"""Loading an encoder checkpoint under a classifier head: the encoder's missing weights apart."""

from pathlib import Path

import pytest

pytest.importorskip("transformers")

from tests.models.builders import without_weights  # noqa: E402

from shoprel.models.hf.head_loading import load_under_head  # noqa: E402

POOLER = ["pooler.dense.weight", "pooler.dense.bias"]


def test_a_checkpoint_without_a_pooler_is_not_a_broken_encoder(tiny_bert, tmp_path):
    """The built-in e5-small and pretrain's outputs hold no pooler (mean pooling and masked-LM
    models never read one); under a classifier it starts new with the head, as it would from
    any such checkpoint, so `shoprel train` must not call the backbone broken."""
    from transformers import AutoModelForSequenceClassification

    poolerless = without_weights(Path(tiny_bert), tmp_path / "poolerless", POOLER)
    loaded = load_under_head(AutoModelForSequenceClassification, str(poolerless), num_labels=2)
    assert loaded.missing_encoder == [] and loaded.new_head
    broken = without_weights(poolerless, None, ["encoder.layer.0.attention.self.query.weight"])
    loaded = load_under_head(AutoModelForSequenceClassification, str(broken), num_labels=2)
    assert loaded.missing_encoder == ["bert.encoder.layer.0.attention.self.query.weight"]
