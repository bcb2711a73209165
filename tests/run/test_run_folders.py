"""Run folders are checked on opening: a broken one is one line naming the file and field."""

import json
import shutil

import pytest

from shoprel.errors import RunDirError
from shoprel.predict.predictor import Predictor
from shoprel.run.folder import Run


@pytest.fixture
def run_copy(tmp_path, trained_runs):
    """A writable copy of the small QC run, and a function that edits its run.json."""
    run = tmp_path / "run"
    shutil.copytree(trained_runs["QC"], run)

    def edit(**changes):
        manifest = json.loads((run / "run.json").read_text())
        for key, value in changes.items():
            if value is None:
                manifest.pop(key, None)
            else:
                manifest[key] = value
        (run / "run.json").write_text(json.dumps(manifest))
        return run

    return run, edit


@pytest.mark.parametrize(("changes", "message"), [
    ({"threshold": None}, "field 'threshold': missing"),
    ({"threshold": "high"}, "field 'threshold': 'high' is not a number$"),
    # lax pydantic read the text "0.5" as the number
    ({"threshold": "0.5"}, "field 'threshold': '0.5' is not a number$"),
    ({"language_thresholds": {"global": 0.5, "languages": {"en": {"threshold": "0.4"}}}},
     "field 'language_thresholds.languages.en.threshold': '0.4' is not a number$"),
    ({"threshold": 7}, "field 'threshold': 7 is out of range; it must be at most 1$"),
    ({"threshold": float("nan")}, "field 'threshold': NaN is not a number$"),
    # lax pydantic read true as a threshold of 1.0 (a bool is an int to Python)
    ({"threshold": True}, "field 'threshold': true is not a number$"),
    ({"threshold": False}, "field 'threshold': false is not a number$"),
    ({"language_thresholds": {"global": True, "languages": {}}},
     "field 'language_thresholds.global': true is not a number$"),
    ({"language_thresholds": {"global": 0.5, "languages": {"en": {"threshold": False}}}},
     "field 'language_thresholds.languages.en.threshold': false is not a number$"),
    ({"language_thresholds": {"global": -0.5, "languages": {}}},
     "field 'language_thresholds.global': -0.5 is out of range; it must be at least 0$"),
    # lax pydantic read true as 1 and a text as its number in the other figures too
    ({"n_rows": True}, "field 'n_rows': true is not a number$"),
    ({"n_rows": "12"}, "field 'n_rows': '12' is not a number$"),
    ({"language_thresholds": {"global": 0.5, "shrinkage": False, "languages": {}}},
     "field 'language_thresholds.shrinkage': false is not a number$"),
    ({"language_thresholds": {"global": 0.5, "languages": {"en": {"threshold": 0.4,
                                                                    "n": True}}}},
     "field 'language_thresholds.languages.en.n': true is not a number$"),
    ({"language_thresholds": {"global": 0.5, "languages": {"en": {"threshold": 0.4,
                                                                    "best": "0.3"}}}},
     "field 'language_thresholds.languages.en.best': '0.3' is not a number$"),
    ({"task": "QX"}, "field 'task'"),
    ({"predict_models": []}, "field 'predict_models'"),
    ({"predict_models": ["../../elsewhere"]}, "not a folder name inside models/"),
    ({"kind": "pipeline"}, "field 'kind'"),
    ({"schema_version": 99}, "newer shoprel"),
    ({"language_thresholds": {"global": 0.5}}, "field 'language_thresholds.languages': missing"),
])
def test_broken_manifest_fields_are_named(run_copy, changes, message):
    run, edit = run_copy
    edit(**changes)
    with pytest.raises(RunDirError, match=message) as info:
        Run.open(run)
    assert str(info.value).startswith(f"{run / 'run.json'}: ") and "\n" not in str(info.value)


@pytest.mark.parametrize("text, kind", [("[1, 2]", "a list"), ('"x"', "a text"),
                                        ("null", "null")])
def test_a_run_json_that_is_no_object_says_what_the_file_holds(tmp_path, text, kind):
    """It was said in Python's words: 'expected a JSON object, got list' (str, NoneType)."""
    (tmp_path / "run.json").write_text(text)
    with pytest.raises(RunDirError) as info:
        Run.open(tmp_path)
    assert str(info.value) == f"{tmp_path / 'run.json'}: {kind} is not a JSON object"


@pytest.mark.parametrize("linked", ["models/full", "models"])
def test_a_model_folder_linking_outside_the_run_is_refused(run_copy, tmp_path, linked):
    """A linked models folder leads out of the run as a linked model folder does (predict read
    through it; export, which writes into the run, refused it): one rule for both."""
    run, _ = run_copy
    outside = tmp_path / "outside"
    shutil.move(run / linked, outside)
    (run / linked).symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunDirError) as info:
        Predictor(run)
    target = outside if linked == "models/full" else outside / "full"
    assert str(info.value) == (f"{run / 'models' / 'full'}: leads outside the run's models "
                               f"folder (to {target}); a run carries its own models")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "params"])
def test_broken_model_files_are_one_line(run_copy, damage):
    run, _ = run_copy
    folder = run / "models" / "full"
    if damage == "params":
        config = json.loads((folder / "model.json").read_text())
        config["params"]["no_such_param"] = 1
        (folder / "model.json").write_text(json.dumps(config))
    else:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "model.json"):
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\x00garbage")
    with pytest.raises(RunDirError) as info:
        Predictor(run)
    assert str(info.value).startswith(str(folder)) and "\n" not in str(info.value)


def _ensemble(path, members):
    path.mkdir()
    (path / "run.json").write_text(json.dumps({
        "kind": "ensemble", "task": "QC", "threshold": 0.5,
        "members": [{"name": m, "path": m} for m in members],
        "combination": {"method": "mean", "weights": [1 / len(members)] * len(members)}}))
    # as `shoprel ensemble` writes one: predict reads the languages from it, and refuses a
    # run without it (the rows' tags would go unmapped)
    (path / "metrics.json").write_text("{}")
    return path


def test_ensemble_cycles_are_refused(tmp_path, trained_runs):
    shutil.copytree(trained_runs["QC"], tmp_path / "qc")
    _ensemble(tmp_path / "self", ["."])
    with pytest.raises(RunDirError, match="a cycle"):
        Predictor(tmp_path / "self")
    _ensemble(tmp_path / "a", ["../qc", "../b"])
    _ensemble(tmp_path / "b", ["../qc", "../a"])
    with pytest.raises(RunDirError, match="a cycle"):
        Predictor(tmp_path / "a")
    _ensemble(tmp_path / "ok", ["../qc", "../qc"])
    assert len(Predictor(tmp_path / "ok").members) == 2


def test_ensemble_weights_must_match_members(tmp_path, trained_runs):
    shutil.copytree(trained_runs["QC"], tmp_path / "qc")
    ens = _ensemble(tmp_path / "ens", ["../qc", "../qc"])
    manifest = json.loads((ens / "run.json").read_text())
    manifest["combination"]["weights"] = [1.0]
    (ens / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(RunDirError, match="1 weights for 2 members"):
        Run.open(ens)


@pytest.mark.parametrize("damage, message", [
    (lambda oof: oof.drop(columns=["probability"]), "column 'probability' missing"),
    (lambda oof: oof.drop(columns=["label"]), "column 'label' missing"),
    (lambda oof: oof.iloc[:100], "holds 100 rows, but the run has 360"),
])
def test_a_damaged_oof_table_is_one_line_for_every_reader(run_copy, tmp_path, damage,
                                                          message):
    """compare, ensemble, noise, far-pairs and report read it through Run.oof: a KeyError or
    a report of the rows that are left before."""
    import pandas as pd

    from shoprel.ensemble.noise import find_noisy_rows
    from shoprel.evaluate.report import write_run_report

    run, _ = run_copy
    pd.read_parquet(run / "oof.parquet").pipe(damage).to_parquet(run / "oof.parquet")
    with pytest.raises(RunDirError, match=message):
        write_run_report(run, tmp_path / "report.html")
    with pytest.raises(RunDirError, match=message):
        find_noisy_rows(run)
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("field, value, message", [
    # said as the file wrote it, in the words the ids and texts use: it was Python's
    # 'expected an object, got str' (list, int, NoneType)
    ("overall", "x", "field 'overall': a text is not an object"),
    ("threshold", "high", "field 'threshold': a text is not a number"),
    ("threshold", True, "field 'threshold': true is not a number"),
    ("task", 7, "field 'task': the number 7 is not a text"),
    ("per_language", [1, 2], "field 'per_language': a list is not an object"),
    # a null threshold, a group row that is no object or counts its rows in text: these were
    # TypeErrors and ValueErrors deep in the report
    ("threshold", None, "field 'threshold': null is not a number"),
    ("per_language", {"en": 7}, "field 'per_language.en': the number 7 is not an object"),
    ("per_category", {"toys": {"n": "x"}}, "field 'per_category.toys.n': a text is not a "
                                           "number"),
    ("per_category", {"toys": {"n": None}}, "field 'per_category.toys.n': null is not a "
                                            "number"),
    ("per_language", {"en": {"f1": 0.5}}, "field 'per_language.en.n': missing; each row "
                                          "gives its number of rows"),
])
def test_a_metrics_field_of_the_wrong_type_is_one_line(run_copy, tmp_path, field, value,
                                                      message):
    from shoprel.evaluate.report import write_run_report

    run, _ = run_copy
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, field: value}))
    with pytest.raises(RunDirError, match=message):
        write_run_report(run, tmp_path / "report.html")


@pytest.mark.parametrize("text, kind", [("[1, 2]", "a list"), ('"x"', "a text"),
                                        ("null", "null")])
def test_metrics_that_are_no_object_say_what_the_file_holds(tmp_path, text, kind):
    """It said only 'expected a JSON object', whatever the file held."""
    from shoprel.run.metrics_file import read_metrics

    (tmp_path / "metrics.json").write_text(text)
    with pytest.raises(RunDirError) as info:
        read_metrics(tmp_path)
    assert str(info.value) == f"{tmp_path / 'metrics.json'}: {kind} is not a JSON object"
