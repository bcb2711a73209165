"""A config written for a GPU (`device: cuda`) refuses to start hours of training on a CPU."""

from pathlib import Path

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from shoprel.cli import main  # noqa: E402
from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.errors import ConfigError  # noqa: E402
from shoprel.models.cross.model import CrossEncoderModel  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")


def test_fit_refuses_before_the_backbone_loads(qc_demo, tmp_path):
    """The backbone is a folder that is not there: resolving it first would say so instead."""
    with pytest.raises(ConfigError, match=r"^model\.params\.device: cuda, but torch sees no "
                                          "CUDA GPU"):
        CrossEncoderModel(device="cuda", backbone=str(tmp_path / "no-backbone")).fit(
            read_pairs(qc_demo))


GPU_PRESETS = ["cross-e5-small-gpu.yaml", "gemma3-270m-lora-gpu.yaml", "gemma3-12b-lora-qc.yaml",
               "gemma3-12b-lora-qi.yaml"]


def test_the_gpu_presets_are_every_preset_written_for_a_gpu():
    """A preset added with `device: cuda`, or named for a GPU without it, would escape the
    one-line check below: the list is what configs/ holds, not what it held when written."""
    from shoprel.training.config_reading import load_config

    presets = sorted((REPO / "configs").glob("*.yaml"))
    cuda = [p.name for p in presets if load_config(p).model.params.get("device") == "cuda"]
    assert cuda == sorted(GPU_PRESETS)
    assert {p.name for p in presets if "gpu" in p.stem} <= set(cuda)


@pytest.mark.parametrize("preset", GPU_PRESETS)
def test_gpu_presets_are_one_line_on_a_cpu(qc_demo, tmp_path, preset):
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "run"),
                                     "--config", str(REPO / "configs" / preset), "--quiet"])
    assert done.exit_code == 2, done.output
    assert done.output.count("\n") == 1 and "device: cuda" in done.output
    assert not (tmp_path / "run").exists()
