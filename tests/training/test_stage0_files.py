"""Stage 0 on several files (stage0.data: a list): read as one set of rows, as the files'
concatenation would be, each error naming the file and line it came from."""

import hashlib
import json
import os

import pandas as pd
import pytest
import yaml
from tests.training.test_stage0 import (
    WarmStart,
    demo_rows,
    nested_distill,
    nested_refit_starts,
    relabelled,
)

from shoprel.errors import ConfigError, InputError, OutputError
from shoprel.models import registry
from shoprel.run.layout import CONFIG, METRICS, OOF
from shoprel.training import runner
from shoprel.training.config_reading import load_config
from shoprel.training.stage0_rows import shared_queries_note
from shoprel.utils.outputs import check_output_file

pytestmark = pytest.mark.usefixtures("no_report_charts")


class StartScored(WarmStart):
    """The stand-in family whose scores also carry what its stage 0 learnt (its rows and
    label rate): two runs score alike only when their stage 0 learnt the same rows."""

    family = "warmfiles"

    def _positive(self, frame):
        start = self.start_ or {"rows": 0, "rate": 0.0}
        return super()._positive(frame) * 0.5 + start["rate"] * 0.3 + start["rows"] / 10_000


@pytest.fixture
def fitted(monkeypatch):
    """The row count of every fit the family makes (stage 0 first)."""
    monkeypatch.setitem(registry.FAMILIES, StartScored.family, StartScored)
    counts = []
    monkeypatch.setattr(StartScored, "after_fit", lambda self, frame: counts.append(len(frame)))
    return counts


def split_qi(tmp_path, jsonl, qi_demo):
    """The QI demo rows in two files (200 and 160 rows) and in one."""
    rows = demo_rows(qi_demo)
    return (jsonl(tmp_path / "qi_a.jsonl", rows[:200]), jsonl(tmp_path / "qi_b.jsonl", rows[200:]),
            jsonl(tmp_path / "qi_all.jsonl", rows))


def config_for(data):
    return load_config(None, {"model.family": StartScored.family, "folds.k": 3,
                              "stage0.data": data})


def test_two_stage0_files_train_as_their_concatenation(tmp_path, fitted, qc_demo, qi_demo,
                                                        jsonl):
    """stage0.data took one file: rows split over two had to be joined by hand. A list is now
    read as one set: the same stage-0 rows and the same out-of-fold scores as the joined file,
    each file recorded with its digest and row count, in config.yaml as named."""
    first, second, joined = split_qi(tmp_path, jsonl, qi_demo)
    one = runner.train(qc_demo, tmp_path / "one", config_for(str(joined)), progress=False)
    two = runner.train(qc_demo, tmp_path / "two", config_for([str(first), str(second)]),
                       progress=False)
    assert fitted == [360, 240, 240, 240, 360] * 2  # stage 0, three folds, the full fit
    oof = [pd.read_parquet(run.run_dir / OOF) for run in (one, two)]
    pd.testing.assert_frame_equal(oof[0], oof[1])
    assert oof[0]["probability"].nunique() > 10
    info = two.metrics["stage0"]
    assert info["train_rows"] == one.metrics["stage0"]["train_rows"] == 360
    assert info["train_file"] == [str(first.resolve()), str(second.resolve())]
    assert info["train_sha256"] == [hashlib.sha256(f.read_bytes()).hexdigest()
                                    for f in (first, second)]
    assert info["file_rows"] == [200, 160] and info["task"] == "QI"
    saved = yaml.safe_load((two.run_dir / CONFIG).read_text())
    assert saved["stage0"]["data"] == [str(first), str(second)]
    assert "file_rows" not in one.metrics["stage0"]  # one file: recorded as it always was


def test_a_yaml_list_of_stage0_files_trains_from_the_cli(tmp_path, fitted, qc_demo, qi_demo,
                                                          jsonl):
    from click.testing import CliRunner

    from shoprel.cli import main

    first, second, _ = split_qi(tmp_path, jsonl, qi_demo)
    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{family: {StartScored.family}}}\nfolds: {{k: 2}}\n"
                    f"stage0:\n  data:\n    - {first}\n    - {second}\n")
    done = CliRunner().invoke(main, ["train", str(qc_demo), "--out", str(tmp_path / "run"),
                                     "--config", str(path), "--quiet"])
    assert done.exit_code == 0, done.output
    assert fitted[0] == 360


def refused(tmp_path, train_file, data, error=InputError):
    with pytest.raises(error) as caught:
        runner.train(train_file, tmp_path / "run", config_for(data), progress=False)
    assert not (tmp_path / "run").exists()
    return str(caught.value)


def test_an_id_repeated_across_stage0_files_is_refused_naming_both(tmp_path, fitted, qc_demo,
                                                                    qi_demo, jsonl):
    """One file refuses an id met twice, naming both lines; across files, the second file's
    line is refused naming the first file's, before any fit."""
    rows = demo_rows(qi_demo)
    first = jsonl(tmp_path / "qi_a.jsonl", rows[:200])
    second = jsonl(tmp_path / "qi_b.jsonl", [*rows[200:202], {**rows[202], "id": rows[4]["id"]},
                                            *rows[203:]])
    within = jsonl(tmp_path / "qi_one.jsonl", [*rows[:202], {**rows[202], "id": rows[4]["id"]}])
    assert refused(tmp_path, qc_demo, str(within)) == (
        f"{within}, line 203, field 'id': duplicate id 5 (first seen on line 5)")
    assert refused(tmp_path, qc_demo, [str(first), str(second)]) == (
        f"{second}, line 3, field 'id': duplicate id 5 (first seen in {first}, line 5)")
    assert fitted == []


@pytest.mark.parametrize(("first_id", "second_id", "said"), [
    (5, "5", "duplicate id: '5' is the id 5 of {first}, line 5 (7, 7.0, \"7\" and \"007\" "
             "are one id)"),
    ("007", 7, "duplicate id: 7 is the id '007' of {first}, line 5 (7, 7.0, \"7\" and "
               "\"007\" are one id)"),
    ("007", "007", "duplicate id '007' (first seen in {first}, line 5)"),
])
def test_an_id_repeated_across_stage0_files_is_said_as_each_file_writes_it(
        tmp_path, fitted, qc_demo, qi_demo, jsonl, first_id, second_id, said):
    """Across files, "007" in one and 7 in the other was 'duplicate id 7 (first seen in ...)':
    the user looked for a 7 the first file does not hold. Said as written in each, as one
    file says it; "007" in both was said as the key 7 too."""
    def ids(rows, start, like):  # every id of a file of one kind, the repeated one's
        return [{**row, "id": start + n if isinstance(like, int) else str(start + n)}
                for n, row in enumerate(rows)]

    rows = demo_rows(qi_demo)
    first_rows = ids(rows[:200], 1000, first_id)
    first_rows[4]["id"] = first_id
    first = jsonl(tmp_path / "qi_a.jsonl", first_rows)
    second = jsonl(tmp_path / "qi_b.jsonl", [*ids(rows[200:202], 2000, second_id),
                                             {**rows[202], "id": second_id}])
    assert refused(tmp_path, qc_demo, [str(first), str(second)]) == (
        f"{second}, line 3, field 'id': " + said.format(first=first))
    assert fitted == []


def test_a_bad_row_of_a_later_stage0_file_names_that_file_and_line(tmp_path, fitted, qc_demo,
                                                                    qi_demo, jsonl):
    rows = demo_rows(qi_demo)
    first = jsonl(tmp_path / "qi_a.jsonl", rows[:200])
    second = jsonl(tmp_path / "qi_b.jsonl", [rows[200], {**rows[201], "label": 2}])
    assert refused(tmp_path, qc_demo, [str(first), str(second)]).startswith(
        f"{second}, line 2, field 'label': ")
    qc_file = jsonl(tmp_path / "qc.jsonl", demo_rows(qc_demo)[:50])  # of the other task
    assert refused(tmp_path, qc_demo, [str(first), str(qc_file)]).startswith(f"{qc_file}, ")
    assert fitted == []


def test_a_stage0_file_of_another_task_than_the_one_given_says_who_gave_it(tmp_path, fitted,
                                                                          qc_demo, qi_demo, jsonl):
    """A stage-0 file of another task than stage0.task, or than stage0.data's first file,
    said `column missing for task QI (the file looks like a QC file)`, or `the file is read as
    QI here; give QI rows here` for a row whose task field says QC: neither named what set
    the task nor the fix. Each names it now. The run's own task plays no part: a QI stage 0
    for a QC run is what stage 0 is for."""
    rows = demo_rows(qi_demo)
    first = jsonl(tmp_path / "qi_a.jsonl", rows[:200])
    qc_file = jsonl(tmp_path / "qc.jsonl", demo_rows(qc_demo)[:50])
    told = jsonl(tmp_path / "told.jsonl", [{**row, "task": "QC"} for row in rows[200:]])
    missing = "field 'item_title': column missing (the file looks like a QC file), but "
    by_first = (f"stage0.data's first file, {first}, is QI; name stage-0 files of one task in "
                "stage0.data")
    by_key = "the config's stage0.task is QI; give stage0.task: QC"
    for data, task, said in (
            ([str(first), str(qc_file)], None, f"{qc_file}, line 1, {missing}{by_first}"),
            ([str(first), str(told)], None,
             f"{told}, line 1, field 'task': task is 'QC' but {by_first}"),
            (str(qc_file), "QI", f"{qc_file}, line 1, {missing}{by_key}"),
            (str(told), "QI", f"{told}, line 1, field 'task': task is 'QC' but {by_key}")):
        config = load_config(None, {"model.family": StartScored.family, "folds.k": 3,
                                    "stage0.data": data, "stage0.task": task})
        with pytest.raises(InputError) as caught:
            runner.train(qc_demo, tmp_path / "run", config, progress=False)
        assert str(caught.value) == said, data
        assert not (tmp_path / "run").exists()
    assert fitted == []


def test_both_labels_are_asked_of_the_set_not_of_each_file(tmp_path, fitted, qc_demo, qi_demo,
                                                           jsonl):
    rows = demo_rows(qi_demo)
    ones = jsonl(tmp_path / "ones.jsonl", [r for r in rows if r["label"] == 1])
    zeros = jsonl(tmp_path / "zeros.jsonl", [r for r in rows if r["label"] == 0])
    assert refused(tmp_path, qc_demo, [str(ones)]).endswith(
        "training needs both labels (0 and 1); the file has only one")
    runner.train(qc_demo, tmp_path / "run", config_for([str(ones), str(zeros)]), progress=False)
    assert fitted[0] == 360


@pytest.mark.parametrize("named", ["itself", "symlink"])
def test_a_stage0_file_named_twice_is_refused(tmp_path, fitted, qc_demo, qi_demo, jsonl, named):
    first, second, _ = split_qi(tmp_path, jsonl, qi_demo)
    again = first
    if named == "symlink":
        again = tmp_path / "link.jsonl"
        again.symlink_to(first)
    assert refused(tmp_path, qc_demo, [str(first), str(second), str(again)], ConfigError) == (
        f"stage0.data: {again} is {first}, named twice: its rows would count twice; name each "
        "file once")
    assert fitted == []


def test_the_training_file_or_its_pairs_among_the_stage0_files_are_refused(
        tmp_path, fitted, qc_demo, jsonl):
    """Each file is checked as one alone is: the training file itself, or a file of its task
    sharing its pairs, is named in the refusal."""
    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:200])
    apart = jsonl(tmp_path / "apart.jsonl", rows[250:])
    assert refused(tmp_path, train_file, [str(apart), str(train_file)], ConfigError).startswith(
        f"stage0.data: {train_file} is the training file itself: ")
    overlapping = jsonl(tmp_path / "overlapping.jsonl", rows[190:250])
    assert refused(tmp_path, train_file, [str(apart), str(overlapping)], ConfigError).startswith(
        f"stage0.data: {overlapping} shares 10 QC pair(s) with the training file {train_file} ")
    assert fitted == []


def test_an_empty_list_of_stage0_files_is_refused():
    with pytest.raises(ConfigError, match=r"stage0\.data: an empty list; name a file"):
        config_for([])


def test_every_stage0_file_of_a_run_is_kept_from_being_an_output(tmp_path, fitted, qc_demo,
                                                                 qi_demo, jsonl):
    first, second, _ = split_qi(tmp_path, jsonl, qi_demo)
    run = runner.train(qc_demo, tmp_path / "run", config_for([str(first), str(second)]),
                       progress=False).run_dir
    for file in (first, second):
        with pytest.raises(OutputError, match=f"the file the stage 0 of the run {run} was "
                                              "trained on"):
            check_output_file(file, runs=[run], overwrite=True)


def test_the_shared_queries_note_names_every_stage0_file():
    info = {"train_file": [os.sep + "a.jsonl", os.sep + "b.jsonl"], "shared_queries": 3,
            "training_file_queries": 90}
    assert shared_queries_note(info).startswith(
        f"note: the stage-0 files {os.sep}a.jsonl and {os.sep}b.jsonl hold 3 of the training "
        "file's 90 distinct queries: ")


def test_the_stage0_record_reads_one_file_or_several():
    from shoprel.run.stage0_record import RecordedStage0File, recorded_stage0_files

    assert recorded_stage0_files({"train_file": "a", "train_sha256": "d", "train_rows": 4}) == [
        RecordedStage0File("a", "d", 4)]
    assert recorded_stage0_files({"train_file": ["a", "b"], "train_sha256": ["d", "e"],
                                  "file_rows": [1, 3], "train_rows": 4}) == [
        RecordedStage0File("a", "d", 1), RecordedStage0File("b", "e", 3)]
    assert recorded_stage0_files(None) == [] and recorded_stage0_files({}) == []


def test_saved_configs_load_again_with_one_file_several_or_none(tmp_path):
    """config.yaml writes `data: null` without a stage 0: the field of a text or texts must
    still read null as none."""
    from shoprel.training.config import RunConfig

    for data in (None, "qi.jsonl", ["qi_a.jsonl", "qi_b.jsonl"]):
        config = RunConfig() if data is None else load_config(None, {"model.family": "cross",
                                                                     "stage0.data": data})
        path = tmp_path / "config.yaml"
        path.write_text(config.to_yaml(), encoding="utf-8")
        assert load_config(path).stage0.data == data


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.setitem(registry.FAMILIES, WarmStart.family, WarmStart)


def test_nested_refits_read_every_stage0_file_where_the_run_records_them(
        tmp_path, warm, qc_demo, qi_demo, jsonl, monkeypatch):
    """distill --nested read metrics.json's stage0.train_file as one path: a stage 0 fitted on
    several files named a list as a file, and one of the run's task was never reused. Each
    file is now read and checked where the run records it."""
    (tmp_path / "other").mkdir()
    first, second, _ = split_qi(tmp_path / "other", jsonl, qi_demo)
    teacher, starts, block = nested_refit_starts(
        tmp_path / "other", {"stage0.data": [str(first), str(second)]}, qc_demo, monkeypatch)
    assert len(starts) == 3 and all(start["rows"] == 360 for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on the other task's (QI) rows "
        f"of {first.resolve()} and {second.resolve()}, none of them this file's"]

    rows = demo_rows(qc_demo)
    train_file = jsonl(tmp_path / "train.jsonl", rows[:240])
    a = jsonl(tmp_path / "qc_a.jsonl", rows[240:300])
    b = jsonl(tmp_path / "qc_b.jsonl", rows[300:])
    teacher, starts, block = nested_refit_starts(
        tmp_path, {"stage0.data": [str(a), str(b)]}, train_file, monkeypatch)
    assert len(starts) == 3 and all(start["rows"] == 120 for _, start in starts)
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start from its stage 0, fitted on QC rows of {a.resolve()} and "
        f"{b.resolve()}, which share no (query, target) pair with {train_file.resolve()}"]

    jsonl(b, relabelled(rows[300:]))  # the second file changed since: it cannot tell
    starts, block = nested_distill(teacher, tmp_path / "changed", monkeypatch)
    assert all(start is None for _, start in starts)
    recorded = json.loads((teacher / METRICS).read_text())["stage0"]["train_sha256"]
    assert block["nested_stage0"] == [
        f"{teacher}: the refits start without its stage 0, fitted on QC rows of {a.resolve()} "
        f"and {b.resolve()}, of which {b.resolve()} has other bytes than those stage 0 learnt "
        f"(SHA-256 {recorded[1][:12]}... in metrics.json stage0.train_sha256): changed since, "
        f"it may have held rows of {train_file.resolve()}; put the file stage 0 was fitted on "
        "back where the run records it (metrics.json stage0.train_file)"]
    with pytest.raises(InputError) as named:
        nested_distill(teacher, tmp_path / "named", monkeypatch, stage0_train=b)
    assert str(named.value) == (
        f"{b}: {teacher}'s stage 0 was fitted on 2 files (metrics.json stage0.train_file), read "
        "only where the run records them: put them back there and drop --stage0-train")
