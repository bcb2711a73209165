"""The sentence-transformers encoder's loading under progress=False."""

import pytest

from shoprel.models.backbones.encoders import SentenceTransformerEncoder
from shoprel.models.backbones.resolve import resolve_backbone
from shoprel.utils.progress import one_call, quiet_while


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


def test_the_first_load_of_an_encoder_is_said_once_with_its_time(
        tmp_path, tiny_backbone, one_torch_thread, capsys, monkeypatch):
    """A long command showed nothing while its backbone's encoder loaded (EmbeddingGemma:
    ~10 s on 2 cores). Its first load in the process is said with the seconds it took; a
    later load (another fold's model) is not, nor one under --quiet, which leaves the note to
    the next load that is not quiet."""
    import re

    from shoprel.models.backbones import encoders

    monkeypatch.setattr(encoders, "NAMED_ENCODERS", set())
    backbone = resolve_backbone(str(tiny_backbone(tmp_path / "bert", ["funda roja"])))
    capsys.readouterr()
    with quiet_while(True):
        encoders.make_encoder(backbone)
    assert capsys.readouterr().err == ""
    encoders.make_encoder(backbone)
    encoders.make_encoder(backbone)
    note = re.escape(f"loading encoder {backbone.name} (transformers)... ") + r"\d+\.\d s\n"
    err = capsys.readouterr().err
    assert re.match(note, err) and len(re.findall("loading encoder", err)) == 1, err
    # a Python call (one_call) says its own first load, once, though the process said it
    for _ in range(2):
        with one_call():
            encoders.make_encoder(backbone)
            with one_call():  # a call inside another is part of it
                encoders.make_encoder(backbone)
        err = capsys.readouterr().err
        assert re.match(note, err) and len(re.findall("loading encoder", err)) == 1, err
