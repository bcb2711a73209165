"""The CLI end to end, as a user runs it: separate processes, real files. Where a test walks
one refusal's wording through many command lines, each command refuses in a process of its own
at least once in this module (its stderr that one line and nothing else: no import's warning,
no log line), and the rest of the lines run in this process (run_here): seconds a process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import UNRENDERED, UNRENDERED_SHOPREL, linked_view, reports_deferred

from shoprel.cli import main
from shoprel.demo import demo_file
from shoprel.models.backbones.cache import CACHE_ENV

SHOPREL = [sys.executable, "-m", "shoprel.cli"]


def run(*args, cwd=None, check=True, env=None, reports=True):
    """`shoprel ARGS` in a process of its own; reports=False: its runs' report.html is
    UNRENDERED (seconds of charts that the test never reads)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    command = SHOPREL if reports else UNRENDERED_SHOPREL
    done = subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def run_here(*args, check=True) -> subprocess.CompletedProcess:
    """`shoprel ARGS` run in this process (click's CliRunner), its outcome as run gives it: for
    a line whose command refuses in a process of its own elsewhere in this module."""
    result = CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)
    if check and result.exit_code != 0:
        raise AssertionError(f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}")
    return subprocess.CompletedProcess(["shoprel", *args], result.exit_code, result.stdout,
                                       result.stderr)


def test_train_predict_check_evaluate_report(tmp_path):
    """The commands chained as a user runs them, each its own process. The fast model: the
    default one (EmbeddingGemma) through the CLI is test_demo's."""
    config = tmp_path / "small.yaml"
    config.write_text("model:\n  family: fast\n  params:\n    n_features: 65536\n"
                      "    n_estimators: 60\n")
    out = run("train", demo_file("QI"), "--out", tmp_path / "run", "--folds", "3",
              "--config", config, "--no-student", "--quiet", reports=False).stdout
    assert "task QI" in out and "overall" in out and "base F1" in out
    run("predict", tmp_path / "run", demo_file("QI"), "--out", tmp_path / "sub.txt", "--quiet")
    checked = run("check-submission", tmp_path / "sub.txt", "--input", demo_file("QI"))
    assert "ok: 360 rows" in checked.stdout
    table = run("evaluate", tmp_path / "sub.txt", demo_file("QI")).stdout
    assert "overall" in table and "th" in table
    metrics = json.loads(run("evaluate", tmp_path / "sub.txt", demo_file("QI"), "--json").stdout)
    assert metrics["overall"]["n"] == 360 and metrics["overall"]["roc_auc"] > 0.8
    assert (tmp_path / "run" / "report.html").read_text() == UNRENDERED  # train's, unread
    (tmp_path / "run" / "report.html").unlink()
    run("report", tmp_path / "run")
    assert (tmp_path / "run" / "report.html").read_text().count("<svg") >= 5


def test_errors_are_one_clear_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text('{"id": 1, "origin_query": "a", "category_path": "x", "label": 5}\n')
    done = run("train", bad, "--out", tmp_path / "run", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: {bad}, line 1, field 'label': label must be 0 or 1, "
                                   "got 5")
    done = run("predict", tmp_path / "nowhere", demo_file("QC"), "--out", tmp_path / "o.txt",
               check=False)
    assert done.returncode == 2 and "run directory not found" in done.stderr
    # the others in this process: train and predict refuse in processes of their own above
    config = tmp_path / "c.yaml"
    config.write_text("folds:\n  kk: 3\n")
    done = run_here("train", demo_file("QC"), "--out", tmp_path / "run", "--config", config,
                    check=False)
    assert done.returncode == 2 and "folds.kk: unknown key" in done.stderr
    done = run_here("predict", tmp_path / "nowhere", demo_file("QC"), "--out",
                    tmp_path / "o.txt", "--num-actors", "3",
                    check=False)  # a Ray option on the local engine
    assert done.returncode == 2 and "--num-actors: only with --engine ray" in done.stderr
    done = run_here("train", demo_file("QC"), "--out", tmp_path / "run", "--curve-fractions",
                    "0.3", check=False)  # shares without the curve
    assert done.returncode == 2 and "--curve-fractions: only with --learning-curve" in done.stderr
    done = run_here("predict", tmp_path / "nowhere", demo_file("QC"), "--out",
                    tmp_path / "o.txt", "--cascade-share", "0.5",
                    check=False)  # a cascade option on the full scorer
    assert done.returncode == 2 and "--cascade-share: only with --scorer cascade" in done.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "o.txt").exists()


def test_python_m_shoprel_cli_names_its_commands_shoprel():
    """`python -m shoprel.cli` says `shoprel` in its errors and help, as `python -m shoprel`
    and the installed command do, not the launcher's `python -m shoprel.cli`."""
    done = run("trian", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: shoprel: no such command 'trian'; did you mean "
                                   "'train'? (shoprel --help)")
    assert run("train", "--help").stdout.startswith("Usage: shoprel train ")


def test_check_submission_fails_with_problems(tmp_path):
    sub = tmp_path / "sub.txt"
    sub.write_text('{"id": 1, "prediction": 3}\n')
    done = run("check-submission", sub, "--input", demo_file("QC"), check=False)
    assert done.returncode == 1
    assert "field 'prediction'" in done.stderr and "1 row, but" in done.stderr


def test_a_table_of_both_tasks_rows_is_one_line_for_train_predict_and_evaluate(tmp_path,
                                                                               trained_runs):
    """A CSV of QC and QI rows (both target columns, the other task's cell empty): with the
    task given, train trained its QI rows as QC rows of an empty category path and predict
    scored them so, with a note on empty texts alone. Each command now refuses the file in one
    line naming its first QI row and what to do, and writes nothing."""
    import pandas as pd

    qc = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:20]]
    qi = [json.loads(line) for line in demo_file("QI").read_text().splitlines()[:20]]
    mixed = tmp_path / "mixed.csv"
    pd.DataFrame([{k: v for k, v in r.items() if k != "task"}
                  for r in qc + [{**r, "id": 100 + r["id"]} for r in qi]]).to_csv(mixed,
                                                                                  index=False)
    said = (f"error: {mixed}, line 22, field 'category_path': empty, while the row's item_title "
            f"holds {qi[0]['item_title'][:40] + '...'!r}: a QI row in a file read as QC; give "
            "each task's rows a file of their own\n")
    sub, predictions = tmp_path / "sub.csv", tmp_path / "predictions.csv"
    pd.DataFrame({"id": [r["id"] for r in qc] + [100 + r["id"] for r in qi],
                  "prediction": 1}).to_csv(predictions, index=False)
    for args in (("train", mixed, "--task", "QC", "--out", tmp_path / "run"),
                 ("predict", trained_runs["QC"], mixed, "--out", sub),
                 ("evaluate", predictions, mixed, "--task", "QC")):
        done = run(*args, check=False)
        assert (done.returncode, done.stderr) == (2, said), args
    assert not (tmp_path / "run").exists() and not sub.exists()


def test_a_row_s_task_field_naming_the_other_task_says_who_gave_the_task_and_what_to_do(
        tmp_path, trained_runs):
    """`predict` of a QC run on a file whose first row says `"task": "QI"` said `task is 'QI'
    but the file is QC`: the file says QI; QC is the run's, and nothing said what to do. The
    line now names what reads the file as QC (the run, --task, the row's own column) and the
    fix, for each command that gives it; predictions or a submission of QI rows against a QC
    gold file or input say what to do too."""
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:20]]
    told = tmp_path / "told.jsonl"
    told.write_text("".join(json.dumps({**r, "task": "QI"}) + "\n" for r in rows))
    plain, of_qi = tmp_path / "plain.jsonl", tmp_path / "of_qi.jsonl"
    plain.write_text("".join(json.dumps({"id": r["id"], "prediction": 1}) + "\n" for r in rows))
    of_qi.write_text("".join(json.dumps({"id": r["id"], "task": "QI", "prediction": 1}) + "\n"
                             for r in rows))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    qc_run, out = trained_runs["QC"], tmp_path / "out"
    head = f"error: {told}, line 1, field 'task': task is 'QI' but "
    given = f"{head}the task given (--task) is QC; give --task QI\n"
    for args, said in (
            (("predict", qc_run, told, "--out", out),
             f"{head}run {qc_run} scores QC pairs; predict it with a QI run\n"),
            (("train", told, "--task", "QC", "--out", out),
             f"{head}the task given (--task or the config's data.task) is QC; give --task QI "
             "(or data.task: QI)\n"),
            (("train", told, "--out", out),
             f"{head}the row holds category_path, QC's target; write QC there, or give the "
             "row its item_title\n"),
            (("evaluate", plain, told, "--task", "QC"), given),
            (("check-submission", plain, "--input", told, "--task", "QC"), given),
            (("evaluate", of_qi, gold),
             f"error: {of_qi}, line 1, field 'task': task is 'QI' but the gold file is QC; "
             "evaluate predictions of QI pairs against their own gold file\n")):
        done = run_here(*args, check=False)  # each command refuses in a process elsewhere here
        assert (done.returncode, done.stderr) == (2, said), args
        assert not out.exists()
    done = run_here("check-submission", of_qi, "--input", gold, check=False)
    assert done.returncode == 1
    assert (f"{of_qi}, line 1, field 'task': task is 'QI' but the input is QC; check a "
            "submission of QI pairs against its own input\n") in done.stdout + done.stderr


def test_a_file_of_the_other_task_says_who_gave_the_task_and_what_to_do(tmp_path, trained_runs):
    """`predict` of a QC run on a QI file said `column missing for task QC (the file looks like
    a QI file)`: nothing in the file says QC (the run does), and nothing said what to do; so
    did train --task, evaluate/check-submission --task, index, distill --unlabeled and a run's
    training file read again (distill, far-pairs, noise). Each names what gave the task and
    the fix, in the words of a row's task field naming the other task, which index,
    --unlabeled and the training file read again told as `the file is read as QC here; give
    QC rows here`."""
    qi = tmp_path / "qi.jsonl"
    qi.write_text("".join(demo_file("QI").read_text().splitlines(keepends=True)[:20]))
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:20]]
    told = tmp_path / "told.jsonl"  # QC rows whose task field says QI
    told.write_text("".join(json.dumps({**r, "task": "QI"}) + "\n" for r in rows))
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"id": json.loads(line)["id"], "prediction": 1}) + "\n"
                             for line in qi.read_text().splitlines()))
    fast, data_task = tmp_path / "fast.yaml", tmp_path / "data_task.yaml"
    fast.write_text("model:\n  family: fast\n  params:\n    n_features: 4096\n"
                    "    n_estimators: 10\n")
    data_task.write_text(fast.read_text() + "data:\n  task: QC\n")
    # a run whose training file is replaced by another task's since
    trained_on = tmp_path / "train.jsonl"
    trained_on.write_text(demo_file("QC").read_text())
    teacher = tmp_path / "teacher"
    with reports_deferred():  # no test reads its report
        run_here("train", trained_on, "--out", teacher, "--folds", "3", "--config", fast,
                 "--quiet")
    qc_run, out = trained_runs["QC"], tmp_path / "out"
    column = (f"error: {qi}, line 1, field 'category_path': column missing (the file looks "
              "like a QI file), but ")
    field = f"error: {told}, line 1, field 'task': task is 'QI' but "
    by_task = "the task given (--task) is QC; give --task QI\n"
    by_train = ("the task given (--task or the config's data.task) is QC; give --task QI (or "
                "data.task: QI)\n")
    by_run = f"run {qc_run} scores QC pairs; "
    unlabeled = ("distill", qc_run, "--student", fast, "--out", out, "--speed-rows", "0",
                 "--quiet", "--unlabeled")
    # predict, evaluate, check-submission and train refuse in processes of their own in the
    # tests above; index and distill --unlabeled here, once each
    for runner, args, said in (
            (run_here, ("predict", qc_run, qi, "--out", out),
             f"{column}{by_run}predict it with a QI run\n"),
            (run_here, ("evaluate", plain, qi, "--task", "QC"), f"{column}{by_task}"),
            (run_here, ("check-submission", plain, "--input", qi, "--task", "QC"),
             f"{column}{by_task}"),
            (run_here, ("train", qi, "--task", "QC", "--out", out), f"{column}{by_train}"),
            (run_here, ("train", qi, "--config", data_task, "--out", out), f"{column}{by_train}"),
            (run_here, ("index", qc_run, qi, "--out", out),
             f"{column}{by_run}index it with a QI run\n"),
            (run, ("index", qc_run, told, "--out", out),
             f"{field}{by_run}index it with a QI run\n"),
            (run, (*unlabeled, qi), f"{column}{by_run}give --unlabeled files of QC pairs\n"),
            (run_here, (*unlabeled, told),
             f"{field}{by_run}give --unlabeled files of QC pairs\n")):
        done = runner(*args, check=False)
        assert (done.returncode, done.stderr) == (2, said), args
        assert not out.exists()
    changed = (f"run {teacher} was trained on QC pairs; the file was changed since: name the "
               "file it was trained on with --train FILE\n")
    # each of distill, far-pairs and noise in a process of its own once (the first file)
    for source, head, runner in ((qi, column.replace(str(qi), str(trained_on)), run),
                                 (told, field.replace(str(told), str(trained_on)), run_here)):
        trained_on.write_text(source.read_text())
        for args in (("distill", teacher, "--student", fast, "--out", out, "--speed-rows", "0",
                      "--quiet"), ("far-pairs", teacher, "--quiet"),
                     ("noise", teacher, "--out", out, "--quiet")):
            done = runner(*args, check=False)
            assert (done.returncode, done.stderr) == (2, f"{head}{changed}"), args
            assert not out.exists()


def test_a_later_row_of_the_other_task_names_the_run_as_a_first_row_s_line_does(
        tmp_path, trained_runs):
    """A QC file whose fifth row's task field says QI: index and predict said `task is 'QI'
    but the file is QC`, not the run that reads it as QC, where a first row of the other task
    names it. The line now names the run; the fix stays the one for a file of both tasks."""
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:20]]
    rows[4]["task"] = "QI"
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("".join(json.dumps(r) + "\n" for r in rows))
    qc_run, out = trained_runs["QC"], tmp_path / "out"
    said = (f"error: {mixed}, line 5, field 'task': task is 'QI' but run {qc_run} scores QC "
            "pairs, as the rows before it are; give each task's rows a file of their own\n")
    for args in (("index", qc_run, mixed, "--out", out), ("predict", qc_run, mixed, "--out", out)):
        done = run_here(*args, check=False)
        assert (done.returncode, done.stderr) == (2, said), args
        assert not out.exists()


def test_evaluate_and_check_submission_take_the_task_their_error_asks_for(tmp_path):
    """A gold/input file holding both category_path and item_title names no task by its
    columns; the error says --task, which evaluate and check-submission now take. Rows that
    say their own task (the demo's `"task": "QC"`) are read by it, without --task."""
    rows = [json.loads(line) for line in demo_file("QC").read_text().splitlines()[:20]]
    both, told = tmp_path / "both.jsonl", tmp_path / "told.jsonl"
    both.write_text("".join(json.dumps({**{k: v for k, v in r.items() if k != "task"},
                                        "item_title": "a title"}) + "\n" for r in rows))
    told.write_text("".join(json.dumps({**r, "item_title": "a title"}) + "\n" for r in rows))
    sub = tmp_path / "sub.jsonl"
    sub.write_text("".join(json.dumps({"id": r["id"], "prediction": 1, "probability": 0.5})
                           + "\n" for r in rows))
    # in this process: both commands refuse, and write their JSON and ok, in processes elsewhere
    done = run_here("evaluate", sub, both, check=False)
    assert done.returncode == 2 and "give the task (--task QC|QI)" in done.stderr
    assert json.loads(run_here("evaluate", sub, both, "--task", "qc", "--json").stdout
                      )["overall"]["n"] == 20
    assert "ok: 20 rows" in run_here("check-submission", sub, "--input", both, "--task",
                                     "QC").stdout
    assert json.loads(run_here("evaluate", sub, told, "--json").stdout)["overall"]["n"] == 20


def test_a_later_row_of_both_targets_is_one_line_unless_its_task_is_said(tmp_path):
    """A JSON line holding a title beside its category path, in a file whose first row made it
    QC, was trained on, scored and checked as a QC pair without a word. train, evaluate and
    check-submission now refuse it in one line naming it; --task QC (or the row's own task)
    reads its category path."""
    rows = [{k: v for k, v in json.loads(line).items() if k != "task"}
            for line in demo_file("QC").read_text().splitlines()[:20]]
    rows[4]["item_title"] = "Cordless Drill 20V"
    data, sub = tmp_path / "rows.jsonl", tmp_path / "sub.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    sub.write_text("".join(json.dumps({"id": r["id"], "prediction": 1}) + "\n" for r in rows))
    said = (f"error: {data}, line 5, field 'item_title': the row holds both category_path and "
            "item_title, and neither its task field nor a task given says which to read (the "
            "file is read as QC by the first row); give the row a task field, give the task "
            "(--task QC|QI), or drop one of the two fields\n")
    # check-submission's refusal in a process of its own (train's and evaluate's: above)
    for runner, args in ((run_here, ("train", data, "--out", tmp_path / "run")),
                         (run_here, ("evaluate", sub, data)),
                         (run, ("check-submission", sub, "--input", data))):
        done = runner(*args, check=False)
        assert (done.returncode, done.stderr) == (2, said), args
    assert not (tmp_path / "run").exists()
    assert "ok: 20 rows" in run_here("check-submission", sub, "--input", data, "--task",
                                     "QC").stdout


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory, user_builds_view) -> Path:
    """`shoprel demo` with the default model (EmbeddingGemma), once for the tests that read it:
    its runs, held-out files and its own predictions of them, made in the process that trained.
    Its reports are left unrendered: no test reads them."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(user_builds_view))
        done = run("demo", "--out", folder, "--folds", "3", "--quiet", reports=False)
    (folder.parent / "stdout.txt").write_text(done.stdout)
    (folder.parent / "stderr.txt").write_text(done.stderr)
    return folder


def test_demo(demo_folder):
    # --data's flow: tests/test_demo_outputs.py (in process, a fast model: minutes saved)
    out = (demo_folder.parent / "stdout.txt").read_text()
    assert (demo_folder.parent / "stderr.txt").read_text() == ""  # --quiet: no bar, no note
    assert "QC cross-validation: F1" in out
    assert "QI cross-validation" in out and "held-out F1" in out
    assert (demo_folder / "run_QI" / "report.html").is_file()
    assert Path(demo_folder / "run_QC" / "report.html").is_file()
    # the built-in default: the embedding model on EmbeddingGemma with every feature block
    model = json.loads((demo_folder / "run_QC" / "models" / "full" / "model.json").read_text())
    assert model["family"] == "embed"
    assert model["params"]["backbone"] == ["embeddinggemma-300m"]
    assert model["params"]["neighbours"] > 0 and model["params"]["level_similarity"]
    metrics = json.loads((demo_folder / "run_QC" / "metrics.json").read_text())
    assert metrics["overall"]["roc_auc"] > 0.8


@pytest.mark.parametrize("task", ["QC", "QI"])
def test_predict_in_a_fresh_process_equals_the_training_processs(demo_folder, user_builds_view,
                                                                   tmp_path, task):
    """`shoprel predict` in a process of its own scores a default run's held-out file as the
    demo's process scored it right after training, byte for byte: nothing a prediction needs
    lives only in the process that trained. QC's process encodes every text anew (a cache
    holding the built backbone and no vectors), QI's reads the vectors the demo cached."""
    source = demo_folder / "data" / f"holdout_{task}.jsonl"
    cache = (linked_view(user_builds_view, tmp_path / "cache") if task == "QC"
             else user_builds_view)
    out = tmp_path / "pred.jsonl"
    run("predict", demo_folder / f"run_{task}", source, "--out", out, "--quiet",
        env={CACHE_ENV: str(cache)})
    own = demo_folder / f"pred_holdout_{task}.jsonl"
    assert len(own.read_text().splitlines()) == len(source.read_text().splitlines()) > 50
    assert out.read_bytes() == own.read_bytes()
    if task == "QC":  # the texts were encoded in that process, not read from a cache
        assert [p.name for p in (cache / "embeddings").glob("embeddinggemma-300m-*.sqlite")]


def test_quiet_train_that_renders_its_report_prints_nothing_on_stderr(tmp_path, real_qc):
    """`--quiet` leaves out progress and notes (README: the summary stays on stdout): a fresh
    process on real rows that renders its report.html, charts and all, wrote nothing else. The
    other fresh-process trains leave their reports unrendered, so nothing checked that the
    charts' code path kept quiet."""
    data = tmp_path / "real.jsonl"
    data.write_text("".join(real_qc.read_text(encoding="utf-8").splitlines(keepends=True)[:300]),
                    encoding="utf-8")
    config = tmp_path / "fast.yaml"  # n_jobs: 1: no busy-machine note to leave out either
    config.write_text("model: {family: fast, params: {n_features: 65536, n_estimators: 40, "
                      "n_jobs: 1}}\nfolds: {k: 3}\n")
    done = run("train", data, "--out", tmp_path / "run", "--config", config, "--quiet")
    assert done.stderr == ""
    assert done.stdout.startswith("task QC  rows 300  ")
    assert done.stdout.splitlines()[-1].startswith("run written to ")
    assert (tmp_path / "run" / "report.html").read_text(encoding="utf-8").count("<svg") >= 5
