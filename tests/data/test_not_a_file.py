"""An input that is not a regular file is named for what it is, not "file not found"."""

import json
import os

import pytest

import shoprel
from shoprel.data.records import iter_records, not_a_file
from shoprel.demo import demo_file
from shoprel.errors import ConfigError, InputError
from shoprel.training.config_reading import load_config


def test_each_kind_of_non_file_is_named(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "loop_a.txt").symlink_to(tmp_path / "loop_b.txt")
    (tmp_path / "loop_b.txt").symlink_to(tmp_path / "loop_a.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "real.txt").write_text("{}\n")
    expected = {"pipe.txt": "is not a regular file", "loop_a.txt": "leads back to itself",
                "dangling.txt": "is a link to nothing", "none.txt": "file not found",
                ".": "is a folder"}
    for name, reason in expected.items():
        assert reason in not_a_file(tmp_path / name)
        if name == "pipe.txt":  # an input is told what to do instead (tests/data/test_spool.py)
            reason = ("is a pipe or standard input, which only predict, evaluate and "
                      "check-submission")
        with pytest.raises(InputError, match=reason):
            next(iter_records(tmp_path / name))  # a pipe is never opened: nothing blocks
    assert not_a_file(tmp_path / "real.txt") is None


def test_a_config_that_is_a_pipe_or_not_utf8_is_one_line(tmp_path):
    os.mkfifo(tmp_path / "c.yaml")
    with pytest.raises(ConfigError, match="c.yaml: config is not a regular file"):
        load_config(tmp_path / "c.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"model: {family: fast}\nfolds: {k: \xff}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line 2: invalid UTF-8"):
        load_config(bad)
    with pytest.raises(ConfigError, match="missing.yaml: config file not found"):
        load_config(tmp_path / "missing.yaml")


def _run_folder(path, kind="run"):
    """A folder shoprel takes for a run or an ensemble by its manifest (task and threshold)."""
    path.mkdir()
    (path / "run.json").write_text(json.dumps({"kind": kind, "task": "QC", "threshold": 0.5}))
    (path / "oof.parquet").write_bytes(b"")
    return path


def test_a_run_folder_given_for_a_file_is_said_to_be_one_with_the_file_expected(tmp_path):
    """`evaluate RUN gold.jsonl`, read_pairs(RUN), check_submission(RUN, ...) said "is a folder;
    give a file", leaving the user to guess which file; each now says it is a run and what it
    reads there (a run holds no predictions: it is scored into a file first)."""
    run, ens = _run_folder(tmp_path / "run"), _run_folder(tmp_path / "ens", kind="ensemble")
    gold = demo_file("QC")
    for call, said in (
            (lambda: shoprel.evaluate_file(run, gold),
             f"{run}: is a run folder, not a predictions file; score the gold file with the run "
             f"first (shoprel predict {run} {gold} --out predictions.jsonl) and evaluate that "
             "file"),
            (lambda: shoprel.evaluate_file(gold, run),
             f"{run}: is a run folder, not the labelled gold file; give the labelled pairs the "
             "predictions answer as the gold file"),
            (lambda: shoprel.check_submission(run, gold),
             f"{run}: is a run folder, not a submission; write one with the run first (shoprel "
             f"predict {run} {gold} --out submission.jsonl) and check that file"),
            (lambda: shoprel.check_submission(gold, run),
             f"{run}: is a run folder, not the file the submission answers; give the pairs file "
             "predict scored as the input")):
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == said
    for folder, kind in ((run, "a run"), (ens, "an ensemble")):
        with pytest.raises(InputError) as info:
            shoprel.read_pairs(folder)
        assert str(info.value) == (f"{folder}: is {kind} folder, not a pairs file; give a file "
                                   "of pairs (JSON lines, CSV, TSV or Parquet)")
    # a folder that is no run is still said to be a folder
    assert not_a_file(tmp_path) == "is a folder; give a file"


def test_a_run_folder_named_by_a_key_of_no_pairs_file_says_the_file_that_key_reads(tmp_path):
    """noise.flagged and augment.table name a file of ids and a translations table: a run
    folder there was told "not a pairs file; give a file of pairs", a file neither reads."""
    from shoprel.augment.table import TableTranslator
    from shoprel.training.noise_filter import read_flagged_ids

    run = _run_folder(tmp_path / "run")
    with pytest.raises(ConfigError) as info:
        read_flagged_ids(run)
    assert str(info.value) == (f"noise.flagged: {run}: is a run folder, not a file of flagged "
                               "ids; give the file `shoprel noise RUN --out FILE` wrote")
    with pytest.raises(InputError) as info:
        TableTranslator(run)
    assert str(info.value) == (f"{run}: is a run folder, not a translations table; give a file "
                               "of text, source, target and translation columns (JSON lines, "
                               "CSV, TSV or Parquet)")
