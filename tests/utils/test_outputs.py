"""Output safety: no output may destroy an input, a run being read or a folder shoprel did not
write; interrupted and concurrent writers leave nothing behind and replace nothing."""

import contextlib
import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from tests.conftest import dead_pid, unrendered_report

from shoprel.errors import OutputError, OutputExistsError
from shoprel.utils.atomic import atomic_dir, atomic_file, clean_stale, host_tag, lock_text
from shoprel.utils.outputs import check_output_dir, check_output_file
from shoprel.utils.shoprel_folders import STAMP

_MANIFEST = '{"kind": "run", "task": "QC", "threshold": 0.5}'


def _run_folder(path, *extra):
    """A finished run as older shoprel versions left it (no stamp)."""
    path.mkdir(parents=True)
    (path / "run.json").write_text(_MANIFEST)
    (path / "metrics.json").write_text("{}")
    for name in extra:
        (path / name).write_text("user data")
    return path


def test_file_output_that_is_the_input_is_refused_also_through_links(tmp_path):
    source = tmp_path / "gold.jsonl"
    source.write_text("x")
    (tmp_path / "hard.jsonl").hardlink_to(source)
    (tmp_path / "soft.jsonl").symlink_to(source)
    for out in ("gold.jsonl", "hard.jsonl", "soft.jsonl", "sub/../gold.jsonl"):
        with pytest.raises(OutputError, match="is the input file"):
            check_output_file(tmp_path / out, reads=[source])
    assert check_output_file(tmp_path / "other.jsonl", reads=[source])


def test_file_output_inside_a_run_being_read_is_refused(tmp_path):
    run = _run_folder(tmp_path / "run")
    for out in (run / "run.json", run / "models" / "x.json", run / "sub.txt"):
        with pytest.raises(OutputError, match="inside the run folder"):
            check_output_file(out, runs=[run])
    assert check_output_file(run / "report.html", runs=[run], own=[run / "report.html"])


def test_an_existing_file_is_replaced_only_with_overwrite(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("the user's")
    with pytest.raises(OutputExistsError, match="notes.txt already exists .use --overwrite"):
        check_output_file(mine)
    (tmp_path / "link.txt").symlink_to(tmp_path / "gone.txt")  # a dangling link is a file too
    with pytest.raises(OutputExistsError, match="link.txt already exists"):
        check_output_file(tmp_path / "link.txt")
    assert check_output_file(mine, overwrite=True) == mine
    run = _run_folder(tmp_path / "run", "report.html")  # a run's own report is rewritten
    assert check_output_file(run / "report.html", runs=[run], own=[run / "report.html"])
    assert mine.read_text() == "the user's"


def test_file_output_that_is_a_folder_or_under_a_file_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_file(tmp_path / "afile" / "out.jsonl")
    with pytest.raises(OutputError, match="is a folder"):
        with atomic_file(tmp_path):
            pass


def test_folder_output_refusals(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    train = data / "d.jsonl"
    train.write_text("x")
    (data / "sub").mkdir()
    monkeypatch.chdir(data / "sub")
    with pytest.raises(OutputError, match="current folder"):
        check_output_dir(".", overwrite=True)
    with pytest.raises(OutputError, match="current folder"):
        check_output_dir("..", overwrite=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="overlaps"):
        check_output_dir(data, overwrite=True, reads=[train])
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(train, overwrite=True)
    with pytest.raises(OutputError, match="overlaps"):
        check_output_dir(train, overwrite=True, reads=[train])
    with pytest.raises(OutputExistsError, match="--overwrite"):
        check_output_dir(tmp_path / "data")
    with pytest.raises(OutputError, match="not a folder shoprel wrote"):
        check_output_dir(tmp_path / "data", overwrite=True)
    assert train.read_text() == "x"


def test_an_output_that_is_a_pipe_or_device_is_refused_not_replaced(tmp_path):
    """--overwrite replaced a named pipe (as root: /dev/null) with a regular file."""
    pipe = tmp_path / "pipe.jsonl"
    os.mkfifo(pipe)
    with pytest.raises(OutputError, match="pipe.jsonl: is not a regular file"):
        check_output_file(pipe, overwrite=True)
    with pytest.raises(OutputError, match="pipe.jsonl: is not a regular file"):
        with atomic_file(pipe) as tmp:  # a writer no command checked first: the demo's
            tmp.write_text("new")
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe.jsonl"]


def test_overwrite_replaces_only_a_run_holding_nothing_else(tmp_path):
    assert check_output_dir(_run_folder(tmp_path / "old"), overwrite=True)
    with pytest.raises(OutputError, match="submission.txt, which shoprel did not write"):
        check_output_dir(_run_folder(tmp_path / "mixed", "submission.txt"), overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_output_dir(empty, overwrite=True)


def test_a_stamped_folder_may_hold_exactly_what_was_written(tmp_path):
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
        (tmp / "learning_curve.json").write_text("{}")  # a name the legacy list does not know
    assert json.loads((target / STAMP).read_text())["entries"] == ["learning_curve.json",
                                                                  "run.json"]
    check_output_dir(target, overwrite=True)
    (target / "mine.txt").write_text("user data")
    with pytest.raises(OutputError, match="mine.txt"):
        check_output_dir(target, overwrite=True)
    with pytest.raises(OutputError, match="mine.txt"):
        with atomic_dir(target, overwrite=True, guard=check_replaceable):
            pass
    assert (target / "mine.txt").read_text() == "user data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_only_shoprels_own_temporary_names_are_passed_over(tmp_path):
    """A killed writer's leftovers inside a run (a far-pairs rewriting metrics.json, its lock)
    do not stop --overwrite; a user's file only shaped like one (`.notes.old`) does."""
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
        (tmp / "models").mkdir()
    host, dead = host_tag(), dead_pid()
    (target / f".metrics.json.{dead}@{host}.ab_12.partial").write_text("half")
    (target / "models" / f".full.{dead}@{host}.zz.old").mkdir()
    (target / ".metrics.json.lock").write_bytes(lock_text(dead))
    check_output_dir(target, overwrite=True)
    texts = {".pid.lock": str(dead), ".empty.lock": ""}  # another program's, held or not
    for name in (".notes.old", "models/.draft.partial", ".db.lock", ".pid.lock", ".empty.lock"):
        (target / name).write_text(texts.get(name, "user data"))
        with pytest.raises(OutputError, match=name.rsplit("/", 1)[-1]):
            check_output_dir(target, overwrite=True)
        (target / name).unlink()


def test_a_file_put_below_the_top_level_is_found_too(tmp_path):
    """A user's file in a run's models/ (or deeper) is refused like one at the top; folders
    written after the stamp (a run's index, a carried student, an export) are the writers'."""
    from shoprel.utils.atomic import add_to_stamp
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
        (tmp / "models" / "fold_0").mkdir(parents=True)
        (tmp / "models" / "fold_0" / "lightgbm.txt").write_text("trees")
    check_output_dir(target, overwrite=True)
    for name in ("models/notes.txt", "models/fold_0/tuned.txt", "models/mine/a.txt"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text("user data")
        with pytest.raises(OutputError, match=name.split("/", 1)[1]):
            check_output_dir(target, overwrite=True)
        (target / name).unlink()
    (target / "models" / "mine").rmdir()
    # written later by shoprel: an export beside a model, the run's index, a student
    (target / "models" / "fold_0" / "onnx").mkdir()
    (target / "models" / "fold_0" / "onnx" / "model.onnx").write_text("graph")
    add_to_stamp(target, "models/fold_0/onnx")
    (target / "index").mkdir()
    (target / "index" / "index.json").write_text(json.dumps({"written_by": "shoprel index"}))
    add_to_stamp(target, "index")
    with atomic_dir(target / "student", guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
    add_to_stamp(target, "student")
    check_output_dir(target, overwrite=True)
    (target / "student" / "notes.txt").write_text("user data")  # the student's own stamp
    with pytest.raises(OutputError, match="notes.txt"):
        check_output_dir(target, overwrite=True)


def test_a_users_file_in_a_runs_index_is_refused_like_one_in_models(tmp_path, monkeypatch):
    """The run's index/ has no stamp (every build adds to it): --overwrite takes only what
    `shoprel index` writes there (a finished segment, a killed build's parts), nothing else."""
    import numpy as np

    from shoprel.models.backbones import target_index
    from shoprel.utils.atomic import add_to_stamp
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
    index = target / "index"
    index.mkdir()
    (index / "index.json").write_text(json.dumps({"written_by": "shoprel index", "format": 1}))
    add_to_stamp(target, "index")
    embed = lambda texts, kind: np.ones((len(texts), 3), dtype=np.float32)  # noqa: E731
    target_index.build_segment(index / "use-0123456789abcdef", "fp", [("passage", "a")],
                               embed, "first")
    monkeypatch.setattr(target_index, "PART_TEXTS", 1)

    def killed(texts, kind):  # the second part never finishes: the first one stays
        if killed.calls:
            raise KeyboardInterrupt
        killed.calls += 1
        return embed(texts, kind)

    killed.calls = 0
    with pytest.raises(KeyboardInterrupt):
        target_index.build_segment(index / "use-0123456789abcdef", "fp",
                                   [("passage", "b"), ("passage", "c")], killed, "second")
    assert list(index.glob("*/build-*/part-*.npy"))
    check_output_dir(target, overwrite=True)  # all of it shoprel's
    for name in ("index/my_notes.txt", "index/use-0123456789abcdef/notes2.txt",
                 "index/mine/a.txt"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text("user data")
        with pytest.raises(OutputError, match=f"holds {name}, which shoprel did not write"):
            check_output_dir(target, overwrite=True)
        (target / name).unlink()
    (index / "index.json").write_text('{"pages": 3}')  # not shoprel's marker: nothing is
    with pytest.raises(OutputError, match="index/index.json"):
        check_output_dir(target, overwrite=True)


def test_final_rename_never_replaces_a_folder_that_appeared_meanwhile(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(OutputExistsError, match="another process"):
        with atomic_dir(target) as tmp:
            (tmp / "run.json").write_text("mine")
            _run_folder(target)  # the other writer finished first
    assert (target / "run.json").read_text() == _MANIFEST
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_second_writer_of_one_output_fails_at_once(tmp_path):
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("first")
        code = textwrap.dedent(f"""
            from shoprel.utils.atomic import atomic_dir
            from shoprel.utils.output_stamp import check_replaceable
            with atomic_dir({str(target)!r}, guard=check_replaceable):
                pass
        """)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode != 0
        assert "another shoprel process" in done.stderr and f"pid {os.getpid()}" in done.stderr
    assert (target / "run.json").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # lock file gone too


def test_a_writer_that_gets_the_lock_after_another_finished_fails_at_once(tmp_path,
                                                                         monkeypatch):
    """Of two trainings to one new folder, the second checked it before the first renamed its
    run there and took the lock once the first let it go: it trained in full, then failed with
    'created by another process while this one worked'. It now says so before writing."""
    from shoprel.utils import atomic
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    real_lock = atomic.output_lock

    @contextlib.contextmanager
    def taken_after_the_first_finished(path, wait_s=0.0):
        _run_folder(target)  # the first writer's run, in place just before this lock
        with real_lock(path, wait_s):
            yield

    monkeypatch.setattr(atomic, "output_lock", taken_after_the_first_finished)
    written = []
    with pytest.raises(OutputExistsError, match="run already exists"):
        with atomic_dir(target, guard=check_replaceable) as tmp:
            written.append(tmp)
    assert written == []
    assert (target / "run.json").read_text() == _MANIFEST
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, no temporary


def test_failed_write_removes_the_parent_folders_it_made(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_dir(tmp_path / "a" / "b" / "run") as tmp:
            (tmp / "x").write_text("x")
            raise RuntimeError("interrupted")
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "c" / "out.jsonl") as tmp:
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_disk_filling_up_mid_write_is_one_line_naming_the_output(tmp_path, code):
    """No space left (predict's rows, a report): one OutputError naming the output, where
    the OSError was a traceback; nothing is left, the old output included as it was."""
    out = tmp_path / "sub.jsonl"
    out.write_text("old")
    with pytest.raises(OutputError) as info, atomic_file(out) as tmp:
        tmp.write_text("half")
        raise OSError(code, "Error writing bytes to file. Detail: [errno]")
    assert str(info.value) == (f"{out}: {os.strerror(code)} while writing it; nothing was "
                               "written (free some space, or write elsewhere)")
    assert [p.name for p in tmp_path.iterdir()] == ["sub.jsonl"] and out.read_text() == "old"


@pytest.mark.parametrize("replacing", [False, True])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_disk_filling_up_while_a_folder_is_written_is_one_line_naming_it(tmp_path, code,
                                                                          replacing):
    """No space left while a run's models are written (train, distill, pretrain, export): one
    OutputError naming the output, where the OSError was a traceback (a 3 MB tmpfs, `train
    --overwrite`); the old folder stays as it was and nothing is left beside it."""
    out = tmp_path / "run"
    if replacing:
        out.mkdir()
        (out / "model.json").write_text("old")
    with pytest.raises(OutputError) as info, atomic_dir(out, overwrite=replacing) as tmp:
        (tmp / "model.json").write_text("half")
        raise OSError(code, os.strerror(code))
    assert str(info.value) == (f"{out}: {os.strerror(code)} while writing it; nothing was "
                               "written (free some space, or write elsewhere)")
    assert [p.name for p in tmp_path.iterdir()] == (["run"] if replacing else [])
    assert not replacing or (out / "model.json").read_text() == "old"


@pytest.mark.parametrize("replacing", [False, True])
def test_a_durable_folder_reaches_the_disk_before_its_rename(tmp_path, fsync_spy, replacing):
    """Every file and folder of a run is fsynced before it is renamed in (new, or swapped for
    the old one), and its parent after: else a power cut can leave it half there."""
    run = tmp_path / "run"
    if replacing:
        run.mkdir()
        (run / "model.json").write_text("old")
    with atomic_dir(run, overwrite=replacing, durable=True) as tmp:
        (tmp / "models" / "full").mkdir(parents=True)
        (tmp / "models" / "full" / "model.json").write_text("new")
        (tmp / "run.json").write_text("{}")
        (tmp / "link").symlink_to("run.json")  # left alone, as is what it leads to
    assert (run / "models" / "full" / "model.json").read_text() == "new"
    assert fsync_spy.unsynced(run) == []


@pytest.mark.parametrize("folder", [False, True])
@pytest.mark.parametrize("code", [errno.EIO, errno.ENOSPC])
def test_a_disk_failing_the_fsync_is_one_line_and_keeps_the_old_output(tmp_path, monkeypatch,
                                                                       folder, code):
    """A durable output (predictions, a run) whose fsync fails: one line naming it, where the
    OSError was a traceback; the old output stays as it was and nothing is left beside it."""
    def failing(fd):
        raise OSError(code, os.strerror(code))

    out = tmp_path / "out"
    if folder:
        out.mkdir()
        (out / "model.json").write_text("old")
    else:
        out.write_text("old")
    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OutputError) as info:
        if folder:
            with atomic_dir(out, overwrite=True, durable=True) as tmp:
                (tmp / "model.json").write_text("new")
        else:
            with atomic_file(out, durable=True) as tmp:
                tmp.write_text("new")
    assert str(info.value) == (
        f"{out}: could not be written to the disk ({os.strerror(code)}); nothing was written"
        if code == errno.EIO else
        f"{out}: {os.strerror(code)} while writing it; nothing was written (free some space, "
        "or write elsewhere)")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert (out / "model.json" if folder else out).read_text() == "old"


def test_leftovers_of_dead_writers_are_cleaned_by_the_next_write_beside_them(tmp_path):
    host = host_tag()
    dead = dead_pid()
    stale = tmp_path / f".pred.jsonl.{dead}@{host}.abc123_x.partial"
    stale.write_text("23 MB of a killed predict")
    stale_dir = tmp_path / f".run.{dead}@{host}.zz.old"
    stale_dir.mkdir()
    other_output = tmp_path / f".sub.csv.{dead}@{host}.q.partial"
    other_output.write_text("another output's leftover")
    dead_lock = tmp_path / ".run.lock"
    dead_lock.write_bytes(lock_text(dead))
    keep = [tmp_path / f".pred.jsonl.{os.getpid()}@{host}.live.partial",  # a live writer's
            tmp_path / f".pred.jsonl.{dead}@000000.q.partial",  # another machine's
            tmp_path / ".live.lock", tmp_path / ".mine.lock"]
    for path in keep:
        path.write_text("x")
    keep[2].write_bytes(lock_text(os.getpid()))
    with atomic_file(tmp_path / "new.jsonl") as tmp:
        assert tmp.name.startswith(f".new.jsonl.{os.getpid()}@{host}.")  # the tag it writes
        tmp.write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["new.jsonl", *(p.name for p in keep)])
    assert clean_stale(tmp_path / "new.jsonl") == []


def test_only_lock_files_shoprel_wrote_are_removed_beside_an_output(tmp_path):
    """A writer killed holding output_lock leaves its lock, which the next write beside it
    removes; another program's `.NAME.lock` holding a dead pid of its own (or shoprel's text
    from another machine) is left as it was, and output_lock neither rewrites nor removes it."""
    from shoprel.utils.atomic import output_lock

    killed = textwrap.dedent(f"""
        import os
        from shoprel.utils.atomic import output_lock
        with output_lock({str(tmp_path / "preds.csv")!r}):
            os._exit(0)  # killed: nothing runs after
    """)
    subprocess.run([sys.executable, "-c", killed], check=True)
    assert (tmp_path / ".preds.csv.lock").is_file()
    dead = dead_pid()
    others = {".data.csv.lock": str(dead), ".db.lock": f"{dead}\n",
              ".far.lock": lock_text(dead).decode().replace(host_tag(), "000000")}
    for name, text in others.items():
        (tmp_path / name).write_text(text)
    assert clean_stale(tmp_path / "new.csv") == [tmp_path / ".preds.csv.lock"]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == others
    with pytest.raises(OutputError) as caught:
        with output_lock(tmp_path / "data.csv"):
            pass
    assert str(caught.value) == (
        f"{tmp_path / 'data.csv'}: {tmp_path / '.data.csv.lock'} is a lock file shoprel cannot "
        f"tell for its own (it holds pid {dead}, not running: left by an older shoprel or "
        "another program that stopped); delete it if nothing uses it, or choose another output")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == others


@pytest.mark.parametrize("case", ["live", "dead", "another host", "garbled"])
def test_a_lock_is_either_running_or_removable_never_both(tmp_path, case):
    """live_writer (a build running now) and clean_stale (a lock nobody holds) ask one
    predicate, local_writer: this host's live writer is running and its lock kept, this
    host's dead one stopped and removed; another machine's writer (its pid means nothing
    here) and bytes shoprel cannot read are neither, and left alone."""
    from shoprel.utils.atomic import live_writer, local_writer

    dead = dead_pid()
    held = {"live": lock_text(os.getpid()), "dead": lock_text(dead),
            "another host": lock_text(os.getpid()).replace(host_tag().encode(), b"000000"),
            "garbled": b"shoprel \xff\xfe@" + host_tag().encode()}[case]
    (tmp_path / ".ix.lock").write_bytes(held)
    writer, running = {"live": ((os.getpid(), True), os.getpid()), "dead": ((dead, False), None),
                       "another host": (None, None), "garbled": (None, None)}[case]
    assert local_writer(held) == writer
    assert live_writer(tmp_path / "ix") == running
    removed = [tmp_path / ".ix.lock"] if case == "dead" else []
    assert clean_stale(tmp_path / "other.csv") == removed
    assert (tmp_path / ".ix.lock").exists() == (case != "dead")


def test_an_interrupted_swap_puts_the_previous_output_back(tmp_path, monkeypatch):
    """Ctrl-C between moving the old folder aside and the new one in: the old one returns."""
    from shoprel.utils import atomic

    run = tmp_path / "run"
    run.mkdir()
    (run / "model.json").write_text("old")
    renames = []
    real_replace = os.replace

    def interrupted(src, dst):
        renames.append(dst)
        if len(renames) == 2:  # the new folder's move into place
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(run, overwrite=True) as tmp:
            (tmp / "model.json").write_text("new")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert (run / "model.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_writer_killed_mid_swap_leaves_the_old_output_to_be_restored(tmp_path):
    """SIGKILL between the two renames: the next write beside it restores the previous output
    instead of deleting it as a leftover."""
    host = host_tag()
    backup = tmp_path / f".run.{dead_pid()}@{host}.zz.old"
    (backup / "old").mkdir(parents=True)
    (backup / "old" / "model.json").write_text("the previous run")
    with atomic_file(tmp_path / "report.html") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "run" / "model.json").read_text() == "the previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "run"]


def test_sigterm_removes_temporary_outputs(tmp_path):
    """A process stopped with SIGTERM cleans up as on Ctrl-C (the CLI installs the handler)."""
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from shoprel.utils.atomic import atomic_dir
        from shoprel.utils.signals import terminate_as_interrupt
        terminate_as_interrupt()
        with atomic_dir({str(tmp_path / 'run')!r}) as tmp:
            (tmp / "half").write_text("x")
            print("ready", flush=True)
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGTERM)
    child.wait(timeout=30)
    assert child.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_stamp_additions_of_two_commands_at_once_both_land(tmp_path):
    """`index` and a student finishing both add to a run's stamp: neither may lose the other's."""
    from shoprel.utils.atomic import add_to_stamp
    from shoprel.utils.output_stamp import check_replaceable

    target = tmp_path / "run"
    with atomic_dir(target, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
    other = textwrap.dedent(f"""
        import json, time
        from pathlib import Path
        from shoprel.utils.atomic import atomic_file, output_lock
        from shoprel.utils.output_stamp import read_stamp
        from shoprel.utils.shoprel_folders import STAMP
        folder = Path({str(target)!r})
        with output_lock(folder / STAMP):
            stamp = read_stamp(folder)
            print("read", flush=True)
            time.sleep(1.0)
            stamp["entries"] = sorted({{*stamp["entries"], "student"}})
            with atomic_file(folder / STAMP) as tmp:
                tmp.write_text(json.dumps(stamp))
    """)
    proc = subprocess.Popen([sys.executable, "-c", other], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "read"
    add_to_stamp(target, "index")  # waits for the other's write, then adds to it
    assert proc.wait() == 0
    assert json.loads((target / STAMP).read_text())["entries"] == ["index", "run.json",
                                                                  "student"]
    assert sorted(p.name for p in target.iterdir()) == [STAMP, "run.json"]


def test_overwrite_replaces_only_an_output_of_the_same_kind(tmp_path):
    """A pretrained backbone is not a run, nor a run a backbone: --overwrite refuses both."""
    from shoprel.utils.output_stamp import check_replaceable

    backbone = tmp_path / "backbone"
    with atomic_dir(backbone, guard=lambda d: check_replaceable(d, marker="meta.json")) as tmp:
        (tmp / "meta.json").write_text("{}")
        (tmp / "model.safetensors").write_text("weights")
    with pytest.raises(OutputError, match="another kind of shoprel output .no run.json."):
        check_output_dir(backbone, overwrite=True)
    assert (backbone / "model.safetensors").read_text() == "weights"
    check_output_dir(backbone, overwrite=True, marker="meta.json", legacy_entries=None)
    run = tmp_path / "run"
    with atomic_dir(run, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
    with pytest.raises(OutputError, match="no meta.json"):
        check_output_dir(run, overwrite=True, marker="meta.json", legacy_entries=None)


def test_a_file_output_inside_any_folder_shoprel_wrote_is_refused(tmp_path):
    """Not only the run being read: another run, an older unstamped run, an index."""
    from shoprel.utils.output_stamp import check_replaceable

    other = tmp_path / "other"
    with atomic_dir(other, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text("{}")
        (tmp / "models").mkdir()
    legacy = _run_folder(tmp_path / "legacy")
    index = tmp_path / "index"
    index.mkdir()
    (index / "index.json").write_text(json.dumps({"written_by": "shoprel index"}))
    for out in (other / "run.json", other / "models" / "full" / "model.json",
                legacy / "metrics.json", index / "x.npy"):
        with pytest.raises(OutputError, match="a folder shoprel wrote"):
            check_output_file(out, overwrite=True)
    users = tmp_path / "site"
    users.mkdir()
    (users / "index.json").write_text('{"pages": 3}')  # a user's index.json is not an index
    assert check_output_file(users / "pred.jsonl")
    assert check_output_file(tmp_path / "pred.jsonl")
    assert check_output_file(other / "report.html", own=[other / "report.html"], overwrite=True)


def test_an_output_inside_a_backbone_built_in_the_cache_is_refused(tmp_path):
    """A backbone the cache builds (backbones/e5-small) carries its record but no stamp, so an
    index, predictions or a run could be written inside it, which `cache prune --kind
    backbones` (shutil.rmtree of the entry) or a rebuild then removed with the backbone."""
    from shoprel.models.backbones.cache import META_FILE

    backbone = tmp_path / "cache" / "backbones" / "e5-small"
    backbone.mkdir(parents=True)
    (backbone / META_FILE).write_text(json.dumps({"name": "e5-small", "build_format": 1}))
    with pytest.raises(OutputError, match="lies inside .*e5-small, a folder shoprel wrote"):
        check_output_file(backbone / "submission.jsonl")
    with pytest.raises(OutputError, match="lies inside .*e5-small, a folder shoprel wrote"):
        check_output_dir(backbone / "catalogue-index")
    assert check_output_file(tmp_path / "cache" / "backbones" / "beside.jsonl")
    users = tmp_path / "mine"
    users.mkdir()
    (users / META_FILE).write_text("not shoprel's record")  # no JSON object: not a backbone
    assert check_output_file(users / "submission.jsonl")


def test_an_output_inside_an_onnx_export_in_the_cache_is_refused(tmp_path):
    """An ONNX export the cache makes (onnx/<name>/fp32, int8) carries its export.json but no
    stamp, so predictions or an index could be written inside it, which `cache prune --kind
    onnx` (shutil.rmtree of the precision's folder) then removed with the export. Told by the
    record's fields as the exporter writes them: a user's export.json makes no export."""
    from shoprel.models.backbones import onnx_engine

    export = tmp_path / "cache" / "onnx" / "embeddinggemma-300m-0123456789abcdef"
    record = {"format": onnx_engine.EXPORT_FORMAT, "opset": onnx_engine.OPSET,
              "onnxruntime": "1.32.0", "max_length": onnx_engine.MAX_LENGTH,
              onnx_engine.WEIGHTS_FIELD: [onnx_engine.DATA_FILE]}
    for precision in onnx_engine.PRECISION.values():
        (export / precision).mkdir(parents=True)
        (export / precision / onnx_engine.META_FILE).write_text(
            json.dumps({**record, "precision": precision}))
        with pytest.raises(OutputError, match=f"lies inside .*{precision}, a folder shoprel "
                                              "wrote"):
            check_output_file(export / precision / "submission.jsonl")
        with pytest.raises(OutputError, match=f"lies inside .*{precision}, a folder shoprel "
                                              "wrote"):
            check_output_dir(export / precision / "catalogue-index")
    assert check_output_file(export / "beside.jsonl")
    for own in ('{"files": {"fp32": "model.onnx"}}', '{"format": "csv", "opset": 17}',
                '{"format": true, "opset": 17, "precision": "fp32"}', "[1]", "{"):
        users = tmp_path / "mine"
        users.mkdir(exist_ok=True)
        (users / onnx_engine.META_FILE).write_text(own)  # another tool's: not an export
        assert check_output_file(users / "submission.jsonl")


def test_shoprels_lock_is_never_empty_so_an_empty_one_is_left_alone(tmp_path):
    """output_lock's lock held nothing for a moment while being taken, so an empty `.NAME.lock`
    counted as shoprel's: output_lock took over another program's empty lock (and removed it).
    The lock now holds its text from the moment it exists; an empty one is refused and kept,
    while a killed writer's lock at the same name is taken over."""
    from shoprel.utils.atomic import output_lock

    (tmp_path / ".data.csv.lock").write_bytes(b"")
    with pytest.raises(OutputError, match="is a lock file shoprel cannot tell for its own"):
        with output_lock(tmp_path / "data.csv"):
            pass
    assert (tmp_path / ".data.csv.lock").read_bytes() == b""
    (tmp_path / ".preds.csv.lock").write_bytes(lock_text(dead_pid()))  # a killed writer's
    with output_lock(tmp_path / "preds.csv"):
        assert (tmp_path / ".preds.csv.lock").read_bytes() == lock_text(os.getpid())
        with pytest.raises(OutputError, match=f"another shoprel process \\(pid {os.getpid()}\\)"):
            with output_lock(tmp_path / "preds.csv"):
                pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [".data.csv.lock"]


def test_the_lock_is_taken_where_hard_links_are_refused(tmp_path, monkeypatch):
    """A file system without hard links (FAT, some network mounts) refuses os.link: the lock is
    then created with O_EXCL and its text, still exclusive, and leaves nothing behind."""
    from shoprel.utils.atomic import output_lock

    def no_links(*_):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with output_lock(tmp_path / "preds.csv"):
        assert (tmp_path / ".preds.csv.lock").read_bytes() == lock_text(os.getpid())
        with pytest.raises(OutputError, match="another shoprel process"):
            with output_lock(tmp_path / "preds.csv"):
                pass
    assert list(tmp_path.iterdir()) == []


def test_a_locked_write_makes_its_folders_and_removes_them_when_it_fails(tmp_path):
    """predict writes under output_lock: a new folder for the output is made, not a traceback."""
    from shoprel.utils.atomic import output_lock

    target = tmp_path / "new" / "deeper" / "sub.jsonl"
    with output_lock(target), atomic_file(target) as tmp:
        tmp.write_text("rows\n")
    assert target.read_text() == "rows\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["sub.jsonl"]
    failed = tmp_path / "other" / "sub.jsonl"
    with pytest.raises(RuntimeError):
        with output_lock(failed), atomic_file(failed):
            raise RuntimeError("scoring failed")
    assert not (tmp_path / "other").exists()


def test_a_folder_output_inside_any_folder_shoprel_wrote_is_refused(tmp_path):
    """`train --out RUN/inner`, `ensemble --out ENSEMBLE/x`: the outer folder would hold what
    it did not write and could no longer be replaced; a carried student goes where told."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    with pytest.raises(OutputError, match="lies inside .*run, a folder shoprel wrote"):
        check_output_dir(run / "inner")
    with pytest.raises(OutputError, match="lies inside"):
        check_output_dir(run / "a" / "b", inside=tmp_path / "elsewhere")
    assert check_output_dir(run / "student", inside=run) == run / "student"
    assert check_output_dir(tmp_path / "beside") == tmp_path / "beside"


def test_one_output_reached_through_a_link_takes_the_same_lock(tmp_path):
    """Two `shoprel index` builds into one folder, one by its path and one through a symlink:
    the second is refused as when both name the real path."""
    from shoprel.utils.atomic import output_lock

    real = tmp_path / "shared_idx"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with output_lock(real):
        with pytest.raises(OutputError, match="another shoprel process"):
            with output_lock(tmp_path / "link"):
                pass
    with output_lock(tmp_path / "link"):  # free again; a dangling link locks beside itself
        pass
    (tmp_path / "nowhere").symlink_to(tmp_path / "missing" / "deeper")
    with output_lock(tmp_path / "nowhere"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "nowhere", "shared_idx"]


def test_a_users_folder_holding_a_run_json_of_its_own_is_no_older_run(tmp_path):
    """--overwrite took any folder with a file named run.json (and the names an older run
    held) for an older run, and deleted the user's experiment log, settings and notes."""
    mine = tmp_path / "myexp"
    mine.mkdir()
    (mine / "run.json").write_text('{"my": "experiment log"}')
    (mine / "config.yaml").write_text("lr: 0.1\n")
    (mine / "report.html").write_text("<h1>my notes</h1>")
    for text in ('{"my": "experiment log"}', "[1, 2]", "not json",
                 '{"task": "QC", "threshold": "high"}'):
        (mine / "run.json").write_text(text)
        with pytest.raises(OutputError, match="myexp: not a folder shoprel wrote .no run.json."):
            check_output_dir(mine, overwrite=True)
    assert (mine / "report.html").read_text() == "<h1>my notes</h1>"
    older = _run_folder(tmp_path / "older", "report.html")  # an older run's manifest: taken
    assert check_output_dir(older, overwrite=True) == older


def _stamped_run(path):
    from shoprel.utils.output_stamp import check_replaceable

    with atomic_dir(path, guard=check_replaceable) as tmp:
        (tmp / "run.json").write_text(_MANIFEST)
    return path


@pytest.mark.parametrize("leads_to", ["a run", "an empty folder", "nothing"])
def test_a_folder_output_named_by_a_symbolic_link_is_refused(tmp_path, leads_to):
    """--overwrite through a link replaced the link (which no command wrote) with a new run;
    a link to nothing was called a file. The link and what it leads to stay as they were."""
    real = tmp_path / "real"
    if leads_to == "a run":
        _stamped_run(real)
    elif leads_to == "an empty folder":
        real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    before = sorted(p.name for p in real.iterdir()) if real.exists() else None
    for overwrite in (False, True):
        with pytest.raises(OutputError) as info:
            check_output_dir(link, overwrite=overwrite)
        assert str(info.value) == (f"{link}: is a symbolic link (to {real}); give the real "
                                   "folder or another path")
    with pytest.raises(OutputError, match="is a symbolic link"):
        with atomic_dir(link, overwrite=True, guard=lambda d: None):
            pass
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (sorted(p.name for p in real.iterdir()) if real.exists() else None) == before
    assert check_output_dir(real, overwrite=True) == real  # the real folder is still taken


def test_a_file_output_named_by_a_symbolic_link_is_not_replaced(tmp_path):
    """predict --out link.jsonl --overwrite replaced the user's link with a new file; without
    --overwrite it already said "already exists"."""
    real = tmp_path / "real.jsonl"
    real.write_text("mine\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with pytest.raises(OutputError) as info:
        check_output_file(link, overwrite=True)
    assert str(info.value) == (f"{link}: is a symbolic link (to {real}); give the real file "
                               "or another path")
    with pytest.raises(OutputExistsError):
        check_output_file(link)
    assert link.is_symlink() and real.read_text() == "mine\n"
    assert check_output_file(real, overwrite=True) == real


def test_a_link_put_in_the_outputs_place_during_a_write_is_not_replaced(tmp_path):
    """The output is checked again before the new folder moves in: a link put there while the
    command worked stays, and what it leads to too."""
    from shoprel.utils.output_stamp import check_replaceable

    real = _stamped_run(tmp_path / "real")
    target = tmp_path / "run"
    with pytest.raises(OutputError, match="is a symbolic link"):
        with atomic_dir(target, overwrite=True, guard=check_replaceable) as tmp:
            (tmp / "run.json").write_text(_MANIFEST)
            target.symlink_to(real)
    assert target.is_symlink() and sorted(p.name for p in real.iterdir()) == [STAMP, "run.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "run"]


def _records_stage0(run, stage0):
    """Record `stage0` in the run's metrics.json as fit_stage0 does (stage0.train_file)."""
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["stage0"] = {"train_file": str(stage0), "task": "QI"}
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_an_ensembles_members_stage0_files_are_never_an_output(tmp_path, qc_runs, qi_demo):
    """The ensemble's metrics.json names its members' training files but not their stage-0
    files, and only it was read: `noise ENS --out` / `--filtered-train` a member's stage-0
    file with --overwrite replaced it (report and compare ask the same check). Now refused in
    one line naming the member, the file left as it was."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.ensemble.runner import build_ensemble

    a, b = (shutil.copytree(run, tmp_path / name) for run, name in zip(qc_runs, "ab", strict=True))
    stage0 = tmp_path / "stage0_QI.jsonl"
    shutil.copyfile(qi_demo, stage0)
    _records_stage0(a, stage0)
    ens = build_ensemble([a, b], tmp_path / "ens").out_dir
    refusal = (f"{stage0}: is {stage0}, the file the stage 0 of the run {a} was trained on (its "
               "metrics.json stage0.train_file); writing it would destroy that data, choose "
               "another output")
    for option in ("--out", "--filtered-train"):
        done = CliRunner().invoke(main, ["noise", str(ens), option, str(stage0), "--overwrite"])
        assert (done.exit_code, done.output) == (2, f"error: {refusal}\n")
    with pytest.raises(OutputError) as caught:  # what report and compare ask of their --out
        check_output_file(stage0, runs=[ens], overwrite=True)
    assert str(caught.value) == refusal
    assert stage0.read_bytes() == qi_demo.read_bytes()


@pytest.mark.parametrize("damage", ["garbled", "deleted"])
def test_a_member_whose_record_cannot_be_read_is_no_reason_to_replace_a_file(
        tmp_path, qc_runs, damage):
    """An older ensemble keeps its first member's data block: member b's training file (a
    copy of the same rows elsewhere) is recorded in b's metrics.json alone, which noise does
    not read. With that record garbled or deleted the file went unrecognised, and `noise ENS
    --filtered-train B_FILE --overwrite` replaced it with a filtered copy (every row of it a
    row of the training file: noise's own output, by its guard). An existing file is now
    not replaced while a member's record cannot be read, in one line naming that record; a
    new output is written as before."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.demo import demo_file
    from shoprel.ensemble.runner import build_ensemble

    a, b = (shutil.copytree(run, tmp_path / name) for run, name in zip(qc_runs, "ab", strict=True))
    b_file = shutil.copyfile(demo_file("QC"), tmp_path / "b_train.jsonl")
    metrics = json.loads((b / "metrics.json").read_text())
    metrics["data"]["train_file"] = str(b_file)  # b trained on its copy of the rows
    (b / "metrics.json").write_text(json.dumps(metrics))
    ens = build_ensemble([a, b], tmp_path / "ens").out_dir
    metrics = json.loads((ens / "metrics.json").read_text())
    metrics["data"] = json.loads((a / "metrics.json").read_text())["data"]  # an older one's
    (ens / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(OutputError, match="the file the run .*b was trained on"):
        check_output_file(b_file, runs=[ens], overwrite=True)  # b's record read: refused
    if damage == "garbled":
        (b / "metrics.json").write_text("{", encoding="utf-8")
    else:
        (b / "metrics.json").unlink()
    why = "not valid JSON" if damage == "garbled" else "missing"
    refusal = (f"{b_file}: --overwrite cannot tell whether it is a file the run {b} learnt "
               f"from: {b / 'metrics.json'} cannot be read ({why}); restore it, or choose "
               "another output")
    done = CliRunner().invoke(main, ["noise", str(ens), "--filtered-train", str(b_file),
                                     "--overwrite"])
    assert (done.exit_code, done.output) == (2, f"error: {refusal}\n")
    assert b_file.read_bytes() == demo_file("QC").read_bytes()
    with pytest.raises(OutputError) as caught:  # what report and compare ask of their --out
        check_output_file(b_file, runs=[ens], overwrite=True)
    assert str(caught.value) == refusal
    with pytest.raises(OutputExistsError):  # without --overwrite: as before
        check_output_file(b_file, runs=[ens])
    assert check_output_file(tmp_path / "filtered.jsonl", runs=[ens], overwrite=True)


@pytest.fixture(scope="module")
def carried_student(tmp_path_factory, qc_runs):
    """(a copy of a fast QC run, the unlabelled pairs file its carried student learnt from):
    `shoprel distill RUN --out RUN/student --unlabeled FILE`, as a user adds one later."""
    from shoprel.data.readers import read_pairs
    from shoprel.demo import demo_file
    from shoprel.training.config_reading import load_config
    from shoprel.training.distill import distill

    root = tmp_path_factory.mktemp("carried")
    run = shutil.copytree(qc_runs[1], root / "run")
    pairs = root / "new_pairs.jsonl"
    pairs.write_text("".join(
        json.dumps({"id": f"n{r.id}", "language": r.language, "origin_query": f"{r.query} new",
                    "category_path": r.target}) + "\n"
        for r in read_pairs(demo_file("QC")).df.head(40).itertuples()), encoding="utf-8")
    config = load_config(None, {"model.family": "fast", "model.params.n_estimators": 20,
                                "model.params.n_features": 2**14, "model.params.n_jobs": 1})
    with pytest.MonkeyPatch.context() as patch:  # no test here reads its report
        patch.setattr("shoprel.evaluate.report.document.run_report_html", unrendered_report)
        distill(run, config, run / "student", hard_weight=0.5, progress=False, speed_rows=0,
                unlabeled=[pairs])
    return run, pairs


def _refused_as_learnt_from(args, pairs, by):
    """The command refuses to write `pairs`, the file the run `by` learnt from, and keeps it."""
    from click.testing import CliRunner

    from shoprel.cli import main

    before = pairs.read_bytes()
    done = CliRunner().invoke(main, [*args, "--overwrite"])
    assert (done.exit_code, done.output) == (2, (
        f"error: {pairs}: is {pairs}, the file the run {by} was trained on (its metrics.json "
        "distillation.unlabeled.files); writing it would destroy that data, choose another "
        "output\n"))
    assert pairs.read_bytes() == before


def test_the_unlabelled_pairs_a_student_learnt_from_are_never_an_output(carried_student):
    """`distill --unlabeled FILE` records FILE (distillation.unlabeled.files), the user's pairs
    the student learnt from; the guard read only the training and stage-0 files, so `noise
    STUDENT --out FILE --overwrite` replaced them with flagged ids."""
    run, pairs = carried_student
    for option in ("--out", "--filtered-train"):
        _refused_as_learnt_from(["noise", str(run / "student"), option, str(pairs)], pairs,
                                run / "student")


def test_a_carried_students_files_are_never_an_output_of_its_run(carried_student, qc_demo):
    """RUN/student is a run of its own whose records RUN's metrics.json does not repeat (the
    unlabelled pairs `distill RUN --out RUN/student --unlabeled FILE` learnt from): `noise RUN
    --out FILE --overwrite`, or predict with the student, replaced them. Refused now, in one
    line naming the student."""
    run, pairs = carried_student
    for args in (["noise", str(run), "--out", str(pairs)],
                 ["noise", str(run), "--filtered-train", str(pairs)],
                 ["predict", str(run), str(qc_demo), "--scorer", "student", "--out",
                  str(pairs)]):
        _refused_as_learnt_from(args, pairs, run / "student")


@pytest.mark.parametrize(("held", "why"), [
    ("", "it is empty: another program's, or left by a shoprel killed as it took it where the "
         "file system refuses hard links"),
    ("DEAD", "it holds pid DEAD, not running: left by an older shoprel or another program "
             "that stopped"),
    ("LIVE", "it holds pid LIVE, a running process's: another program's or an older "
             "shoprel's"),
    ("pid=1\n", "another program's, or an older shoprel's")])
def test_a_lock_without_shoprels_text_is_named_with_what_it_holds(tmp_path, held, why):
    """A `.NAME.lock` beside the output not holding shoprel's text is refused and kept; the line
    said only "another program's, or an older shoprel's", whatever it held, leaving the user to
    guess whether deleting it is safe: an older shoprel killed while writing left its bare pid,
    and one killed as it took the lock on a file system without hard links left it empty. The
    line now says what it holds and whether that process runs."""
    from shoprel.utils.atomic import output_lock

    dead = str(dead_pid())
    held, why = (text.replace("DEAD", dead).replace("LIVE", str(os.getpid()))
                 for text in (held, why))
    lock = tmp_path / ".preds.csv.lock"
    lock.write_text(held)
    with pytest.raises(OutputError) as caught:
        with output_lock(tmp_path / "preds.csv"):
            pass
    assert str(caught.value) == (
        f"{tmp_path / 'preds.csv'}: {lock} is a lock file shoprel cannot tell for its own "
        f"({why}); delete it if nothing uses it, or choose another output")
    assert lock.read_text() == held


@pytest.mark.parametrize(("held", "why"), [
    ("DEAD", "it holds pid DEAD, not running: left by an older shoprel or another program "
             "that stopped"),
    ("", "it is empty: another program's, or left by a shoprel killed as it took it where the "
         "file system refuses hard links")])
def test_a_lock_inside_a_run_folder_is_named_a_lock_with_what_it_holds(tmp_path, held, why):
    """An older shoprel's lock (a bare pid) left inside a run folder made --overwrite say only
    that the folder 'holds .shoprel-output.json.lock, which shoprel did not write there';
    now it says the file is a lock and what it holds, as a lock beside an output is told."""
    run, dead = _stamped_run(tmp_path / "a"), str(dead_pid())
    held, why = (text.replace("DEAD", dead) for text in (held, why))
    (run / ".shoprel-output.json.lock").write_text(held)
    with pytest.raises(OutputError) as caught:
        check_output_dir(run, overwrite=True)
    assert str(caught.value) == (
        f"{run}: holds .shoprel-output.json.lock, a lock file shoprel cannot tell for its own "
        f"({why}); --overwrite would delete it: delete it if nothing uses it, or choose another "
        "folder")
    (run / "notes.txt").write_text("mine")  # beside a file of the user's, named a lock too
    with pytest.raises(OutputError) as caught:
        check_output_dir(run, overwrite=True)
    assert str(caught.value) == (
        f"{run}: holds .shoprel-output.json.lock (a lock file: {why}), notes.txt, which "
        "shoprel did not write there; --overwrite would delete it: move it away or choose "
        "another folder")
    assert (run / ".shoprel-output.json.lock").read_text() == held


def test_an_unreadable_existing_output_is_said_to_be_what_it_is(tmp_path):
    """An existing output the command's guard could not read was refused as "it does not read
    as one", whatever it held: the refusal now says what the file is, by its first bytes
    where they show it (compressed data, an archive, binary data), else where and why the
    reader stopped, and what to do."""
    import gzip
    import zipfile

    from shoprel.data.records import iter_records
    from shoprel.utils.outputs import check_own_output

    files = {"junk.jsonl": bytes(range(256)) * 4, "rows.csv": gzip.compress(b"id\n1\n"),
             "notes.jsonl": b'{"id": 1}\nnot json\n', "utf16.csv": "id\n1\n".encode("utf-16"),
             "cut.parquet": b"PAR1 and nothing more", "table.jsonl": b"PAR1" + bytes(60)}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with zipfile.ZipFile(tmp_path / "book.csv", "w") as book:
        book.writestr("sheet.csv", "id\n1\n")
    said = {"junk.jsonl": "it is binary data, not text",
            "rows.csv": "it is gzip-compressed data",
            "notes.jsonl": "line 2: malformed JSON: Expecting value at column 1",
            "utf16.csv": "it is UTF-16 text",
            "cut.parquet": "not a readable Parquet file: ",
            "table.jsonl": "it is Parquet data",
            "book.csv": "it is a ZIP archive"}
    for name, why in said.items():
        with pytest.raises(OutputError) as refused:
            check_own_output(tmp_path / name, lambda path: list(iter_records(path)) and None,
                             "a predictions file", "predict")
        assert str(refused.value).startswith(
            f"{tmp_path / name}: exists and is not a predictions file (it does not read as one: "
            f"{why}"), name
        assert str(refused.value).endswith(
            "); --overwrite replaces only predict's own output: choose another name or move the "
            "file away first")


def test_the_flagged_ids_a_run_trained_with_are_never_an_output_of_noise(tmp_path, qc_runs,
                                                                         qc_demo):
    """A run trained with `noise: {flagged: FILE}` learnt from FILE (metrics.json
    noise.flagged_file) as much as from its training file; FILE, written by `noise`, passed
    noise's own-output guard, so `noise RUN --out FILE --overwrite` replaced the flags the run
    was trained with (and `distill RUN --nested` then refitted it with the new ones, silently).
    Refused now in one line naming the run and the field, the file left as it was."""
    from click.testing import CliRunner
    from tests.conftest import _train, reports_deferred

    from shoprel.cli import main

    flagged = tmp_path / "flagged.txt"
    done = CliRunner().invoke(main, ["noise", str(qc_runs[0]), "--top", "0", "--out",
                                     str(flagged)])
    assert done.exit_code == 0, done.output
    with reports_deferred():
        run = _train(qc_demo, tmp_path / "filtered", **{"noise.flagged": str(flagged),
                                                        "noise.mode": "drop"})
    assert json.loads((run / "metrics.json").read_text())["noise"]["flagged_file"] == \
        str(flagged.resolve())
    before = flagged.read_bytes()
    refusal = (f"error: {flagged}: is {flagged.resolve()}, the flagged ids the run {run} was "
               "trained with (its metrics.json noise.flagged_file); writing it would change "
               "what that run learnt from, choose another output\n")
    for option in ("--out", "--filtered-train"):
        done = CliRunner().invoke(main, ["noise", str(run), option, str(flagged),
                                         "--overwrite"])
        assert (done.exit_code, done.output) == (2, refusal)
    assert flagged.read_bytes() == before
    other = tmp_path / "flagged-again.txt"  # another name is written as before
    done = CliRunner().invoke(main, ["noise", str(run), "--top", "0", "--out", str(other)])
    assert done.exit_code == 0, done.output


def test_a_stream_is_named_by_its_ascii_digits_only():
    """'/dev/fd/²' reads as a digit to str.isdigit but not to int(): it is a file name, not a
    descriptor (a ValueError escaped before)."""
    from shoprel.utils.outputs import stream_named

    assert stream_named("/dev/fd/1") == "stdout"
    assert stream_named("/proc/self/fd/7") == "file descriptor 7"
    assert stream_named("/dev/fd/²") is None
