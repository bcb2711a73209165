"""The demo writes into a folder of the user's choosing: it replaces its own files on a rerun,
never a file of the user's, and checks its options before it writes anything."""

import json

import pytest

from shoprel.demo import RECORD, DemoFiles, run_demo
from shoprel.errors import ConfigError, OutputError


def test_a_users_file_with_a_demo_name_is_never_replaced(tmp_path):
    out = tmp_path / "demo"
    (out / "data").mkdir(parents=True)
    mine = out / "data" / "train_QC.jsonl"
    mine.write_text("mine\n")
    with pytest.raises(OutputError, match="train_QC.jsonl: exists and the demo did not write"):
        run_demo(out, progress=False, echo=lambda line: None)
    assert mine.read_text() == "mine\n"
    assert not (out / "run_QC").exists()


def test_bad_options_are_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "demo"
    with pytest.raises(ConfigError, match="--folds"):
        run_demo(out, folds=1, progress=False, echo=lambda line: None)
    assert not out.exists()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="afile: is a file"):
        run_demo(tmp_path / "afile", progress=False, echo=lambda line: None)


def test_the_demo_replaces_what_it_wrote_itself(tmp_path):
    files = DemoFiles(tmp_path)
    first = files.claim(tmp_path / "pred_holdout_QC.jsonl")
    first.write_text("old run\n")
    again = DemoFiles(tmp_path)  # a rerun reads the record
    assert again.claim(first) == first
    record = json.loads((tmp_path / RECORD).read_text())
    assert record == {"written_by": "shoprel demo", "files": ["pred_holdout_QC.jsonl"]}
    (tmp_path / "pred_dev_QI.jsonl").write_text("the user's\n")
    with pytest.raises(OutputError, match="pred_dev_QI.jsonl: exists"):
        again.claim(tmp_path / "pred_dev_QI.jsonl")


def test_a_demo_folder_of_an_older_shoprel_is_rerun(tmp_path):
    """Its runs are there and no record: the files with the demo's names are the demo's."""
    (tmp_path / "run_QC").mkdir()
    (tmp_path / "run_QC" / "run.json").write_text("{}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train_QC.jsonl").write_text("old demo rows\n")
    (tmp_path / "pred_holdout_QC.jsonl").write_text("old predictions\n")
    (tmp_path / "notes.jsonl").write_text("the user's\n")
    files = DemoFiles(tmp_path)
    assert files.claim(tmp_path / "data" / "train_QC.jsonl")
    assert files.claim(tmp_path / "pred_holdout_QC.jsonl")
    (tmp_path / "data" / "holdout_QC.txt").write_text("the user's\n")
    with pytest.raises(OutputError, match="notes.jsonl: exists"):
        files.claim(tmp_path / "notes.jsonl")
    assert DemoFiles(tmp_path / "data").written == set()  # no runs there: nothing is the demo's
