"""The sentence-transformers encoder's loading under progress=False."""

import pytest

from shoprel.models.backbones.encoders import SentenceTransformerEncoder
from shoprel.models.backbones.resolve import resolve_backbone
from shoprel.utils.progress import quiet_while


def test_a_quiet_load_draws_no_bar_and_leaves_transformers_bars_on(
        tmp_path, tiny_backbone, one_torch_thread, capsys):
    """Loading under progress=False turned transformers' bars off for the rest of the
    process: a library user's later loads drew none."""
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers.utils import logging as hf_logging

    tiny = tiny_backbone(tmp_path / "bert", ["funda roja", "water bottle"])
    st.SentenceTransformer(modules=[Transformer(str(tiny)), Pooling(16)]).save(str(tmp_path / "st"))
    capsys.readouterr()
    assert hf_logging.is_progress_bar_enabled()
    with quiet_while(True):
        encoder = SentenceTransformerEncoder(resolve_backbone(str(tmp_path / "st")))
    assert "Loading weights" not in capsys.readouterr().err
    assert hf_logging.is_progress_bar_enabled()
    assert encoder.encode(["funda"]).shape == (1, 16)
