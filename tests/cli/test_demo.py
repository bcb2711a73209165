"""`shoprel demo`: the summary on stdout; its progress (each training's header) and notes on
stderr, which --quiet leaves out with the bars, and its warnings on stderr, which it does not."""

import json

import pytest
from click.testing import CliRunner
from tests.conftest import without_bars

import shoprel.demo
from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.training.config_reading import load_config

# no test here reads a report: its charts are seconds a run (each demo writes one or two)
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_and_notes_are_on_stderr_and_quiet_leaves_them_out(tmp_path, monkeypatch,
                                                                     quiet):
    """The 'not used from DIR' line and each '== QC: training on' header printed on stdout
    among the summary, and under --quiet too."""
    fast = tmp_path / "fast.yaml"
    fast.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                    "n_jobs: 1}}\nfolds: {k: 2}\n")
    monkeypatch.setattr(shoprel.demo, "load_config",
                        lambda path, overrides, **kw: load_config(fast, overrides, **kw))
    lines = demo_file("QC").read_text(encoding="utf-8").splitlines(keepends=True)
    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_text("".join(lines[:60]), encoding="utf-8")
    (data / "dev_QC.txt").write_text("".join(lines[60:80]), encoding="utf-8")
    (data / "readme.txt").write_text("mine\n")
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["demo", "--data", str(data), "--out", str(out),
                                     *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    said = (f"note: not used from {data}: readme.txt (the demo reads train_QC|QI.*, "
            f"dev_QC|QI.*, test_QC|QI.*)\n== QC: training on {data / 'train_QC.txt'}\n\n")
    assert without_bars(done.stderr) == ("" if quiet else said)
    # stderr no terminal: each state of a bar a whole line, no '\r' redraw inside a line
    assert "\r" not in done.stderr
    lines = done.stderr.splitlines()
    assert quiet or all(any(line.startswith(bar) for line in lines) for bar in (
        "QC folds: 2/2 [", "QC final fit (60 rows): 100% [", "scoring: 20 rows [")), lines
    summary = done.stdout.splitlines()  # the result alone
    assert len(summary) == 2, done.stdout
    assert summary[0].startswith("QC cross-validation: F1 ")
    assert summary[1].startswith(f"QC predictions for dev_QC.txt → {out / 'pred_dev_QC.jsonl'} "
                                 "(checked); held-out F1 ")


def test_the_constant_scores_warning_is_on_stderr_even_under_quiet(tmp_path, monkeypatch):
    """It printed on stdout among the summary, as train's did; with both tasks trained, each
    warning names its task (two lines alike, under --quiet without the headers that said
    which)."""
    fast = tmp_path / "fast.yaml"  # the booster alone, too few rows to split: a constant 0.5
    fast.write_text("model: {family: fast, params: {n_features: 4096, n_jobs: 1, "
                    "linear_weight: 0, booster: {n_estimators: 10, min_child_samples: 1000}}}\n"
                    "folds: {k: 2}\n")
    monkeypatch.setattr(shoprel.demo, "load_config",
                        lambda path, overrides, **kw: load_config(fast, overrides, **kw))
    data = tmp_path / "data"
    data.mkdir()
    for task, target in (("QC", "category_path"), ("QI", "item_title")):
        rows = [{"id": 2 * i + label, "language": "en", "origin_query": f"query {2 * i + label}",
                 target: f"top{i},leaf", "label": label}
                for i in range(6) for label in (1, 0)]  # every fold trains on half positives
        (data / f"train_{task}.txt").write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = CliRunner().invoke(main, ["demo", "--data", str(data), "--out", str(tmp_path / "out"),
                                     "--quiet"])
    assert done.exit_code == 0, done.output
    warned = without_bars(done.stderr).splitlines()
    assert [line.split(" is 0.5000: ")[0] for line in warned] == [
        "warning: QC: every out-of-fold probability", "warning: QI: every out-of-fold probability"]
    assert all(line.endswith(": the models learnt nothing that tells these rows apart (too few "
                             "rows, or features that do not separate them), so ROC-AUC is 0.5 "
                             "and F1 is a constant answer's") for line in warned), warned
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == [
        "QC cross-validation", "QI cross-validation"]


def test_demo_help_names_every_format_the_data_folder_may_hold():
    """--data's help named train_QC.txt / train_QI.txt while the demo reads train_QC.* in any
    format shoprel reads (competition_files); the help now says so, with each suffix."""
    from shoprel.data.formats import FORMATS

    done = CliRunner().invoke(main, ["demo", "--help"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())  # as one line, whatever click's wrapping
    assert "train_QC.txt" not in text and "train_QI.txt" not in text
    for name in ("train_QC.*", "train_QI.*", "dev_QC.*", "test_QC.*"):
        assert name in text
    listed = text.split("any format shoprel reads (")[1].split(")")[0].split(", ")
    assert sorted(listed) == sorted(FORMATS) and ".parquet" in listed


def test_demo_help_says_every_format_may_be_compressed_as_the_readers_take_it(tmp_path):
    """The help said 'a text one also compressed', while the readers, and so the demo's
    competition_files, take train_QC.parquet.gz too; it now names the compressions the
    readers open, whatever the format."""
    from shoprel.data.compression import COMPRESSIONS
    from shoprel.demo import competition_files

    (tmp_path / "train_QC.parquet.gz").write_bytes(b"")
    assert [p.name for p in competition_files(tmp_path, "train_QC")] == ["train_QC.parquet.gz"]
    done = CliRunner().invoke(main, ["demo", "--help"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "a text one" not in text and "train_QC.parquet.gz" in text
    listed = text.split("compressed or not (")[1].split(":")[0].split(", ")
    assert sorted(listed) == sorted(COMPRESSIONS)


@pytest.mark.parametrize("quiet", [False, True])
def test_dev_rows_in_languages_the_run_never_saw_are_warned_of_as_predict_warns(
        tmp_path, monkeypatch, quiet):
    """A dev/test file with rows in languages the training file lacks: `shoprel predict` warns
    that the run's cross-validation says nothing about them (even under --quiet); the demo
    predicted the same file and said nothing. The warning now names the file it concerns; a
    test file without rows is refused before any training, as predict refuses it."""
    fast = tmp_path / "fast.yaml"
    fast.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                    "n_jobs: 1}}\nfolds: {k: 2}\n")
    monkeypatch.setattr(shoprel.demo, "load_config",
                        lambda path, overrides, **kw: load_config(fast, overrides, **kw))
    rows = [json.loads(line) for line in demo_file("QC").read_text(encoding="utf-8").splitlines()]
    data = tmp_path / "data"
    data.mkdir()
    (data / "train_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in rows[:60]))
    dev = [{k: v for k, v in r.items() if k != "label"} for r in rows[60:80]]
    for row, tag in zip(dev, ("ar", "sw", "ar"), strict=False):
        row["language"] = tag
    (data / "dev_QC.txt").write_text("".join(json.dumps(r) + "\n" for r in dev))
    (data / "test_QC.csv").write_text("id,language,origin_query,category_path\n")
    refused = CliRunner().invoke(main, ["demo", "--data", str(data), "--out",
                                        str(tmp_path / "out"), *(["--quiet"] if quiet else [])])
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: {data / 'test_QC.csv'}: the file has no rows")
    assert not (tmp_path / "out").exists()
    (data / "test_QC.csv").unlink()
    done = CliRunner().invoke(main, ["demo", "--data", str(data), "--out", str(tmp_path / "out"),
                                     *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    said = [line for line in without_bars(done.stderr).splitlines()
            if line.startswith(("warning:", "note:"))]
    warning = (f"warning: {data / 'dev_QC.txt'}: 3 rows in languages absent from the training "
               "file (ar 2, sw 1): its cross-validation says nothing about them "
               "(docs/measurements-qc.md: Languages never seen in training)")
    assert said == [warning]
    assert len(done.stdout.splitlines()) == 2  # the summary alone: the run, the dev file


def test_a_demo_stopped_after_a_task_says_what_it_kept_and_prints_its_figures(tmp_path,
                                                                              monkeypatch):
    """Stopped while QI trained, the demo said only the general 'interrupted: what this command
    had not finished writing was removed; outputs that were already there are as they were',
    and QC's figures, complete, were never printed: it prints them, names the run and
    predictions kept, and says what running it again does. No half-written run is left, and
    the rerun (the built-in set) trains both."""
    fast = tmp_path / "fast.yaml"
    fast.write_text("model: {family: fast, params: {n_features: 4096, n_estimators: 10, "
                    "n_jobs: 1}}\nfolds: {k: 2}\n")
    monkeypatch.setattr(shoprel.demo, "load_config",
                        lambda path, overrides, **kw: load_config(fast, overrides, **kw))
    trained = shoprel.demo.train

    def stopped_at_qi(train_file, run_dir, *args, **kwargs):
        if run_dir.name == "run_QI":
            raise KeyboardInterrupt  # Ctrl-C (SIGTERM raises it too, exit status 143)
        return trained(train_file, run_dir, *args, **kwargs)

    monkeypatch.setattr(shoprel.demo, "train", stopped_at_qi)
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["demo", "--out", str(out), "--quiet"])
    assert done.exit_code == 130, done.output
    summary = done.stdout.splitlines()
    assert len(summary) == 2 and summary[0].startswith("QC cross-validation: F1 "), summary
    assert summary[1].startswith(f"QC predictions for holdout_QC.jsonl → "
                                 f"{out / 'pred_holdout_QC.jsonl'} (checked); held-out F1 ")
    assert done.stderr.splitlines() == [
        f"interrupted: complete and kept (their summary printed): QC: run {out / 'run_QC'}, "
        f"predictions {out / 'pred_holdout_QC.jsonl'}; what the demo had begun after them was "
        "removed, outputs that were already there are as they were; `shoprel demo` run again "
        "trains every task again"]
    assert (out / "run_QC" / "run.json").is_file() and not (out / "run_QI").exists()
    monkeypatch.setattr(shoprel.demo, "train", trained)
    again = CliRunner().invoke(main, ["demo", "--out", str(out), "--quiet"])
    assert again.exit_code == 0, again.output
    assert len(again.stdout.splitlines()) == 4 and (out / "run_QI" / "run.json").is_file()
