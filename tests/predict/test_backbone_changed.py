"""A run whose local backbone folder changed since training (one byte of its weights): predict,
Scorer and serve refuse it in one line naming the run's config.yaml and the line there that
names the backbone, and saying what to do. They said only `model.params.backbone: '...' now
resolves to sha256:..., but the model was trained on ...`: whose run, and then what?"""

import hashlib
import shutil

import pytest
from click.testing import CliRunner

from shoprel import Scorer
from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.errors import ConfigError


def folder_fingerprint(folder):
    """A one-weight-file folder's fingerprint, worked out here by hand: the SHA-256 over the
    file's name and the hex SHA-256 of its bytes."""
    weights = folder / "model.safetensors"
    inner = hashlib.sha256(weights.read_bytes()).hexdigest()
    return "sha256:" + hashlib.sha256(weights.name.encode() + inner.encode()).hexdigest()


def changed_backbone_copy(run, tmp_path):
    """A copy of the run (trained on the folder `bert` beside it) on a copy of its backbone
    folder whose weights file then had one byte changed; (run, backbone folder, config.yaml
    line naming it, trained, now)."""
    original = run.parent / "bert"
    copy = shutil.copytree(run, tmp_path / "run")
    bert = shutil.copytree(original, tmp_path / "bert")
    for path in [copy / "config.yaml", *copy.glob("models/*/model.json")]:
        text = path.read_text(encoding="utf-8")
        assert str(original) in text
        path.write_text(text.replace(str(original), str(bert)), encoding="utf-8")
    trained = folder_fingerprint(bert)
    weights = bert / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    now = folder_fingerprint(bert)
    assert now != trained
    lines = (copy / "config.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.strip() == f"backbone: {bert}")
    return copy, bert, line, trained, now


def test_a_backbone_changed_since_training_names_the_run_s_config_line_and_the_fix(
        embed_run, tmp_path):
    copy, bert, line, trained, now = changed_backbone_copy(embed_run, tmp_path)
    config = copy / "config.yaml"
    said = (f"{config}: line {line}: model.params.backbone {str(bert)!r}: now resolves to "
            f"{now}, but the model was trained on {trained}; put back the weights it was "
            f"trained on, or train it again on these: `shoprel train {demo_file('QC')} "
            f"--config {config} --out NEW_RUN`")
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--out",
                                       str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {said}\n"
    assert not out.exists()
    with pytest.raises(ConfigError) as raised:
        Scorer(copy)
    assert str(raised.value) == said
    from shoprel.serve.app import create_app

    with pytest.raises(ConfigError) as raised:
        create_app(copy)
    assert str(raised.value) == said


def test_a_bi_encoder_whose_backbone_changed_is_refused_before_predict_scores(
        biencoder_run, tmp_path, monkeypatch):
    """The bi-encoder checked its backbone only once it scored: predict said it without the run's
    config.yaml line, after the file's reading and scoring had begun. It is refused when the
    run is opened, in the embedding run's one line, and nothing is scored nor written."""
    from shoprel.models.biencoder import encoder_parts

    copy, bert, line, trained, now = changed_backbone_copy(biencoder_run, tmp_path)
    loaded = []
    load = encoder_parts.load_parts
    monkeypatch.setattr(encoder_parts, "load_parts",
                        lambda *args: loaded.append(args) or load(*args))
    config = copy / "config.yaml"
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(main, ["predict", str(copy), str(demo_file("QC")), "--out",
                                       str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"error: {config}: line {line}: model.params.backbone {str(bert)!r}: now resolves to "
        f"{now}, but the model was trained on {trained}; put back the weights it was trained "
        f"on, or train it again on these: `shoprel train {demo_file('QC')} --config {config} "
        "--out NEW_RUN`\n")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bert", "run"]
    assert loaded == []  # refused before the encoder was loaded
