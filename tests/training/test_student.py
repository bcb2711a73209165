"""The student a run carries: config defaults, distilled after the run, recorded, crash-safe."""

import html
import json
import re
import shlex
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import FAST_STUDENT, FAST_TEST_PARAMS, run_report

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.errors import ConfigError, OutputError, RunDirError
from shoprel.run.folder import Run
from shoprel.run.layout import CONFIG, MANIFEST, METRICS, OOF, REPORT, STUDENT
from shoprel.run.students import carried_student
from shoprel.run.writer import replaceable_as
from shoprel.training import student as student_module
from shoprel.training.config import StudentConfig
from shoprel.training.config_reading import load_config, parse_config
from shoprel.training.distill import LEAK_CAVEAT, distill
from shoprel.training.runner import train
from shoprel.utils.output_stamp import read_stamp

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")

FAST_YAML = """folds: {k: 3}
model:
  family: fast
  params: {n_features: 65536, n_estimators: 30, n_jobs: 1}
student:
  model:
    family: fast
    params: {n_features: 65536, n_estimators: 20, n_jobs: 1, stack: false}
"""


def test_a_student_is_carried_only_when_asked(tmp_path):
    assert parse_config({}).student is None  # not even for the default model
    assert parse_config({"student": None}).student is None
    assert load_config(None, {"student": None}).student is None  # what --no-student does
    asked = load_config(None, {"student": {}})  # what --student does
    assert asked.student == StudentConfig()
    assert asked.student.model.family == "embed"
    assert asked.student.model.params["backbone"] == ["use-multilingual"]
    assert asked.student.hard_weight == 1.0  # the labels alone (training/defaults.py)
    mixed = parse_config({"model": {"family": "fast"}, "student": {"hard_weight": 0.5}})
    assert mixed.student.hard_weight == 0.5 and mixed.student.model.family == "embed"
    # the resolved config says so explicitly: reading it back gives the same
    again = parse_config(__import__("yaml").safe_load(asked.to_yaml()))
    assert again.student == asked.student
    assert "student: null" in parse_config({}).to_yaml()


def test_student_model_from_a_preset_file_and_bad_sections(tmp_path):
    preset = tmp_path / "s.yaml"
    preset.write_text("folds: {k: 9}\nmodel:\n  family: fast\n  params: {C: 0.5}\n")
    config = parse_config({"student": {"model": str(preset)}})
    assert config.student.model.family == "fast" and config.student.model.params["C"] == 0.5
    for data, message in [
        ({"student": {"model": {"family": "cross"}}}, "student.model.family: 'cross' ignores"),
        ({"student": {"model": str(tmp_path / "none.yaml")}}, "student.model: "),
        ({"student": {"hard_weight": 2}}, "student.hard_weight"),
        ({"student": {"modle": {}}}, "student.modle: unknown key"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_config(data, "my.yaml")


@pytest.mark.reads_report
def test_the_run_carries_its_student_on_the_same_folds(student_run):
    teacher = Run.open(student_run)
    student = Run.open(carried_student(teacher))
    assert student.path == student_run / STUDENT and teacher.student_dir() == student.path
    assert student.manifest["model_family"] == "fast" and student.task is teacher.task
    pd.testing.assert_series_equal(student.folds()["fold"], teacher.folds()["fold"])
    assert Run.open(student_run / STUDENT).student_dir() is None

    block = teacher.metrics()["student"]
    ours = student.metrics()
    assert block["folder"] == "student" and block["family"] == "fast"
    assert block["student_oof"]["roc_auc"] == ours["overall"]["roc_auc"]
    assert block["teacher_oof"]["roc_auc"] == teacher.metrics()["overall"]["roc_auc"]
    assert block["hard_weight"] == 1.0 and block["seconds"] > 0
    # the labels alone leak nothing, and the caveat and the report say so
    assert "learnt the labels alone" in block["caveat"]
    assert "learnt the labels alone" in run_report(student_run)
    assert ours["distillation"]["teacher"]["path"] == str(student_run.resolve())
    # the run's folds (folds.k 3 here) are the student's own: no note calls them unused
    assert "ignored" not in ours["distillation"]
    assert load_config(student.path / CONFIG).folds.k == 3
    assert load_config(student.path / CONFIG).student is None
    assert "carried student" in run_report(student_run)
    # --overwrite still knows the whole folder as shoprel's
    assert "student" in read_stamp(student_run)["entries"]


@pytest.mark.reads_report
def test_a_student_that_calls_every_row_relevant_is_said_so(tmp_path):
    """A student that learnt nothing was cut at its best out-of-fold threshold, below every
    score (default model, 600 real QC rows, 2 folds): its F1 was the all-positive answer's,
    0.8072, which train and the report put beside the run's 0.8025 as if the student were
    better. Here a fixed threshold of 0 makes the student call every row relevant."""
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML + "threshold: {mode: fixed, value: 0.0}\n", encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), "--student"])
    assert done.exit_code == 0, done.output
    said = "it calls every row relevant, so its F1 is the all-positive answer's, not a model's"
    assert said in next(line for line in done.stdout.splitlines()
                        if line.startswith("student ("))
    block = json.loads((run / METRICS).read_text(encoding="utf-8"))["student"]
    assert block["student_oof"]["predicted_positive_rate"] == 1.0
    assert block["all_relevant"] == said  # in metrics.json as distill's block has it
    assert said in html.unescape(run_report(run))
    # from Python, the result's student block says it too (it carried the rate alone)
    import shoprel

    result = shoprel.train(demo_file("QC"), tmp_path / "py", config, student=True,
                           progress=False)
    assert result.metrics["student"]["student_oof"]["predicted_positive_rate"] == 1.0
    assert result.metrics["student"]["all_relevant"] == said
    # a student cut where it calls some rows irrelevant carries no such note
    cut = tmp_path / "cut.yaml"
    cut.write_text(FAST_YAML + "threshold: {mode: fixed, value: 0.65}\n", encoding="utf-8")
    carried = shoprel.train(demo_file("QC"), tmp_path / "cut", cut, student=True,
                            progress=False).metrics["student"]
    assert carried["student_oof"]["predicted_positive_rate"] < 1.0
    assert "all_relevant" not in carried


def test_cli_train_no_student_and_overwrite(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML, encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    assert "student (fast)" in done.output and "--scorer student" in done.output
    assert re.search(r"far pairs called relevant \d+\.\d% \(run: \d+\.\d%\)", done.output)
    assert (run / STUDENT / MANIFEST).is_file()
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), "--quiet", "--overwrite",
                                     "--no-student"])
    assert done.exit_code == 0, done.output
    assert not (run / STUDENT).exists() and "student (" not in done.output
    assert "student" not in Run.open(run).metrics()
    assert load_config(run / CONFIG).student is None


def test_cli_train_student_keeps_the_configs_student(tmp_path):
    """--student with a config holding `student:` trained the default USE student instead."""
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML, encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), "--quiet", "--student"])
    assert done.exit_code == 0, done.output
    assert "student (fast)" in done.output
    assert load_config(run / CONFIG).student.model.params["n_estimators"] == 20


def test_cli_train_says_what_the_students_figures_are_worth_as_distill_does(tmp_path):
    """`shoprel distill` prints its student's caveat; `train --student` put the student's OOF
    AUC beside the run's without it, though at student.hard_weight 0.3 the soft targets came
    from teacher models that saw the student's validation rows. Said as a note on stderr, as
    distill says it, after the student's line on stdout."""
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML + "  hard_weight: 0.3\n", encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "student (fast)" in done.stdout and "optimistic" not in done.stdout
    assert _student_notes(done.stderr) == [f"note: {LEAK_CAVEAT}"]
    assert Run.open(run).metrics()["student"]["caveat"] == LEAK_CAVEAT


def test_cli_train_student_reads_the_config_once(tmp_path, monkeypatch):
    """--student on a config without `student:` read and validated the config file twice."""
    from shoprel.training import config_reading as config_module
    from shoprel.training import runner

    config = tmp_path / "c.yaml"
    config.write_text("folds: {k: 3}\nmodel: {family: fast}\n", encoding="utf-8")
    loaded, trained = [], []
    real = config_module.load_config
    monkeypatch.setattr(config_module, "load_config",
                        lambda *args, **kwargs: loaded.append(args) or real(*args, **kwargs))

    def stop(train_file, out_dir, run_config, **kwargs):
        trained.append(run_config)
        raise ConfigError("stopped before training")

    monkeypatch.setattr(runner, "train", stop)
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out",
                                     str(tmp_path / "run"), "--config", str(config), "--student"])
    assert "stopped before training" in done.output
    assert len(loaded) == 1
    [run_config] = trained
    assert run_config.student == StudentConfig() and run_config.folds.k == 3
    assert run_config == load_config(config, {"student": {}})
    own = parse_config({"student": {"hard_weight": 0.5}})
    assert own.with_student() is own  # a config's own student is kept as written


@pytest.mark.reads_report
def test_a_failed_student_keeps_the_run(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of\nmemory")

    monkeypatch.setattr(student_module, "distill", broken)
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    result = train(demo_file("QC"), tmp_path / "run", config, progress=False)
    run = Run.open(result.run_dir)
    assert result.metrics["student"]["error"] == "RuntimeError: out of memory"
    assert run.metrics()["student"] == result.metrics["student"]
    assert run.load_models() and run.student_dir() is None
    assert "its distillation failed" in (run.path / REPORT).read_text(encoding="utf-8")
    with pytest.raises(RunDirError, match="its distillation failed: RuntimeError: out of"):
        carried_student(run)
    assert not [p.name for p in run.path.iterdir() if p.name.startswith(".student")]


def test_a_student_interrupted_leaves_the_run_saying_so(tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM, which the CLI turns into it) while the student is distilled: the
    run stays whole and records why it has no student; predict's refusal names it."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(student_module, "distill", interrupted)
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    # the CLI's general line said it removed what it had not finished: the run is kept
    with pytest.raises(KeyboardInterrupt, match=r"the run .*run is complete and kept, without "
                                                r"a student.*shoprel distill .*--out"):
        train(demo_file("QC"), tmp_path / "run", config, progress=False)
    run = Run.open(tmp_path / "run")
    assert run.load_models() and run.student_dir() is None
    with pytest.raises(RunDirError, match="its distillation failed: interrupted"):
        carried_student(run)


def test_cli_train_stopped_in_the_student_still_prints_the_run(tmp_path, monkeypatch):
    """Ctrl-C while `train --student` distilled the student (default model, 600 real QC rows,
    2 folds, 140 s into the run): the run was complete and kept, yet train printed none of
    its figures, only the stop's line; a stdout sent to a log held nothing of the run. Its
    summary now comes first, then the stop's line, with no warning repeating it."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(student_module, "distill", interrupted)
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML, encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 130, done.output
    kept = Run.open(run).metrics()
    assert done.stdout.startswith(f"task QC  rows {kept['overall']['n']}  threshold "
                                  f"{kept['threshold']:.4f}  cv ")
    assert "\noverall " in done.stdout
    assert done.stdout.endswith(f"run written to {run} (report: {run / REPORT})\n")
    assert "interrupted while the student was distilled: the run" in done.stderr
    # no warning of the stop; this small model's own (it calls every row relevant) stays
    warned = [line for line in done.stderr.splitlines() if "warning" in line]
    assert all(line.startswith("warning: the run calls every row relevant") for line in warned)
    assert "Traceback" not in done.output


def test_the_student_progress_line_names_its_backbone_as_text(tmp_path, monkeypatch, capsys,
                                                               trained_runs):
    """`train --student` with the default student said "distilling the run's student (embed
    on ['use-multilingual']) into ...": the backbone list's Python repr."""
    def failed(*args, **kwargs):
        raise RuntimeError("stop here")

    run = tmp_path / "run"
    shutil.copytree(trained_runs["QC"], run)
    monkeypatch.setattr(student_module, "distill", failed)
    config = load_config(None, {**FAST_TEST_PARAMS, "student": {}})  # embed on USE
    student_module.carry_student(run, config, progress=True)
    assert (f"distilling the run's student (embed on use-multilingual) into "
            f"{run / STUDENT}") in capsys.readouterr().err


def test_the_ways_back_to_a_student_name_the_hard_weight_train_uses(tmp_path, monkeypatch,
                                                                     trained_runs):
    """Both lines that tell a user to run `shoprel distill ... --out RUN/student` left out
    --hard-weight, so distill's default 0.3 made another student than train --student's
    (the config's student.hard_weight, 1.0 unless set). They now name it."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(student_module, "distill", interrupted)
    config = load_config(None, {**FAST_TEST_PARAMS,
                                "student": {**FAST_STUDENT, "hard_weight": 0.7}})
    with pytest.raises(KeyboardInterrupt) as caught:
        train(demo_file("QC"), tmp_path / "run", config, progress=False)
    assert re.search(r"shoprel distill .* --out \S+student --hard-weight 0\.7`",
                     caught.value.note)
    with pytest.raises(RunDirError, match=r"shoprel distill .* --out \S+student "
                                          r"--hard-weight 1 \(as train --student does\)"):
        carried_student(Run.open(trained_runs["QC"]))


def _said_command(text: str, ending: str) -> list[str]:
    """The `shoprel distill ...` a line tells its user to run, split as a shell splits it."""
    return shlex.split(re.search(rf"(shoprel distill .+?){ending}", text)[1])


def test_the_distill_commands_said_run_as_written(tmp_path, monkeypatch):
    """The lines that tell a user how to give a run its student (train --student stopped in
    it; predict --scorer student of a run whose student failed) said `--student FILE` and
    `--student STUDENT.yaml`, files no run holds (its student is its config.yaml's student:
    section), and left a folder's space unquoted: pasted, neither ran, and the second said
    --hard-weight 1 of a config's student.hard_weight 0.7. Each now runs as written (distill
    without --student trains the student the run's config names) and gives the run the
    student train --student gives it: its config and its OOF figures are the same."""
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML + "  hard_weight: 0.7\n", encoding="utf-8")
    folder = tmp_path / "my runs"
    carried = folder / "carried"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(carried),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output
    real = student_module.distill
    for stop, way in ((KeyboardInterrupt, "train"), (RuntimeError, "predict")):
        def stopped(*args, stop=stop, **kwargs):
            raise stop("out of memory")

        monkeypatch.setattr(student_module, "distill", stopped)
        run = folder / way
        done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                         "--config", str(config), "--quiet"])
        monkeypatch.setattr(student_module, "distill", real)
        if way == "predict":
            assert done.exit_code == 0, done.output
            done = CliRunner().invoke(main, ["predict", str(run), str(demo_file("QC")),
                                             "--out", str(tmp_path / "p.jsonl"),
                                             "--scorer", "student"])
            command = _said_command(done.stderr, r" \(as train --student does\)")
        else:
            assert done.exit_code == 130, done.output
            command = _said_command(done.stderr, "`")
        assert command == ["shoprel", "distill", str(run), "--out", str(run / STUDENT),
                           "--hard-weight", "0.7"]
        done = CliRunner().invoke(main, command[1:] + ["--quiet"])
        assert done.exit_code == 0, done.output
        ours, theirs = (Run.open(r).metrics()["student"] for r in (run, carried))
        assert ours["hard_weight"] == 0.7 and ours["student_oof"] == theirs["student_oof"]
        assert (run / STUDENT / CONFIG).read_text(encoding="utf-8") == \
            (carried / STUDENT / CONFIG).read_text(encoding="utf-8")


def test_the_distill_that_makes_a_carried_student_again_runs_as_printed(student_run,
                                                                          tmp_path):
    """The command that makes a carried student again (its backbone changed since:
    Run.retrain_command) said `--student STUDENT.yaml ... with STUDENT.yaml a copy of
    RUN/student/config.yaml made outside RUN/student`: pasted as printed, distill found no
    STUDENT.yaml. It names the student's own config.yaml, read before the folder holding it
    is replaced, and pasted, it makes that student again: one distilled from another config
    than the run's student: section (at --hard-weight 0.4), not the one the run names."""
    run = tmp_path / "my runs" / "run"
    shutil.copytree(student_run, run)
    other = tmp_path / "other.yaml"
    other.write_text(json.dumps({"model": {**FAST_STUDENT["model"], "params": {
        **FAST_STUDENT["model"]["params"], "n_estimators": 20}}}), encoding="utf-8")
    distill(run, other, run / STUDENT, hard_weight=0.4, overwrite=True, progress=False,
            speed_rows=0)
    student = run / STUDENT
    config, oof = (student / CONFIG).read_text(encoding="utf-8"), student_oof(student)
    said = Run.open(student).retrain_command()
    assert said.startswith("`") and said.endswith("`"), said
    command = shlex.split(said.strip("`"))
    assert command == ["shoprel", "distill", str(run), "--student", str(student / CONFIG),
                       "--out", str(student), "--hard-weight", "0.4", "--overwrite"]
    done = CliRunner().invoke(main, [*command[1:], "--quiet", "--speed-rows", "0"])
    assert done.exit_code == 0, done.output
    assert Run.open(run).student_dir() == student
    assert Run.open(run).metrics()["student"]["hard_weight"] == 0.4
    assert (student / CONFIG).read_text(encoding="utf-8") == config
    assert student_oof(student) == oof


def student_oof(run) -> list:
    return pd.read_parquet(run / OOF)["probability"].round(12).tolist()


def test_distill_without_a_student_config_refuses_an_ensemble(trained_runs, tmp_path):
    """An ensemble's config names no student for distill to take: said in one line."""
    ensemble, other = tmp_path / "ens", tmp_path / "other"
    train(demo_file("QC"), other, load_config(None, {**FAST_TEST_PARAMS,
                                                     "model.params.stack": False}),
          progress=False)
    done = CliRunner().invoke(main, ["ensemble", str(trained_runs["QC"]), str(other), "--out",
                                     str(ensemble)])
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["distill", str(ensemble), "--out", str(tmp_path / "s")])
    assert done.exit_code == 2 and "Traceback" not in done.output
    # it said `--student FILE`, a file no one had written, where the advice on scoring with a
    # student (below) names the preset of train --student's student
    assert done.stderr == (f"error: --student: {ensemble} is an ensemble, whose config names "
                           "no student: give --student embed-use (train --student's student) "
                           "or another student's run config\n")
    import shoprel

    with pytest.raises(ConfigError) as said:  # from Python, in the call's words
        shoprel.distill_student(ensemble, None, tmp_path / "s", progress=False)
    assert str(said.value) == (f"student: {ensemble} is an ensemble, whose config names no "
                               "student: give student='embed-use' (train(..., student=True)'s "
                               "student) or another student's run config")
    with pytest.raises(RunDirError) as said:
        carried_student(Run.open(ensemble))
    # it said `--student STUDENT.yaml`, a file no one had written, and "trained without
    # `train --student`" of an ensemble no train made: the preset of train --student's student
    assert str(said.value) == (
        f"{ensemble}: carries no distilled student (an ensemble carries one only once one is "
        f"distilled for it); score with --scorer full, or distil one: shoprel distill "
        f"{ensemble} --student embed-use --out {ensemble / 'student'} --hard-weight 1 (as "
        "train --student does)")
    assert load_config("embed-use").model == StudentConfig().model
    with pytest.raises(RunDirError) as said:  # from Python, the call, its student the same
        shoprel.Scorer(ensemble, scorer="student")
    assert str(said.value).endswith(
        f"or distil one: shoprel.distill_student('{ensemble}', 'embed-use', "
        f"'{ensemble / 'student'}', hard_weight=1) (as train(..., student=True) does)")


def test_a_student_interrupted_from_python_names_the_call_that_gives_it_one(tmp_path,
                                                                           monkeypatch):
    """shoprel.train(..., student=True) stopped while the student was distilled told a Python
    caller to run `shoprel distill RUN --student FILE --out ... --hard-weight ...`: the API
    reworded only ShoprelErrors. Now it names shoprel.distill_student with the same values,
    still the same KeyboardInterrupt (the CLI keeps its own words: the test above)."""
    import shoprel
    from shoprel.errors import Interrupted, ShoprelError

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(student_module, "distill", interrupted)
    config = load_config(None, {**FAST_TEST_PARAMS,
                                "student": {**FAST_STUDENT, "hard_weight": 0.7}})
    run = tmp_path / "my runs" / "run"
    with pytest.raises(Interrupted) as caught:
        shoprel.train(demo_file("QC"), run, config, progress=False, student=True)
    stop = caught.value
    assert isinstance(stop, KeyboardInterrupt) and not isinstance(stop, ShoprelError)
    assert str(stop) == stop.note
    assert (f"`shoprel.distill_student('{run}', None, '{run / STUDENT}', "
            "hard_weight=0.7)` gives it one (the config's student.hard_weight, which "
            "distill_student does not read)") in stop.note
    assert "--" not in stop.note and "shoprel distill " not in stop.note
    assert f"the run {run} is complete and kept, without a student" in stop.note
    monkeypatch.undo()  # the call as said gives the run its student, as train would have
    call = re.search(r"`(shoprel\.distill_student\([^`]+\))`", stop.note)[1]
    eval(call, {"shoprel": shoprel})  # noqa: S307 (the text under test is the call)
    assert Run.open(run).student_dir() == run / STUDENT
    assert Run.open(run).metrics()["student"]["hard_weight"] == 0.7


def test_a_student_stopped_once_in_place_is_not_used(trained_runs, tmp_path, qc_demo,
                                                     monkeypatch):
    """Ctrl-C after the student was moved into RUN/student but before the run listed it: the
    line said the unfinished one was removed, yet it stayed and --scorer student used it
    while metrics.json called it failed. Now the line says it is left unused, and scoring
    refuses it (a distill rerun replaces it: the test of a stopped distill below)."""
    import shoprel.training.distill as distill_module

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    run = tmp_path / "run"
    shutil.copytree(trained_runs["QC"], run)
    monkeypatch.setattr(distill_module, "record_carried", stopped)
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    with pytest.raises(KeyboardInterrupt) as caught:
        student_module.carry_student(run, config, progress=False)
    assert "the one left in place is not used" in caught.value.note
    assert "removed" not in caught.value.note
    assert (run / STUDENT / MANIFEST).is_file()  # left there, as said
    assert Run.open(run).metrics()["student"]["error"].startswith("interrupted")
    assert Run.open(run).student_dir() is None
    with pytest.raises(RunDirError, match=r"its distillation failed: interrupted .*the student "
                                          r"left in .*student is not used.*shoprel distill"):
        carried_student(Run.open(run))
    done = CliRunner().invoke(main, ["predict", str(run), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl"), "--scorer", "student"])
    assert done.exit_code != 0 and not (tmp_path / "p.jsonl").exists()
    assert "carries no distilled student" in done.output and "Traceback" not in done.output


@pytest.mark.reads_report
def test_shoprel_distill_gives_a_run_its_student_later(student_run, tmp_path):
    """The way back after a failed or killed student: distil into RUN/student."""
    run = tmp_path / "run"
    shutil.copytree(student_run, run)
    shutil.rmtree(run / STUDENT)
    preset = tmp_path / "s.yaml"
    preset.write_text(json.dumps(FAST_STUDENT), encoding="utf-8")
    distill(run, preset, run / STUDENT, hard_weight=0.5, progress=False, speed_rows=0)
    block = Run.open(run).metrics()["student"]
    assert block["hard_weight"] == 0.5 and Run.open(run).student_dir() is not None
    # soft targets from a teacher that saw every fold: the report says the OOF is optimistic
    assert "optimistic" in block["caveat"]
    assert "student OOF is optimistic" in (run / REPORT).read_text(encoding="utf-8")
    with pytest.raises(OutputError, match="overlaps"):  # anywhere else in the run: refused
        distill(run, preset, run / "other", progress=False, speed_rows=0)


def _metrics_and_report(run_dir) -> dict:
    return {name: (run_dir / name).read_bytes() for name in (METRICS, REPORT)}


@pytest.mark.reads_report
def test_a_failure_recorded_while_the_report_renders_leaves_both_as_they_were(
        student_run, tmp_path, monkeypatch):
    """A stop while the report said why the run has no student left metrics.json with the
    error beside a report.html without it: now neither is written until both are ready."""
    import shoprel.evaluate.report.document as document

    run = tmp_path / "run"
    shutil.copytree(student_run, run)
    shutil.rmtree(run / STUDENT)
    before = _metrics_and_report(run)
    render = document.render_report
    stop = [True]

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    def broken(*args, **kwargs):
        if stop.pop():
            monkeypatch.setattr(document, "render_report", stopped)
        raise RuntimeError("out of memory")

    monkeypatch.setattr(student_module, "distill", broken)
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    with pytest.raises(KeyboardInterrupt):
        student_module.carry_student(run, config, progress=False)
    assert _metrics_and_report(run) == before
    stop.append(False)
    monkeypatch.setattr(document, "render_report", render)  # asked again: both say it
    block = student_module.carry_student(run, config, progress=False)
    assert json.loads((run / METRICS).read_text())["student"] == block
    assert "its distillation failed" in (run / REPORT).read_text(encoding="utf-8")


@pytest.mark.reads_report
def test_a_carried_student_recorded_while_the_report_renders_leaves_both_as_they_were(
        student_run, tmp_path, monkeypatch):
    """distill --out RUN/student stopped while the teacher's report rendered left its
    metrics.json listing the student beside a report.html without it: now neither changes."""
    import shoprel.evaluate.report.document as document
    import shoprel.training.distill as distill_module

    run = tmp_path / "run"
    shutil.copytree(student_run, run)
    shutil.rmtree(run / STUDENT)
    (run / METRICS).write_text(json.dumps(
        {k: v for k, v in Run.open(run).metrics().items() if k != "student"}))
    before = _metrics_and_report(run)
    summary = distill_module.carried_summary

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    def summary_then_stop(*args, **kwargs):  # the student is trained; the teacher's turn
        monkeypatch.setattr(document, "render_report", stopped)
        return summary(*args, **kwargs)

    monkeypatch.setattr(distill_module, "carried_summary", summary_then_stop)
    preset = tmp_path / "s.yaml"
    preset.write_text(json.dumps(FAST_STUDENT), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        distill(run, preset, run / STUDENT, progress=False, speed_rows=0)
    assert _metrics_and_report(run) == before
    assert "student" not in json.loads(before[METRICS])


def test_a_student_stopped_before_its_teacher_listed_it_is_replaced_by_the_rerun(
        trained_runs, tmp_path, monkeypatch):
    """distill --out RUN/student stopped between moving the student in place and the teacher
    recording it: the rerun said it already existed, and the teacher's --overwrite took it for
    a folder of the user's. Now both know it as shoprel's; a folder the user put there is
    still refused."""
    import shoprel.training.distill as distill_module

    run = tmp_path / "run"
    shutil.copytree(trained_runs["QC"], run)
    preset = tmp_path / "s.yaml"
    preset.write_text(json.dumps(FAST_STUDENT), encoding="utf-8")
    record = distill_module.record_carried

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(distill_module, "record_carried", stopped)
    with pytest.raises(KeyboardInterrupt):
        distill(run, preset, run / STUDENT, progress=False, speed_rows=0)
    monkeypatch.setattr(distill_module, "record_carried", record)
    assert Run.open(run / STUDENT) and "student" not in Run.open(run).metrics()
    replaceable_as("run")(run)  # the teacher's --overwrite may replace it, student and all
    (run / STUDENT / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"holds notes\.txt, which shoprel did not write"):
        replaceable_as("run")(run)  # but not a file of the user's put inside it
    (run / STUDENT / "notes.txt").unlink()
    left = (run / STUDENT / MANIFEST).read_text(encoding="utf-8")

    distill(run, preset, run / STUDENT, hard_weight=0.5, progress=False, speed_rows=0)
    assert Run.open(run).metrics()["student"]["hard_weight"] == 0.5
    assert (run / STUDENT / MANIFEST).read_text(encoding="utf-8") != left
    with pytest.raises(OutputError, match="already exists"):  # now listed: its own is kept
        distill(run, preset, run / STUDENT, progress=False, speed_rows=0)

    shutil.rmtree(run / STUDENT)
    (run / STUDENT).mkdir()
    (run / STUDENT / "notes.txt").write_text("mine", encoding="utf-8")
    (run / METRICS).write_text(json.dumps(
        {k: v for k, v in Run.open(run).metrics().items() if k != "student"}))
    with pytest.raises(OutputError, match="already exists"):
        distill(run, preset, run / STUDENT, progress=False, speed_rows=0)
    assert (run / STUDENT / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_train_student_refuses_a_student_that_is_the_run_again(tmp_path):
    """A USE run with --student trained the same model twice (identical AUC and F1, +1,040 s on
    real QC); it is refused before anything is read or written."""
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(out),
                                     "--config", "configs/embed-use.yaml", "--student",
                                     "--quiet"])
    assert done.exit_code != 0
    [line] = done.output.strip().splitlines()
    assert "student: the student would be the run's own model (embed on use-multilingual" in line
    assert "drop --student" in line
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # a config's own student section written as the run's model: located in the file
    config = tmp_path / "same.yaml"
    config.write_text("folds: {k: 3}\nmodel:\n  family: fast\n  params: {n_estimators: 20}\n"
                      "student:\n  model:\n    family: fast\n    params: {n_estimators: 20}\n",
                      encoding="utf-8")
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(out),
                                     "--config", str(config), "--quiet"])
    assert done.exit_code != 0 and "same.yaml: line 5: student: the student would be" in done.output
    assert not out.exists()


@pytest.mark.parametrize("change", [
    {"student.hard_weight": 0.5},  # learns the run's OOF probabilities too
    {"student.model.params.n_estimators": 30},  # another model
    {"augment.easy_negatives": 1.0},  # the run's training side, which the student lacks
    {"noise.inner_folds": 3},
    {"final.refit_full": False},
])
def test_a_student_that_differs_from_the_run_is_not_refused(change):
    from shoprel.training.student import check_student_differs

    same = {"model.family": "fast", "model.params.n_estimators": 20,
            "student": {"model": {"family": "fast", "params": {"n_estimators": 20}}}}
    with pytest.raises(ConfigError, match="the run's own model"):
        check_student_differs(load_config(None, same))
    check_student_differs(load_config(None, {**same, **change}))


@pytest.mark.parametrize("run, student", [
    ({"model.family": "fast"}, {"family": "fast", "params": {"n_jobs": 1}}),
    ({"model.family": "embed", "model.params.backbone": "use-multilingual"},
     {"family": "embed", "params": {"backbone": "use-multilingual", "cache_dir": "elsewhere",
                                    "batch_size": 8, "n_jobs": 4}}),
])
def test_a_student_apart_from_the_run_only_in_how_it_runs_is_refused(run, student):
    """Threads, caches, progress and checkpoints change how a fit runs, not the model it fits:
    a student apart from its run only in those trained the run's model again, unrefused."""
    from shoprel.training.student import check_student_differs

    with pytest.raises(ConfigError, match="the run's own model"):
        check_student_differs(load_config(None, {**run, "student": {"model": student}}))


def test_runs_apart_only_in_how_a_fine_tuning_runs_fit_the_same_model():
    """The fine-tuned families' runtime params, stage 0's included; how long it trains is not
    one of them."""
    def fitted(params: dict, stage0: dict) -> dict:
        return load_config(None, {"model.family": "cross", "model.params": params,
                                  "stage0.data": "other.txt", "stage0.params": stage0}
                           ).as_fitted()

    same = fitted({}, {"epochs": 2})
    assert fitted({"n_threads": 1, "checkpoint_dir": "ck", "inference_batch_size": 8},
                  {"epochs": 2, "progress": True, "keep_checkpoints": True}) == same
    assert fitted({}, {"epochs": 3}) != same and fitted({"epochs": 2}, {"epochs": 2}) != same


@pytest.mark.parametrize("change", [
    {"engine": "onnx-int8"},  # other vectors (their own fingerprint and cache)
    {"similarity_seeds": 2},
])
def test_a_param_that_changes_the_model_still_makes_another_student(change):
    from shoprel.training.student import check_student_differs

    params = {"backbone": "embeddinggemma-300m"}
    config = load_config(None, {"model.family": "embed", "model.params": params,
                                "student": {"model": {"family": "embed",
                                                      "params": {**params, **change}}}})
    check_student_differs(config)


def test_cli_train_student_progress_line_goes_to_stderr(tmp_path):
    """`train --student` printed 'distilling the run's student ...' on stdout, among the
    results a user redirects to a file; it is progress, so it goes with the bars."""
    config = tmp_path / "c.yaml"
    config.write_text(FAST_YAML, encoding="utf-8")
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out",
                                     str(tmp_path / "run"), "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert "distilling the run's student (fast) into" in done.stderr
    assert "distilling" not in done.stdout and "student (fast)" in done.stdout


OWN_MODEL_YAML = """folds: {k: 3}
model:
  family: fast
  params: {n_features: 65536, n_estimators: 30, n_jobs: 1}
student:
  model:
    family: fast
    params: {n_features: 65536, n_estimators: 30, n_jobs: 1}
  hard_weight: 0.3
"""
# what distill says of a student of its teacher's own model, up to its way on
OWN_MODEL_SAID = ("the student is the model of {run} (fast) learning from its out-of-fold "
                  "probabilities: on new queries such a student ranked below its teacher (fast "
                  "from fast at student.hard_weight 0.3: ROC-AUC 0.6664 and 0.6542 against "
                  "0.6744 and 0.6766 on two query splits, docs/measurements-qc.md); give the "
                  "student another model (student.model), or ")


def _student_notes(stderr: str) -> list[str]:
    """The note lines about the student (a busy machine may add its own)."""
    return [line for line in stderr.splitlines()
            if line.startswith("note: ") and "student" in line]


@pytest.mark.parametrize("quiet", [False, True])
def test_train_student_says_a_student_of_the_runs_own_model_in_trains_words(tmp_path, quiet):
    """`shoprel distill` says before the work that a student of the teacher's own model below
    hard weight 1 ranked below its teacher on new queries; train --student distils its student
    through distill without a `say`, so the same student carried by a run went unsaid. It is
    said now, naming the config's student section: train has no --hard-weight, and its
    --student is a switch, so distill's "give --student another model" would mislead."""
    config = tmp_path / "c.yaml"
    config.write_text(OWN_MODEL_YAML, encoding="utf-8")
    run = tmp_path / "run"
    done = CliRunner().invoke(main, ["train", str(demo_file("QC")), "--out", str(run),
                                     "--config", str(config), *(["--quiet"] if quiet else [])])
    assert done.exit_code == 0, done.output
    assert (run / STUDENT / MANIFEST).is_file()
    assert _student_notes(done.stderr) == ([] if quiet else [
        "note: " + OWN_MODEL_SAID.format(run=run)
        + "drop --student (or the config's student: section)", f"note: {LEAK_CAVEAT}"])


@pytest.mark.parametrize("progress", [True, False])
def test_train_from_python_says_a_student_of_the_runs_own_model_in_pythons_words(
        tmp_path, capsys, progress):
    """The same note from shoprel.train(..., student=True), in Python's words (student=False,
    not --student); progress=False silences it, as it silences distill_student's. A student
    learning the labels alone (the default hard weight 1) hears no note: distill's "the
    teacher teaches nothing" names distill's options, and the labels alone are what a carried
    student is meant to learn."""
    import shoprel

    config = load_config(None, {**FAST_TEST_PARAMS, "student": {
        "model": {"family": "fast", "params": {"n_features": 2**16, "n_estimators": 60}},
        "hard_weight": 0.3}})
    shoprel.train(demo_file("QC"), tmp_path / "own", config, progress=progress, student=True)
    assert _student_notes(capsys.readouterr().err) == ([
        "note: " + OWN_MODEL_SAID.format(run=tmp_path / "own")
        + "give student=False (or drop the config's student section)"] if progress else [])
    if progress:  # another model on the labels alone: nothing to say before its work
        shoprel.train(demo_file("QC"), tmp_path / "labels",
                      {**FAST_TEST_PARAMS, "student": FAST_STUDENT}, progress=True)
        assert _student_notes(capsys.readouterr().err) == []


def test_a_failed_students_error_returned_to_python_names_the_keywords(tmp_path, monkeypatch):
    """shoprel.train of a run carrying a student returns why the student failed in
    result.metrics["student"]["error"], which kept the command's words (distill's refusals
    name its options) while the student's caveat beside it was reworded. The failure here is
    distill's own refusal of a nested student at hard weight 1; metrics.json, which `shoprel
    train` and the report read, keeps the command's words."""
    import functools

    import shoprel
    from shoprel.training.distill import NESTED_AT_ONE

    monkeypatch.setattr(student_module, "distill", functools.partial(distill, nested=True))
    config = load_config(None, {**FAST_TEST_PARAMS, "student": FAST_STUDENT})
    result = shoprel.train(demo_file("QC"), tmp_path / "run", config, progress=False)
    assert result.metrics["student"]["error"] == (
        "ConfigError: nested=True: at hard_weight 1 every labelled row's target is its label, "
        "which the teacher's refits would not change; drop nested=True, or give hard_weight "
        "below 1")
    run = Run.open(result.run_dir)
    assert run.metrics()["student"]["error"] == f"ConfigError: --nested: {NESTED_AT_ONE}"
    assert run.load_models() and run.student_dir() is None
