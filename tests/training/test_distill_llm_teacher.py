"""distill of an LLM teacher whose saved adapter is broken: loading an LLM reads its backbone
(GBs), so the teacher is not loaded before the work, but its adapter's own files are checked
then, in milliseconds, and a broken one is refused naming the file. It failed only at the speed
comparison, once the student had been trained and written."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.demo import demo_file

pytest.importorskip("torch")
pytest.importorskip("peft")

MEND = "copy the run again from where it was trained, or train it again"


@pytest.fixture(scope="module")
def llm_teacher(tmp_path_factory) -> Path:
    """A 3-fold QC run of the llm family on a tiny random Gemma-3 decoder (seconds, on CPU)."""
    from tests.models.builders import tiny_decoder

    from shoprel.models.backbones.cache import CACHE_ENV
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("llm-teacher")
    params = {"backbone": tiny_decoder(root / "gemma", "gemma3"), "max_length": 40,
              "batch_size": 8, "max_steps": 2, "learning_rate": 1e-2, "n_threads": 1,
              "save_steps": 1000, "cache_dir": str(root / "cache")}
    config = load_config(None, {"folds.k": 3, "model.family": "llm", "student": None,
                                **{f"model.params.{k}": v for k, v in params.items()}})
    with pytest.MonkeyPatch.context() as patched:
        patched.setenv(CACHE_ENV, str(root / "cache"))
        return train(demo_file("QC"), root / "run", config, progress=False).run_dir


def _cut_short(path: Path) -> str:
    path.write_bytes(path.read_bytes()[:100])
    return ("cannot be read (SafetensorError: Error while deserializing header: invalid header "
            "length)")


def _gone(path: Path) -> str:
    path.unlink()
    return "missing (the saved model's adapter)"


def _not_json(path: Path) -> str:
    path.write_text('{"r": ', encoding="utf-8")
    return "cannot be read (JSONDecodeError: Expecting value: line 1 column 7 (char 6))"


def _a_list(path: Path) -> str:
    path.write_text("[]", encoding="utf-8")
    return "a list is not a JSON object"


DAMAGES = {"weights cut short": ("adapter_model.safetensors", _cut_short),
           "weights missing": ("adapter_model.safetensors", _gone),
           "config missing": ("adapter_config.json", _gone),
           "config not JSON": ("adapter_config.json", _not_json),
           "config a list": ("adapter_config.json", _a_list)}


def _never_loaded(monkeypatch) -> None:
    """Loading the backbone (the LLM's expensive part) fails the test."""
    from shoprel.models.llm.model import LLMClassifier

    monkeypatch.setattr(LLMClassifier, "_load_base",
                        lambda *args, **kwargs: pytest.fail("the backbone was loaded"))


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_broken_llm_adapter_is_refused_before_any_work_naming_the_file(
        llm_teacher, tmp_path, monkeypatch, damage):
    from shoprel.training import distill as distill_module

    teacher = shutil.copytree(llm_teacher, tmp_path / "teacher")
    name, harm = DAMAGES[damage]
    broken = teacher / "models" / "full" / "adapter" / name
    said = harm(broken)
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n  params: {n_estimators: 10, n_jobs: 1}\n",
                       encoding="utf-8")
    out = tmp_path / "s"
    _never_loaded(monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(distill_module, "train",
                        lambda *args, **kwargs: pytest.fail("the student was trained"))
        done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                         "--out", str(out), "--quiet"])
    assert (done.exit_code, done.output) == (2, f"error: {broken}: {said}; {MEND}\n")
    assert not out.exists()
    # --speed-rows 0 (and no --unlabeled) loads nothing of the teacher: the student is written
    done = CliRunner().invoke(main, ["distill", str(teacher), "--student", str(student),
                                     "--out", str(out), "--quiet", "--speed-rows", "0"])
    assert done.exit_code == 0, done.output
    assert "speed" not in json.loads((out / "metrics.json").read_text())["distillation"]


def test_an_intact_llm_teacher_passes_the_check_without_its_backbone(llm_teacher,
                                                                     monkeypatch):
    from shoprel.run.folder import Run

    _never_loaded(monkeypatch)
    Run.open(llm_teacher).check_models_load()
