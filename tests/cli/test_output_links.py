"""Every command that writes a folder refuses one named by a symbolic link, in one line, and
leaves the link and what it leads to as they were (with --overwrite a run through a link
replaced the link with a new folder; index and demo wrote wherever it led)."""

import json

import pytest
from click.testing import CliRunner
from tests.evaluate.fake_runs import make_run, rows

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.utils.atomic import atomic_dir
from shoprel.utils.output_stamp import check_replaceable


@pytest.fixture
def place(tmp_path):
    """A run the link leads to (shoprel's, so --overwrite alone would take it), the link, and
    two finished runs for the commands that read runs."""
    real = tmp_path / "real"
    with atomic_dir(real, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text(json.dumps({"kind": "run", "task": "QI",
                                                  "threshold": 0.5}))
    link = tmp_path / "link"
    link.symlink_to(real)
    base = rows()
    members = [make_run(tmp_path / f"member_{i}", base, 1.0, i, f"m{i}") for i in (0, 1)]
    student = tmp_path / "student.yaml"
    student.write_text("model:\n  family: fast\n")
    return real, link, members, student


COMMANDS = {
    # a fast model: were the link taken, the test would not train for minutes
    "train": lambda link, members, student: ["train", demo_file("QI"), "--out", link,
                                             "--config", student, "--folds", "2",
                                             "--no-student", "--overwrite"],
    "pretrain": lambda link, members, student: ["pretrain", demo_file("QI"), "--out", link,
                                                "--overwrite"],
    "ensemble": lambda link, members, student: ["ensemble", *members, "--out", link,
                                                "--overwrite"],
    "distill": lambda link, members, student: ["distill", members[0], "--student", student,
                                               "--out", link, "--overwrite"],
    "index": lambda link, members, student: ["index", members[0], demo_file("QI"), "--out",
                                             link],
    "demo": lambda link, members, student: ["demo", "--out", link],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_symlinked_output_folder_is_refused(place, command):
    real, link, members, student = place
    before = {p.name: p.read_bytes() for p in real.iterdir()}
    args = [str(a) for a in COMMANDS[command](link, members, student)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {link}: is a symbolic link (to {real}); give the real "
                             "folder or another path\n")
    assert link.is_symlink() and {p.name: p.read_bytes() for p in real.iterdir()} == before
    assert sorted(p.name for p in link.parent.iterdir()) == [
        "link", "member_0", "member_1", "real", "student.yaml"]
