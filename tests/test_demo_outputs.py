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
    assert record == {"written_by": "shoprel demo", "files": ["pred_holdout_QC.jsonl"],
                      "runs": []}
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


def nothing_written(out) -> bool:
    return not (out / RECORD).exists() and not (out / "data").exists()


def test_a_users_run_with_a_demo_name_is_never_replaced(tmp_path):
    """A run of the user's at DEMO/run_QC (no demo record): refused before any training."""
    out = tmp_path / "demo"
    (out / "run_QC").mkdir(parents=True)
    (out / "run_QC" / "run.json").write_text("{}")
    with pytest.raises(OutputError, match="run_QC: a run the demo did not train"):
        run_demo(out, progress=False, echo=lambda line: None)
    assert nothing_written(out) and (out / "run_QC" / "run.json").read_text() == "{}"
    files = DemoFiles(out)  # once a demo record lists the run, it is the demo's to replace
    files.claim_run(out / "run_QC")
    DemoFiles(out).check_run(out / "run_QC", out / "data" / "train_QC.jsonl")


def test_every_name_is_checked_before_the_first_write(tmp_path):
    """A user's file the demo would write last is refused before training starts."""
    out = tmp_path / "demo"
    out.mkdir()
    (out / "pred_holdout_QI.jsonl").write_text("mine\n")
    with pytest.raises(OutputError, match="pred_holdout_QI.jsonl: exists"):
        run_demo(out, progress=False, echo=lambda line: None)
    assert nothing_written(out) and not (out / "run_QC").exists()


@pytest.mark.parametrize("where", ["run", "run/sub", "link", "."])
def test_an_out_the_demo_may_not_fill_is_refused_at_once(tmp_path, monkeypatch, where):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="folder shoprel wrote|link to nothing|current folder"):
        run_demo(tmp_path / where, progress=False, echo=lambda line: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "run"]
    assert sorted(p.name for p in run.iterdir()) == ["run.json"]


def test_folds_zero_and_a_data_file_are_refused(tmp_path):
    from shoprel.errors import InputError

    with pytest.raises(ConfigError, match="--folds"):
        run_demo(tmp_path / "d", folds=0, progress=False, echo=lambda line: None)
    (tmp_path / "train_QC.txt").write_text("x")
    with pytest.raises(InputError, match="is a file; --data needs a folder"):
        run_demo(tmp_path / "d", data_dir=tmp_path / "train_QC.txt", progress=False,
                 echo=lambda line: None)
    with pytest.raises(InputError, match="folder not found"):
        run_demo(tmp_path / "d", data_dir=tmp_path / "none", progress=False,
                 echo=lambda line: None)
    assert not (tmp_path / "d").exists()


def test_data_folder_files_are_the_competitions_own_names(tmp_path):
    """train_QC.en.jsonl (what `translate` writes) is not train_QC; two formats of one name
    are refused before anything is written (either could be meant, and both would predict
    into one output)."""
    from shoprel.demo import competition_files
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    for name in ("train_QC.txt", "train_QC.en.jsonl", "train_QC.langid.jsonl", "dev_QC.txt"):
        (data / name).write_text("{}\n")
    assert [p.name for p in competition_files(data, "train_QC")] == ["train_QC.txt"]
    assert competition_files(data, "train_QI") == []
    (data / "dev_QC.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match="holds dev_QC.jsonl and dev_QC.txt: which dev_QC"):
        run_demo(tmp_path / "out", data, progress=False, echo=lambda line: None)
    assert not (tmp_path / "out").exists()
