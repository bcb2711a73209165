import errno
import os
import tempfile

import pytest

from shoprel.errors import OutputError
from shoprel.utils.atomic import atomic_dir, atomic_file


def _no_new_files(*args, **kwargs):
    raise FileNotFoundError(errno.ENOENT, "No such file or directory")


@pytest.mark.parametrize("write", [atomic_file, atomic_dir], ids=["file", "folder"])
def test_a_folder_that_takes_no_new_file_is_said_in_one_line(tmp_path, monkeypatch, write):
    """`predict RUN rows.txt --out /proc/x.csv` (a folder whose access test passes, where a
    new file is 'No such file or directory') was a FileNotFoundError traceback."""
    monkeypatch.setattr(tempfile, "mkstemp", _no_new_files)
    monkeypatch.setattr(tempfile, "mkdtemp", _no_new_files)
    with pytest.raises(OutputError) as info, write(tmp_path / "out.csv"):
        pass
    assert str(info.value) == (f"{tmp_path / 'out.csv'}: cannot write in {tmp_path} "
                               "(No such file or directory)")
    assert list(tmp_path.iterdir()) == []


def _no_rename_onto(target, monkeypatch):
    """os.replace refused where it would move `target` or put something in its place, as for an
    immutable output or another user's in a sticky folder (EPERM)."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(target) in (str(src), str(dst)):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_a_file_that_cannot_be_replaced_is_said_in_one_line_and_kept(tmp_path, monkeypatch):
    """`far-pairs RUN` on a run whose metrics.json could not be renamed over (chattr +i) was a
    PermissionError traceback."""
    target = tmp_path / "metrics.json"
    target.write_text("old")
    _no_rename_onto(target, monkeypatch)
    with pytest.raises(OutputError) as info, atomic_file(target) as tmp:
        tmp.write_text("new")
    assert str(info.value) == (f"{target}: cannot be replaced (Operation not permitted); the "
                               "one there is kept as it was: make it writable, or choose "
                               "another output")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_folder_that_cannot_be_replaced_is_said_in_one_line_and_kept(tmp_path, monkeypatch):
    """`distill --overwrite` over a run that could not be moved aside was a traceback after the
    whole fit, and left an empty `.RUN.*.old` folder beside it."""
    target = tmp_path / "run"
    target.mkdir()
    (target / "metrics.json").write_text("old")
    _no_rename_onto(target, monkeypatch)
    with pytest.raises(OutputError) as info, atomic_dir(target, overwrite=True) as tmp:
        (tmp / "metrics.json").write_text("new")
    assert str(info.value).startswith(f"{target}: cannot be replaced (Operation not permitted)")
    assert (target / "metrics.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


_KILLED_IN_RESTORED_ON_FAILURE = """
import os, sys
from pathlib import Path
from shoprel.utils.atomic import atomic_file, restored_on_failure
report = Path(sys.argv[1])
with restored_on_failure(report):
    if sys.argv[2] == "replaced":
        with atomic_file(report) as tmp:
            tmp.write_text("new")
    os._exit(0)  # killed: nothing runs after
"""


@pytest.mark.parametrize("killed", ["before the swap", "replaced", "report removed since"])
def test_a_writer_killed_in_restored_on_failure_leaves_a_backup_judged_as_atomic_dirs(
        tmp_path, killed):
    """restored_on_failure keeps its file in atomic_dir's backup form (a `.NAME.*.old` folder
    holding `old`), so a killed writer's is judged by one rule (restore_swapped): the report
    is still in place, old or new, and the next write beside it removes the backup; a backup
    whose file is gone (removed since) is the only copy and goes back. Its file backup was
    removed in that case too."""
    import subprocess
    import sys

    from shoprel.utils.atomic import clean_stale, dead_writer_leftover

    report = tmp_path / "report.html"
    report.write_text("old")
    subprocess.run([sys.executable, "-c", _KILLED_IN_RESTORED_ON_FAILURE, str(report),
                    "replaced" if killed == "replaced" else "no"], check=True)
    [backup] = [p for p in tmp_path.iterdir() if p != report]
    assert backup.name.startswith(".report.html.") and backup.name.endswith(".old")
    assert dead_writer_leftover(backup) and (backup / "old").read_text() == "old"
    if killed == "report removed since":
        report.unlink()
    assert clean_stale(tmp_path / "metrics.json") == ([] if killed == "report removed since"
                                                       else [backup])
    assert report.read_text() == ("new" if killed == "replaced" else "old")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_restored_on_failure_puts_the_old_file_back_and_leaves_no_backup(tmp_path):
    from shoprel.utils.atomic import restored_on_failure

    report = tmp_path / "report.html"
    report.write_text("old")
    with pytest.raises(KeyboardInterrupt), restored_on_failure(report):
        with atomic_file(report) as tmp:
            tmp.write_text("new")
        raise KeyboardInterrupt  # metrics.json's write stopped
    assert report.read_text() == "old"
    with restored_on_failure(report), atomic_file(report) as tmp:
        tmp.write_text("new")
    assert report.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
