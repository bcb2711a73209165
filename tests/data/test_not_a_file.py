"""An input that is not a regular file is named for what it is, not "file not found"."""

import os

import pytest

from shoprel.data.records import iter_records, not_a_file
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
