"""The bi-encoder's torch parts load by the embed family's rules (backbones/torch_load.py)."""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

from shoprel.errors import ConfigError  # noqa: E402
from shoprel.models.backbones import Encoder  # noqa: E402
from shoprel.models.backbones.encoders import SentenceTransformerEncoder  # noqa: E402
from shoprel.models.backbones.resolve import resolve_backbone  # noqa: E402
from shoprel.models.biencoder.encoder_parts import load_parts  # noqa: E402
from shoprel.utils.progress import quiet_while  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def st_folder(tmp_path, tiny_bert) -> Path:
    """A sentence-transformers folder around the tiny BERT: mean pooling, no dense layer."""
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    st.SentenceTransformer(modules=[Transformer(tiny_bert), Pooling(16)]).save(
        str(tmp_path / "st"))
    return tmp_path / "st"


def test_a_quiet_sentence_transformers_load_draws_no_bar(st_folder, capsys):
    """The embed family's sentence-transformers load drew no "Loading weights" bar with
    progress off, the bi-encoder's same load did; both load one way now."""
    backbone = resolve_backbone(str(st_folder))
    capsys.readouterr()
    with quiet_while(True):
        encoder, _, heads, missing = load_parts(backbone)
        SentenceTransformerEncoder(backbone)
    assert "Loading weights" not in capsys.readouterr().err
    assert (type(encoder).__name__, heads, missing) == ("BertModel", [], [])


def test_a_folder_neither_can_use_is_the_same_error(tmp_path, tiny_bert):
    """A folder whose config names no model type: one ConfigError, worded alike for both."""
    import shutil

    folder = Path(shutil.copytree(tiny_bert, tmp_path / "typeless"))
    (folder / "config.json").write_text("{}")
    backbone = resolve_backbone(str(folder))
    with pytest.raises(ConfigError) as embed:
        Encoder(backbone)
    with pytest.raises(ConfigError) as biencoder:
        load_parts(backbone)
    assert str(embed.value) == str(biencoder.value)
    assert str(embed.value).startswith(f"model.params.backbone {str(folder)!r}: cannot load ")


def test_a_broken_sentence_transformers_folder_is_told(st_folder, tmp_path):
    """A sentence-transformers folder missing a layer's weights loaded with them random and
    said nothing (transformers' report never reaches us through sentence-transformers); the
    bi-encoder's parts and the embed family's encoder both hand the names back now."""
    from tests.models.builders import without_weights

    broken = without_weights(st_folder, tmp_path / "broken",
                             ["encoder.layer.1.output.dense.weight", "pooler.dense.bias"])
    backbone = resolve_backbone(str(broken))
    *_, missing = load_parts(backbone)
    assert missing == ["encoder.layer.1.output.dense.weight"]  # the pooler is never read
    assert SentenceTransformerEncoder(backbone).missing_encoder_weights == missing
    assert SentenceTransformerEncoder(resolve_backbone(str(st_folder))).missing_encoder_weights \
        == []
