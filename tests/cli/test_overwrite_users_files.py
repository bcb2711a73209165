"""`shoprel train --overwrite` replacing a run that holds a file the user put there: refused
before any work, the run left byte for byte as it was (output_stamp.check_replaceable)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.utils.shoprel_folders import STAMP

# no test here reads a report: its charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The fast family (configs/fast.yaml's model), small: its run holds the same files (the
    folds' and the full model's, stacked) as the preset's, in a second rather than five."""
    config = tmp_path_factory.mktemp("config") / "small.yaml"
    config.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                      "n_jobs: 1}}\n")
    return config


def _train(run: Path, config: Path, *extra: str):
    return CliRunner().invoke(main, ["train", str(demo_file("QC")), "--config", str(config),
                                     "--folds", "3", "--out", str(run), "--quiet", *extra])


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(run: Path, config: Path, user_file: str) -> None:
    """--overwrite stops in one line naming the user's file, and changes nothing."""
    before = _tree(run)
    done = _train(run, config, "--overwrite")
    assert done.exit_code != 0
    assert done.stderr == (f"error: {run}: holds {user_file}, which shoprel did not write "
                           "there; --overwrite would delete it: move it away or choose another "
                           "folder\n")
    assert _tree(run) == before
    assert sorted(p.name for p in run.parent.iterdir()) == [run.name]  # no temporary left


@pytest.mark.parametrize("user_file", ["models/notes.txt", "models/full/tuned.txt",
                                       "models/fold_1/fast/mine.json", "models/mine/a.txt"])
def test_an_unstamped_older_run_keeps_a_users_file_below_its_top_level(tmp_path, small,
                                                                      user_file):
    """A run written before shoprel stamped its outputs has no list of its files: its
    subfolders were replaced whole, a user's notes in models/ with them. What older shoprel
    wrote there (the fast family's files, as it writes them still) is replaced as before."""
    run = tmp_path / "run"
    assert _train(run, small).exit_code == 0
    (run / STAMP).unlink()  # as an older shoprel left it
    done = _train(run, small, "--overwrite")
    assert done.exit_code == 0, done.output
    (run / STAMP).unlink()
    (run / user_file).parent.mkdir(parents=True, exist_ok=True)
    (run / user_file).write_bytes(b"the user's \x00 notes\n")
    _refused(run, small, user_file)
    assert (run / user_file).read_bytes() == b"the user's \x00 notes\n"


@pytest.mark.parametrize("user_file", ["notes.txt", "old/model.onnx"])
def test_a_users_file_in_a_models_onnx_export_is_kept(tmp_path, small, user_file):
    """`shoprel export` adds RUN/models/M/onnx after the run's stamp and records it there as
    its own (add_to_stamp, as export_run does); everything in it was taken for the export's,
    a user's file dropped beside the graphs with it. The export's own files are replaced."""
    from shoprel.utils.atomic import add_to_stamp

    run = tmp_path / "run"
    assert _train(run, small).exit_code == 0
    export = run / "models" / "full" / "onnx"
    export.mkdir()
    for name in ("model.onnx", "model.int8.onnx", "export.json"):
        (export / name).write_text("{}")
    add_to_stamp(run, "models/full/onnx")
    done = _train(run, small, "--overwrite")
    assert done.exit_code == 0, done.output
    assert not export.exists()  # the run was replaced, its export with it
    export.mkdir()
    (export / "model.onnx").write_text("graph")
    add_to_stamp(run, "models/full/onnx")
    (export / user_file).parent.mkdir(exist_ok=True)
    (export / user_file).write_bytes(b"the user's \x00 graph\n")
    _refused(run, small, f"models/full/onnx/{user_file}")
    assert (export / user_file).read_bytes() == b"the user's \x00 graph\n"
