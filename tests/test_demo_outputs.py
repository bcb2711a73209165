"""The demo writes into a folder of the user's choosing: it replaces its own files on a rerun,
never a file of the user's, and checks its options before it writes anything."""

import json

import pytest

from shoprel.demo import RECORD, DemoFiles, demo_file, run_demo
from shoprel.errors import ConfigError, OutputError
from shoprel.run.folder import Run
from shoprel.run.layout import REPORT
from shoprel.run.writer import RunWriter

# no test here reads a report: its charts are seconds a run (report.html is still written)
pytestmark = pytest.mark.usefixtures("no_report_charts")


def trains_fast(monkeypatch, **settings):
    """Make the demo train a small fast model (FAST_TEST_PARAMS and `settings`) whatever config
    it passes: seconds, not the default model's minutes. Returns (train, that config)."""
    from tests.conftest import FAST_TEST_PARAMS

    import shoprel.demo as demo
    from shoprel.training.config_reading import load_config

    train = demo.train
    fast = load_config(None, {**FAST_TEST_PARAMS, "student": None, "model.params.n_jobs": 1,
                              **settings})
    monkeypatch.setattr(demo, "train", lambda train_file, run_dir, config, **kwargs: train(
        train_file, run_dir, fast, **kwargs))
    return train, fast


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
    first = tmp_path / "pred_holdout_QC.jsonl"
    files.check(first)
    first.write_text("old run\n")
    files.record(first)
    again = DemoFiles(tmp_path)  # a rerun reads the record
    again.check(first)
    record = json.loads((tmp_path / RECORD).read_text())
    assert record["written_by"] == "shoprel demo" and record["runs"] == {}
    assert list(record["files"]) == ["pred_holdout_QC.jsonl"]
    (tmp_path / "pred_dev_QI.jsonl").write_text("the user's\n")
    with pytest.raises(OutputError, match="pred_dev_QI.jsonl: exists"):
        again.check(tmp_path / "pred_dev_QI.jsonl")
    first.write_text("the user's own, saved over the demo's\n")
    with pytest.raises(OutputError, match="pred_holdout_QC.jsonl: exists and the demo did not "
                                          r"write it \(or it changed since\)"):
        DemoFiles(tmp_path).check(first)


def _run(folder, created):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps({"created": created}))


def test_a_run_put_where_a_stopped_demo_would_have_trained_is_the_users(tmp_path, monkeypatch):
    """A stopped demo records nothing (its writes are atomic), so a run the user trains there
    afterwards is refused on the next demo; the demo's own run, with work added, is not."""
    monkeypatch.setattr(Run, "read", classmethod(
        lambda cls, path: type("R", (), {"manifest": json.loads(
            (path / "run.json").read_text())})()))
    out = tmp_path / "demo"
    files = DemoFiles(out)
    files.check_run(out / "run_QC", out / "data" / "train_QC.jsonl")  # nothing there yet
    _run(out / "run_QC", "2026-12-02T10:00:00")
    files.record_run(out / "run_QC")
    (out / "run_QC" / "index").mkdir()  # `shoprel index` into the demo's run: still its own
    DemoFiles(out).check_run(out / "run_QC", out / "data" / "train_QC.jsonl")
    _run(out / "run_QC", "2026-12-02T11:00:00")  # the user's run trained there since
    with pytest.raises(OutputError, match="a run the demo did not train"):
        DemoFiles(out).check_run(out / "run_QC", out / "data" / "train_QC.jsonl")
    _run(out / "run_QI", "2026-12-02T11:00:00")  # never recorded by the demo
    with pytest.raises(OutputError, match="run_QI: a run the demo did not train"):
        DemoFiles(out).check_run(out / "run_QI", out / "data" / "train_QI.jsonl")


def test_a_run_an_older_demo_listed_before_training_is_judged_by_its_train_file(tmp_path):
    """Older records listed a run before training it, so a stopped demo left the name listed:
    such a run is the demo's only if it was trained on the demo's file."""
    out = tmp_path / "demo"
    out.mkdir()
    (out / RECORD).write_text(json.dumps({"written_by": "shoprel demo", "files": [],
                                          "runs": ["run_QC"]}))
    (out / "run_QC").mkdir()
    (out / "run_QC" / "run.json").write_text("{}")  # not a run the demo trained
    with pytest.raises(OutputError, match="a run the demo did not train"):
        DemoFiles(out).check_run(out / "run_QC", out / "data" / "train_QC.jsonl")


def test_a_demo_folder_of_an_older_shoprel_is_rerun(tmp_path):
    """Its runs are there and no record: the files with the demo's names holding rows of the
    built-in set are the demo's."""
    demo_rows = demo_file("QC").read_text(encoding="utf-8").splitlines()
    (tmp_path / "run_QC").mkdir()
    (tmp_path / "run_QC" / "run.json").write_text("{}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train_QC.jsonl").write_text("\n".join(demo_rows[:40]) + "\n")
    (tmp_path / "pred_holdout_QC.jsonl").write_text("".join(
        json.dumps({**json.loads(row), "prediction": 1, "probability": 0.9}) + "\n"
        for row in demo_rows[40:50]))
    (tmp_path / "notes.jsonl").write_text("the user's\n")
    files = DemoFiles(tmp_path)
    files.check(tmp_path / "data" / "train_QC.jsonl")
    files.check(tmp_path / "pred_holdout_QC.jsonl")
    with pytest.raises(OutputError, match="notes.jsonl: exists"):
        files.check(tmp_path / "notes.jsonl")
    assert DemoFiles(tmp_path / "data").written == {}  # no runs there: nothing is the demo's


def test_a_users_own_data_and_run_with_an_older_demos_names_are_theirs(tmp_path):
    """A user's data/train_QC.jsonl and a run_QC they trained on it, in the folder given as
    --out: no record, names as an older demo's, but rows not of the built-in set. The demo
    replaced both (its split over their file, its run over theirs)."""
    from tests.conftest import FAST_TEST_PARAMS

    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:120]]
    mine = tmp_path / "data" / "train_QC.jsonl"
    mine.parent.mkdir()
    mine.write_text("".join(json.dumps({**r, "origin_query": "my " + r["origin_query"]}) + "\n"
                            for r in rows))
    # any run trained on the file will do: 2 folds of 10 trees
    train(mine, tmp_path / "run_QC", load_config(None, {
        **FAST_TEST_PARAMS, "folds.k": 2, "model.params.n_estimators": 10,
        "model.params.n_jobs": 1}), progress=False)
    files = DemoFiles(tmp_path)
    with pytest.raises(OutputError, match="train_QC.jsonl: exists and the demo did not write"):
        files.check(mine)
    with pytest.raises(OutputError, match="run_QC: a run the demo did not train"):
        files.check_run(tmp_path / "run_QC", mine)


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


def test_data_files_are_checked_before_training_and_unused_ones_named(tmp_path, qc_demo):
    """A test file of the wrong task fails before minutes of training; files the demo leaves
    alone are named, and a folder without a training file says what it holds."""
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_bytes(qc_demo.read_bytes())
    (data / "test_QC.txt").write_text(json.dumps({"id": 1, "origin_query": "drill",
                                                  "item_title": "cordless drill"}) + "\n")
    (data / "dev_QI.txt").write_text("{}\n")
    (data / "test_QC_v2.txt").write_text("{}\n")
    said = []
    with pytest.raises(InputError, match=r"test_QC.txt, line 1, field 'category_path'"):
        run_demo(tmp_path / "out", data, progress=False, echo=said.append)
    assert not (tmp_path / "out" / "run_QC").exists()
    assert said == [f"note: not used from {data}: dev_QI.txt (no train_QI.* to train on), "
                    "test_QC_v2.txt (the demo reads train_QC|QI.*, dev_QC|QI.*, test_QC|QI.*)"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "Train_QC.txt").write_text("{}\n")
    with pytest.raises(InputError, match=r"no train_QC.\* or train_QI.\* file \(names are "
                                         r"case-sensitive; .*\); it holds Train_QC.txt$"):
        run_demo(tmp_path / "out2", other, progress=False, echo=said.append)


@pytest.mark.parametrize("linked", ["out", "data"])
def test_a_demo_folder_named_by_a_symbolic_link_is_refused(tmp_path, linked):
    """The demo wrote its files wherever a link at --out or DEMO/data led, into a folder of
    the user's. (A user's file it would write last makes a regression fail before training.)"""
    mine = tmp_path / "mine"
    mine.mkdir()
    out = tmp_path / "demo"
    if linked == "out":
        out.symlink_to(mine)
        where = out
    else:
        out.mkdir()
        where = out / "data"
        where.symlink_to(mine)
    last = out / "pred_holdout_QI.jsonl"
    last.write_text("the user's\n")
    with pytest.raises(OutputError) as info:
        run_demo(out, progress=False, echo=lambda line: None)
    assert str(info.value) == (f"{where}: is a symbolic link (to {mine}); give the real folder "
                               "or another path")
    assert where.is_symlink() and last.read_text() == "the user's\n"
    assert sorted(p.name for p in mine.iterdir()) == (["pred_holdout_QI.jsonl"]
                                                      if linked == "out" else [])
    assert not (out / RECORD).exists() and not (out / "run_QC").exists()


def test_a_demo_stopped_between_its_data_files_is_rerun(tmp_path, monkeypatch):
    """Ctrl-C after the demo wrote data/train_QC.jsonl but before the holdout: the rerun said
    the train file 'exists and the demo did not write it'; now each file is recorded as soon
    as it is written, and the rerun goes on to train."""
    import shoprel.demo as demo

    write_table = demo.write_table

    def stopped_at_the_holdout(table, path):
        if path.name.startswith("holdout_"):
            raise KeyboardInterrupt
        return write_table(table, path)

    class Training(Exception):
        pass

    def training(train_file, run_dir, *args, **kwargs):
        raise Training(train_file)

    out = tmp_path / "demo"
    monkeypatch.setattr(demo, "write_table", stopped_at_the_holdout)
    with pytest.raises(KeyboardInterrupt):
        run_demo(out, progress=False, echo=lambda line: None)
    assert sorted(p.name for p in (out / "data").iterdir()) == ["train_QC.jsonl"]
    monkeypatch.setattr(demo, "write_table", write_table)
    monkeypatch.setattr(demo, "train", training)  # the rerun gets as far as training
    with pytest.raises(Training, match="train_QC.jsonl"):
        run_demo(out, progress=False, echo=lambda line: None)
    assert sorted(json.loads((out / RECORD).read_text())["files"]) == [
        "data/holdout_QC.jsonl", "data/train_QC.jsonl"]


def test_a_demo_record_stopped_while_written_keeps_the_last_one(tmp_path, monkeypatch):
    """The record was written in place: stopped mid-write, it was left cut short, and the
    rerun refused every file the demo had written as not its own; now it is replaced whole."""
    import pathlib

    files = DemoFiles(tmp_path)
    first = tmp_path / "pred_holdout_QC.jsonl"
    first.write_text("the demo's\n")
    files.record(first)
    write_text = pathlib.Path.write_text

    def cut_short(self, text, *args, **kwargs):
        write_text(self, text[:len(text) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    second = tmp_path / "pred_holdout_QI.jsonl"
    second.write_text("the demo's too\n")
    monkeypatch.setattr(pathlib.Path, "write_text", cut_short)
    with pytest.raises(KeyboardInterrupt):
        files.record(second)
    monkeypatch.undo()
    DemoFiles(tmp_path).check(first)  # still the demo's: no OutputError
    assert list(json.loads((tmp_path / RECORD).read_text())["files"]) == [first.name]


def test_a_data_folder_trains_its_tasks_and_predicts_its_dev_files(tmp_path, monkeypatch):
    """--data: each task with a train file is trained (here QC alone), its dev/test files
    predicted into the demo's folder and named in the summary; the model is a fast one (the
    built-in default's demo: tests/cli/test_main.py)."""
    trains_fast(monkeypatch, **{"folds.k": 3, "data.task": "QC"})
    folder = tmp_path / "comp"
    folder.mkdir()
    (folder / "train_QC.txt").write_bytes(demo_file("QC").read_bytes())
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()][:40]
    (folder / "dev_QC.txt").write_text("".join(
        json.dumps({k: v for k, v in r.items() if k != "label"}) + "\n" for r in rows))
    out = "\n".join(run_demo(tmp_path / "demo", folder, folds=3, progress=False,
                             echo=lambda line: None))
    assert "QC cross-validation: F1" in out
    assert "QI" not in out and "dev_QC.txt" in out
    assert len((tmp_path / "demo" / "pred_dev_QC.jsonl").read_text().splitlines()) == 40
    assert (tmp_path / "demo" / "run_QC" / "report.html").is_file()
    assert not (tmp_path / "demo" / "run_QI").exists()


def test_a_data_demo_rerun_replaces_its_runs_only_with_overwrite(tmp_path, monkeypatch):
    """`demo --data DIR --out X` replaced the run (hours on the competition's files) and the
    predictions an earlier demo wrote in X without a word, where `train --out` refuses an
    existing run: it now says so in train's line, and --overwrite replaces them (the built-in
    demo still replaces its own: test_a_demo_stopped_before_recording_its_run_is_rerun)."""
    from click.testing import CliRunner

    import shoprel.demo as demo
    from shoprel.cli import main

    class Training(Exception):
        pass

    def training(train_file, run_dir, *args, **kwargs):
        raise Training(run_dir)

    def no_report(self, metrics, oof):  # seconds of charts this test does not read
        return (self.path / REPORT).write_text("", encoding="utf-8")

    monkeypatch.setattr(RunWriter, "report", no_report)
    trains_fast(monkeypatch, **{"folds.k": 2, "model.params.n_estimators": 10})
    folder, out = tmp_path / "comp", tmp_path / "mine"
    folder.mkdir()
    (folder / "train_QC.txt").write_bytes(demo_file("QC").read_bytes())
    (folder / "dev_QC.txt").write_bytes(demo_file("QC").read_bytes())
    run_demo(out, folder, progress=False, echo=lambda line: None)
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    args = ["demo", "--data", str(folder), "--out", str(out), "--quiet"]
    done = CliRunner().invoke(main, args)
    assert (done.exit_code, done.output) == (
        2, f"error: {out / 'run_QC'} already exists (use --overwrite to replace it)\n")
    (out / "run_QC").rename(tmp_path / "moved")  # the predictions alone are refused too
    done = CliRunner().invoke(main, args)
    assert done.output == (f"error: {out / 'pred_dev_QC.jsonl'} already exists (use "
                           "--overwrite to replace it)\n")
    (tmp_path / "moved").rename(out / "run_QC")
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    monkeypatch.setattr(demo, "train", training)  # the rerun gets as far as training
    done = CliRunner().invoke(main, [*args, "--overwrite"])
    assert isinstance(done.exception, Training), done.output


def test_a_demo_stopped_before_recording_its_run_is_rerun(tmp_path, monkeypatch):
    """Ctrl-C after train moved run_QC into place but before the demo recorded it: the rerun
    refused run_QC as 'a run the demo did not train'. Its stamp now says it was written for
    the demo's folder, so the rerun goes on; a run the user trains there is still refused."""
    import shoprel.demo as demo

    record_run = DemoFiles.record_run

    def stopped(self, run_dir):
        raise KeyboardInterrupt

    class Training(Exception):
        pass

    def training(train_file, run_dir, *args, **kwargs):
        raise Training(run_dir)

    out = tmp_path / "demo"
    train, fast = trains_fast(monkeypatch, **{"folds.k": 2, "model.params.n_estimators": 10})
    monkeypatch.setattr(DemoFiles, "record_run", stopped)
    with pytest.raises(KeyboardInterrupt):
        run_demo(out, progress=False, echo=lambda line: None)
    assert (out / "run_QC" / "run.json").is_file()
    assert json.loads((out / RECORD).read_text())["runs"] == {}
    monkeypatch.setattr(demo, "train", training)  # the rerun gets as far as training
    monkeypatch.setattr(DemoFiles, "record_run", record_run)
    with pytest.raises(Training, match="run_QC"):
        run_demo(out, progress=False, echo=lambda line: None)
    train(out / "data" / "train_QC.jsonl", out / "run_QC", fast, overwrite=True,
          progress=False)  # the user's own run, trained over the demo's
    with pytest.raises(OutputError, match="run_QC: a run the demo did not train"):
        run_demo(out, progress=False, echo=lambda line: None)


def test_a_data_folder_of_compressed_files_is_read_and_predicted_by_their_names(tmp_path):
    """train_QC.txt.gz was 'not a format it reads' (and no train_QC.* was found), though every
    command reads it: it is train_QC, dev_QC.txt.gz predicts into pred_dev_QC.jsonl (checked
    before any training: a user's file there is kept), a translation's copy stays unused."""
    import gzip

    from shoprel.demo import competition_files
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    for name in ("train_QC.txt.gz", "train_QC.en.jsonl.gz", "dev_QC.txt.gz"):
        (data / name).write_bytes(gzip.compress(demo_file("QC").read_bytes()))
    assert [p.name for p in competition_files(data, "train_QC")] == ["train_QC.txt.gz"]
    out = tmp_path / "out"
    out.mkdir()
    (out / "pred_dev_QC.jsonl").write_text("mine\n")
    with pytest.raises(OutputError, match="pred_dev_QC.jsonl: exists and the demo did not"):
        run_demo(out, data, progress=False, echo=lambda line: None)
    assert (out / "pred_dev_QC.jsonl").read_text() == "mine\n"
    (out / "pred_dev_QC.jsonl").unlink()
    (data / "dev_QC.txt.gz").write_bytes(gzip.compress(json.dumps(
        {"id": 1, "origin_query": "drill", "item_title": "cordless drill"}).encode()))
    (data / "test_QC.csv.zst").write_bytes(b"")
    said = []
    with pytest.raises(InputError, match=r"dev_QC.txt.gz, line 1, field 'category_path'"):
        run_demo(out, data, progress=False, echo=said.append)  # checked before training
    assert said == [f"note: not used from {data}: test_QC.csv.zst (not a format it reads), "
                    "train_QC.en.jsonl.gz (the demo reads train_QC|QI.*, dev_QC|QI.*, "
                    "test_QC|QI.*)"]


def test_a_test_file_whose_label_column_is_empty_is_predicted_not_refused(tmp_path, monkeypatch):
    """A competition's test file may carry its label column empty ("label": null, an empty CSV
    cell): `predict` scores it, but the demo read its labels and refused it before training
    ("label must be 0 or 1, got null"). Now it is predicted and not evaluated; a dev file with
    labels beside it is still evaluated, and one with a label missing on a row is refused at
    that line before training."""
    import pandas as pd

    from shoprel.errors import InputError

    trains_fast(monkeypatch, **{"folds.k": 2, "data.task": "QC"})
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()]
    folder = tmp_path / "comp"
    folder.mkdir()
    (folder / "train_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in rows[:120]))
    (folder / "dev_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in rows[120:150]))
    (folder / "test_QC.txt").write_text("".join(
        json.dumps({**r, "label": None}) + "\n" for r in rows[150:170]))
    (folder / "test_QI.csv").write_text("id,language,origin_query,item_title,label\n"
                                        "1,en,drill,cordless drill,\n")  # no train_QI: unused
    out = run_demo(tmp_path / "demo", folder, folds=2, progress=False, echo=lambda line: None)
    dev, test = out[1], out[2]
    assert dev.startswith("QC predictions for dev_QC.txt") and "held-out F1" in dev
    assert test == (f"QC predictions for test_QC.txt → {tmp_path / 'demo' / 'pred_test_QC.jsonl'}"
                    " (checked)")
    assert len((tmp_path / "demo" / "pred_test_QC.jsonl").read_text().splitlines()) == 20
    (folder / "test_QC.txt").unlink()
    pd.DataFrame(rows[150:170]).assign(label="").to_csv(folder / "test_QC.csv", index=False)
    out = run_demo(tmp_path / "demo2", folder, folds=2, progress=False, echo=lambda line: None)
    assert out[2].startswith("QC predictions for test_QC.csv")
    assert out[2].endswith("pred_test_QC.jsonl (checked)")
    (folder / "dev_QC.txt").write_text("".join(
        json.dumps({**r, "label": None if i == 3 else r["label"]}) + "\n"
        for i, r in enumerate(rows[120:150])))
    with pytest.raises(InputError, match=r"dev_QC.txt, line 4, field 'label': label must be 0 "
                                         "or 1, got null"):
        run_demo(tmp_path / "demo3", folder, folds=2, progress=False, echo=lambda line: None)
    assert not (tmp_path / "demo3" / "run_QC").exists()


def test_an_empty_training_file_is_told_so_before_anything_is_written(tmp_path):
    """A train_QC.txt cut to nothing (a failed download) was refused by the folds as
    "field 'label': folds need labelled rows", after the demo's checks had passed it."""
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_text("")
    with pytest.raises(InputError, match=r"train_QC.txt: the file has no rows$"):
        run_demo(tmp_path / "out", data, progress=False, echo=lambda line: None)
    assert not (tmp_path / "out").exists()


def test_a_dev_file_with_labels_on_later_rows_only_says_why_it_is_not_evaluated(tmp_path,
                                                                                monkeypatch):
    """The first row without a label: predict and evaluate read no labels (evaluate refuses
    the file), and the demo predicted it without a word on why it has no F1."""
    trains_fast(monkeypatch, **{"folds.k": 2, "data.task": "QC"})
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()]
    folder = tmp_path / "comp"
    folder.mkdir()
    (folder / "train_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in rows[:120]))
    dev = [{k: v for k, v in r.items() if k != "label" or i > 1}
           for i, r in enumerate(rows[120:130])]
    (folder / "dev_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in dev))
    out = run_demo(tmp_path / "demo", folder, folds=2, progress=False, echo=lambda line: None)
    assert out[1] == (f"QC predictions for dev_QC.txt → {tmp_path / 'demo' / 'pred_dev_QC.jsonl'}"
                      " (checked); not evaluated: its first row (line 1) has no label, line 3 "
                      "has one; evaluate needs a label on every row")


def test_a_pipe_or_a_link_to_nothing_in_the_data_folder_is_refused_or_named(tmp_path):
    """A named pipe or a broken link called dev_QC.txt was skipped without a word: neither
    predicted nor in the 'not used' note. One the demo would read is refused as a file it
    cannot read is, before training (a pipe would also hang the demo's first read); any other
    is named in the note, with what it is."""
    import os
    import re

    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_text("{}\n")
    dev = data / "dev_QC.txt"
    os.mkfifo(dev)
    with pytest.raises(InputError, match=re.escape(f"{dev}: is a named pipe; the demo reads "
                                                   "regular files")):
        run_demo(tmp_path / "out", data, progress=False, echo=lambda line: None)
    dev.unlink()
    dev.symlink_to(tmp_path / "gone.txt")
    with pytest.raises(InputError, match=re.escape(f"{dev}: is a link to nothing")):
        run_demo(tmp_path / "out", data, progress=False, echo=lambda line: None)
    dev.unlink()
    os.mkfifo(data / "dev_QI.txt")
    (data / "test_QI.txt").symlink_to(tmp_path / "gone.txt")
    said = []
    with pytest.raises(InputError, match="train_QC.txt, line 1"):  # read after the note
        run_demo(tmp_path / "out", data, progress=False, echo=said.append)
    assert said == [f"note: not used from {data}: dev_QI.txt (a named pipe), test_QI.txt (a "
                    "link to nothing) (the demo reads train_QC|QI.*, dev_QC|QI.*, test_QC|QI.*)"]
    assert not (tmp_path / "out").exists()


def test_a_spreadsheet_left_in_the_data_folder_is_named_as_the_readers_name_it(tmp_path):
    """train_QC.v2.xlsx beside the train file was noted 'not a format it reads', where every
    reader names a spreadsheet and says to save it as CSV: the note now says the same."""
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_text("")  # stops the demo after its notes
    (data / "train_QC.v2.xlsx").write_bytes(b"PK\x03\x04")
    (data / "dev_QC.old.ods").write_bytes(b"PK\x03\x04")
    said = []
    with pytest.raises(InputError, match=r"train_QC.txt: the file has no rows$"):
        run_demo(tmp_path / "out", data, progress=False, echo=said.append)
    saved = ("which shoprel does not read; save (or export) the sheet as CSV in UTF-8, the "
             "column names in its first row")
    assert said == [f"note: not used from {data}: dev_QC.old.ods (a spreadsheet (.ods), {saved}), "
                    f"train_QC.v2.xlsx (a spreadsheet (.xlsx), {saved}) (the demo reads "
                    "train_QC|QI.*, dev_QC|QI.*, test_QC|QI.*)"]


def test_a_spreadsheet_beside_its_csv_is_left_alone_not_a_rival(tmp_path):
    """train_QC.xlsx saved as train_QC.csv, as every reader asks of a spreadsheet, was refused:
    'holds train_QC.csv and train_QC.xlsx: which train_QC is meant?'. The spreadsheet, which
    nothing reads, is noted unused and the CSV is read; two readable formats are still refused."""
    from shoprel.demo import competition_files
    from shoprel.errors import InputError

    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.csv").write_text("")  # stops the demo after its notes
    (data / "train_QC.xlsx").write_bytes(b"PK\x03\x04")
    assert [p.name for p in competition_files(data, "train_QC")] == ["train_QC.csv"]
    said = []
    with pytest.raises(InputError, match=r"train_QC.csv: the file has no rows$"):
        run_demo(tmp_path / "out", data, progress=False, echo=said.append)
    assert said == [f"note: not used from {data}: train_QC.xlsx (a spreadsheet (.xlsx), which "
                    "shoprel does not read; save (or export) the sheet as CSV in UTF-8, the "
                    "column names in its first row) (the demo reads train_QC|QI.*, dev_QC|QI.*, "
                    "test_QC|QI.*)"]
    (data / "train_QC.csv").unlink()
    assert [p.name for p in competition_files(data, "train_QC")] == ["train_QC.xlsx"]
    (data / "train_QC.txt").write_text("")
    (data / "train_QC.csv").write_text("")
    with pytest.raises(InputError, match="holds train_QC.csv and train_QC.txt: which train_QC"):
        competition_files(data, "train_QC")
