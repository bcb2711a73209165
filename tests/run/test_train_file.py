"""A run whose training file has moved: noise, distill (--nested too) and far-pairs take its new
place with --train, accepted only for the same data; the gone-file error names --train."""

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import reports_deferred

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.training.config_reading import load_config
from shoprel.training.runner import train

pytestmark = pytest.mark.usefixtures("no_report_charts")

FAST = {"folds.k": 3, "model.family": "fast", "model.params.n_features": 2**14,
        "model.params.n_estimators": 20, "model.params.n_jobs": 1, "check.far_pairs": 0,
        "student": None}
STUDENT = """model:
  family: fast
  params: {n_features: 16384, n_estimators: 20, n_jobs: 1, stack: false}
"""


def shoprel(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def oof_of(run) -> list:
    return pd.read_parquet(run / "oof.parquet")["probability"].round(12).tolist()


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """A run of the 360 real demo QC rows, its noise, nested student and far pairs as they were
    before its training file moved from old/ to new/."""
    root = tmp_path_factory.mktemp("moved")
    (root / "old").mkdir()
    data = root / "old" / "train.jsonl"
    shutil.copyfile(demo_file("QC"), data)
    (root / "student.yaml").write_text(STUDENT, encoding="utf-8")
    with reports_deferred():
        run = train(data, root / "run", load_config(None, FAST), progress=False).run_dir
        noise = shoprel("noise", run, "--top", "3", "--out", root / "before.txt")
        student = shoprel("distill", run, "--student", root / "student.yaml", "--out",
                          root / "s_before", "--nested", "--speed-rows", "0", "--quiet")
        far = shoprel("far-pairs", run, "--pairs", "60", "--quiet")
    assert noise.exit_code == student.exit_code == far.exit_code == 0, far.output
    before = json.loads((run / "metrics.json").read_text())["far_pairs"]
    (root / "new").mkdir()
    data.rename(root / "new" / "train.jsonl")
    return {"root": root, "run": run, "new": root / "new" / "train.jsonl", "noise": noise.output,
            "far": before}


def test_a_gone_training_file_is_said_with_train_as_the_way_on(moved):
    from shoprel.api import noisy_rows

    for args in (["noise", moved["run"]], ["far-pairs", moved["run"]],
                 ["distill", moved["run"], "--student", moved["root"] / "student.yaml",
                  "--out", moved["root"] / "gone"]):
        done = shoprel(*args)
        assert done.exit_code != 0 and "old/train.jsonl" in done.output
        assert "if it has moved, name its new place with --train FILE" in done.output, args
    with pytest.raises(Exception, match="name its new place with train=PATH"):
        noisy_rows(moved["run"])


def test_noise_and_far_pairs_read_the_moved_file_as_before(moved):
    root, run = moved["root"], moved["run"]
    done = shoprel("noise", run, "--top", "3", "--out", root / "after.txt", "--train",
                   moved["new"])
    assert done.exit_code == 0, done.output
    assert done.output.replace("after.txt", "before.txt") == moved["noise"]
    assert (root / "after.txt").read_text() == (root / "before.txt").read_text()
    with reports_deferred():
        far = shoprel("far-pairs", run, "--pairs", "60", "--quiet", "--train", moved["new"])
    assert far.exit_code == 0, far.output
    assert json.loads((run / "metrics.json").read_text())["far_pairs"] == moved["far"]


def test_a_nested_student_of_the_moved_file_is_the_one_before(moved):
    root = moved["root"]
    with reports_deferred():
        done = shoprel("distill", moved["run"], "--student", root / "student.yaml", "--out",
                       root / "s_after", "--nested", "--speed-rows", "0", "--quiet",
                       "--train", moved["new"])
    assert done.exit_code == 0, done.output
    assert oof_of(root / "s_after") == oof_of(root / "s_before")
    recorded = json.loads((root / "s_after" / "metrics.json").read_text())["data"]
    assert recorded["train_file"] == str(moved["new"].resolve())


def test_other_data_at_the_new_place_is_refused_naming_both_files(moved):
    root = moved["root"]
    rows = moved["new"].read_text(encoding="utf-8").splitlines(keepends=True)
    edited = root / "edited.jsonl"
    row = json.loads(rows[5])
    row["label"] = 1 - row["label"]  # one label: same size, same row count
    edited.write_text("".join(rows[:5] + [json.dumps(row) + "\n"] + rows[6:]), encoding="utf-8")
    for args in (["noise", moved["run"]], ["far-pairs", moved["run"]],
                 ["distill", moved["run"], "--student", root / "student.yaml", "--out",
                  root / "refused"]):
        done = shoprel(*args, "--train", edited)
        assert done.exit_code != 0
        line = done.output.strip().splitlines()[-1]
        assert f"{edited}: not the file" in line and "old/train.jsonl" in line
        assert "its SHA-256 is" in line and "the run records" in line
        assert line.endswith("(metrics.json data.train_sha256)")  # the field, as stage 0's
    assert not (root / "refused").exists()


def test_a_run_recording_no_digest_is_checked_by_its_rows_and_says_so(moved, tmp_path):
    old = tmp_path / "old_run"
    shutil.copytree(moved["run"], old)
    metrics = json.loads((old / "metrics.json").read_text())
    del metrics["data"]["train_sha256"]  # as runs written before it was recorded
    (old / "metrics.json").write_text(json.dumps(metrics))
    done = CliRunner().invoke(main, ["noise", str(old), "--top", "0", "--train",
                                     str(moved["new"])])
    assert done.exit_code == 0, done.output
    assert "records no digest of its training file" in done.stderr
    assert "checked by its row count and rows" in done.stderr

    more = tmp_path / "more.jsonl"
    extra = json.loads(moved["new"].read_text(encoding="utf-8").splitlines()[0])
    extra["id"] = 999999
    more.write_text(moved["new"].read_text(encoding="utf-8") + json.dumps(extra) + "\n",
                    encoding="utf-8")
    done = shoprel("noise", old, "--train", more)
    assert done.exit_code != 0
    assert f"{more}: not the file" in done.output and "it holds 361 rows, the run records 360 " \
        "(metrics.json data.rows)" in done.output


def test_a_file_changed_in_place_is_refused_with_train_as_the_way_on(moved):
    from shoprel.api import noisy_rows

    rows = moved["new"].read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(rows[5])
    row["label"] = 1 - row["label"]
    recorded = moved["root"] / "old" / "train.jsonl"
    recorded.write_text("".join(rows[:5] + [json.dumps(row) + "\n"] + rows[6:]), encoding="utf-8")
    try:
        for args in (["noise", moved["run"]], ["far-pairs", moved["run"]],
                     ["distill", moved["run"], "--student", moved["root"] / "student.yaml",
                      "--out", moved["root"] / "changed"]):
            done = shoprel(*args)
            assert done.exit_code != 0
            assert "1 row(s) of" in done.output and "differ from those the run was trained on" \
                in done.output and "name the file it was trained on with --train FILE" \
                in done.output, args
        with pytest.raises(Exception, match="trained on with train=PATH"):
            noisy_rows(moved["run"])
    finally:
        recorded.unlink()


def test_from_python_a_moved_file_is_named_with_train_and_what_was_checked_is_kept(moved,
                                                                                   tmp_path):
    from shoprel.api import distill_student, noisy_rows

    old = tmp_path / "old_run"
    shutil.copytree(moved["run"], old)
    metrics = json.loads((old / "metrics.json").read_text())
    del metrics["data"]["train_sha256"]
    (old / "metrics.json").write_text(json.dumps(metrics))
    assert "checked by its row count" in noisy_rows(old, train=moved["new"]).note
    assert noisy_rows(moved["run"], train=moved["new"]).note is None
    with reports_deferred():
        result = distill_student(moved["run"], moved["root"] / "student.yaml", tmp_path / "s",
                                 speed_rows=0, progress=False, train=moved["new"])
    assert result.metrics["distillation"]["moved_train_file"] == {
        "recorded": str(moved["root"] / "old" / "train.jsonl"),
        "read": str(moved["new"].resolve()),
        "checked": "its SHA-256 is the one the teacher records"}


def test_a_run_naming_no_training_file_is_said_so_beside_a_missing_train(moved, tmp_path):
    bare = tmp_path / "bare_run"
    shutil.copytree(moved["run"], bare)
    metrics = json.loads((bare / "metrics.json").read_text())
    del metrics["data"]["train_file"], metrics["data"]["train_sha256"]
    (bare / "metrics.json").write_text(json.dumps(metrics))
    done = shoprel("noise", bare, "--train", tmp_path / "nope.jsonl")
    assert done.exit_code != 0
    assert done.output.strip().endswith(f"nope.jsonl: no such file (--train, the new place of "
                                        f"{bare}'s training file unrecorded)")


def test_the_distill_again_of_a_student_read_from_a_moved_file_runs_as_written(moved, tmp_path):
    """The command a distilled student gives to be made again (a backbone changed since:
    Run.retrain_command) left out --train for a teacher whose training file had moved,
    so distill could not find the rows the student was made from, and left a folder's space
    unquoted, so a shell split it. Both are in it now: pasted (NEW_RUN named), it runs."""
    import shlex

    from shoprel.run.folder import Run

    first = tmp_path / "my runs" / "s"
    done = shoprel("distill", moved["run"], "--student", moved["root"] / "student.yaml",
                   "--out", first, "--train", moved["new"], "--speed-rows", "0", "--quiet")
    assert done.exit_code == 0, done.output
    said = Run.open(first).retrain_command()
    command = shlex.split(said.strip("`"))
    assert command == ["shoprel", "distill", str(moved["run"].resolve()), "--student",
                       str(first / "config.yaml"), "--out", "NEW_RUN", "--hard-weight", "0.3",
                       "--train", str(moved["new"].resolve())]
    command[command.index("NEW_RUN")] = str(tmp_path / "my runs" / "again")
    again = shoprel(*command[1:], "--speed-rows", "0", "--quiet")
    assert again.exit_code == 0, again.output
    assert oof_of(tmp_path / "my runs" / "again") == oof_of(first)
    # a run trained in a folder with a space: its train command keeps the folder one word
    teacher = tmp_path / "my runs" / "t"
    shutil.copytree(moved["run"], teacher)
    assert shlex.split(Run.open(teacher).retrain_command().strip("`"))[2:5] == [
        str(moved["root"] / "old" / "train.jsonl"), "--config", str(teacher / "config.yaml")]
