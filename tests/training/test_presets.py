"""The presets ship inside the package and are named alone from anywhere (`--config fast`);
the checkout's configs/ is the packaged folder, not a copy that could drift from it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.errors import ConfigError
from shoprel.training.config_reading import load_config
from shoprel.training.presets import PRESETS_DIR, preset_names

REPO = Path(__file__).resolve().parents[2]


def test_the_checkouts_configs_folder_is_the_packaged_one():
    assert (REPO / "configs").resolve() == PRESETS_DIR
    assert PRESETS_DIR.parent == REPO / "src" / "shoprel"
    assert {"fast", "biencoder", "embed-use", "cross-e5-small"} <= set(preset_names())


def test_the_package_data_ships_every_preset():
    """pyproject's package-data globs are what a wheel holds: every preset file matches one."""
    import tomllib

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["shoprel"]
    files = [p.relative_to(PRESETS_DIR.parent) for p in PRESETS_DIR.rglob("*.yaml")]
    assert files and all(any(f.match(glob) for glob in globs) for f in files)


@pytest.mark.parametrize("name", ["fast", "biencoder", "biencoder.yaml", "embed-use"])
def test_a_preset_named_alone_loads_as_the_repositorys_file_does(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)  # outside the checkout: no configs/ here
    stem = name.removesuffix(".yaml")
    assert load_config(name) == load_config(REPO / "configs" / f"{stem}.yaml")


def test_a_file_of_a_presets_name_here_is_read_not_the_preset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast").write_text("model: {family: biencoder}\n")
    assert load_config("fast").model.family == "biencoder"


def test_a_missing_config_names_the_presets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("configs/fast.yaml")  # a path stays a path
    text = str(info.value)
    assert text.startswith("configs/fast.yaml: config file not found; ")
    assert all(name in text for name in preset_names()) and "\n" not in text
    with pytest.raises(ConfigError, match="nope: config file not found; a preset"):
        load_config("nope")


def test_train_takes_a_preset_by_name_outside_the_checkout(qc_demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", "run", "--config", "fast",
                                     "--folds", "2", "--no-student", "--quiet"])
    assert done.exit_code == 0, done.output
    assert "family: fast" in (tmp_path / "run" / "config.yaml").read_text()


def test_only_a_bare_name_is_a_preset_whose_folds_an_option_changes(tmp_path, monkeypatch):
    """train's small-folds note names `folds.k: 2 in FILE` for a file the user wrote, and
    --folds for a preset named alone: the package's file is not theirs to edit."""
    from shoprel.training.presets import names_preset

    monkeypatch.chdir(tmp_path)
    assert names_preset("biencoder") and names_preset("fast.yaml")
    assert not names_preset(REPO / "configs" / "biencoder.yaml")
    assert not names_preset("nope")
    (tmp_path / "fast").write_text("{}\n")
    assert not names_preset("fast")
