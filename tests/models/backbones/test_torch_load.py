"""A backbone loaded as torch modules tells the encoder weights its checkpoint lacks, without
transformers' load report; the embed family's torch encoder keeps that list."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tests.models.builders import without_weights  # noqa: E402

from shoprel.models.backbones import Encoder, load_backbone  # noqa: E402
from shoprel.models.backbones.resolve import resolve_backbone  # noqa: E402
from shoprel.models.backbones.torch_load import load_transformer  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BROKEN = "encoder.layer.1.output.dense.weight"


def test_a_whole_folder_lacks_nothing(tiny_bert):
    loaded = load_transformer(resolve_backbone(tiny_bert))
    assert loaded.missing_encoder == []
    assert not loaded.model.training
    model, tokenizer = load_backbone(resolve_backbone(tiny_bert))
    assert type(model) is type(loaded.model) and tokenizer.vocab == loaded.tokenizer.vocab


def test_the_encoder_keeps_the_weights_its_folder_lacks(tiny_bert, tmp_path, transformers_log):
    """The embed family's torch encoder loaded a folder missing a layer's weights with them
    random and said nothing (with progress off); it keeps their names now, the pooler (never
    read by mean pooling) aside, and transformers' load report stays silent."""
    broken = without_weights(Path(tiny_bert), tmp_path / "broken",
                             [BROKEN, "pooler.dense.bias"])
    encoder = Encoder(resolve_backbone(str(broken)), batch_size=4)
    assert encoder.missing_encoder_weights == [BROKEN]
    assert "LOAD REPORT" not in transformers_log.getvalue()
    vectors = encoder.encode(["phone case", "shoes"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert Encoder(resolve_backbone(tiny_bert)).missing_encoder_weights == []
