"""RunWriter and the typed manifest: what writers put in run.json is what readers check."""

import hashlib
import json
import re
import shutil

import pandas as pd
import pytest

import shoprel
from shoprel.ensemble.thresholds import add_language_thresholds
from shoprel.errors import RunDirError
from shoprel.run.folder import Run
from shoprel.run.layout import MANIFEST, OOF
from shoprel.run.manifest import MANIFEST_VERSION, Manifest
from shoprel.run.members import oof_sha256
from shoprel.run.writer import RunWriter

FIELDS = {"kind": "run", "name": "r", "task": "QC", "threshold": 0.4, "model_family": "fast",
          "predict_models": ["full"], "n_rows": 3}


def test_new_manifest_carries_versions_and_keeps_field_order():
    manifest = Manifest.new(created="2026-01-01T00:00:00+00:00", **FIELDS)
    data = json.loads(manifest.to_json())
    assert data["schema_version"] == MANIFEST_VERSION
    assert data["shoprel_version"] == shoprel.__version__
    assert list(data) == ["schema_version", "kind", "shoprel_version", "name", "task", "created",
                          "threshold", "model_family", "predict_models", "n_rows"]


def test_new_manifest_is_checked_like_a_read_one():
    with pytest.raises(ValueError, match=r"3\.0 is out of range; it must be at most 1 "):
        Manifest.new(**{**FIELDS, "threshold": 3.0})


def test_writer_builds_a_folder_that_opens_as_a_run(tmp_path):
    writer = RunWriter(tmp_path / "run")
    writer.path.mkdir()
    table = pd.DataFrame({"id": [1, 2, 3], "fold": [0, 1, 2], "label": [1, 0, 1],
                          "language": ["en"] * 3, "probability": [0.9, 0.2, 0.6]})
    writer.oof(table)
    writer.folds(table[["id", "fold"]])
    writer.metrics({"overall": {"n": 3}})
    writer.manifest(Manifest.new(**FIELDS))
    run = Run.open(writer.path)
    assert run.info.predict_models == ["full"] and run.metrics() == {"overall": {"n": 3}}
    assert run.folds()["fold"].tolist() == [0, 1, 2]
    assert run.version == hashlib.sha256((writer.path / MANIFEST).read_bytes()).hexdigest()[:12]


@pytest.mark.parametrize(("column", "value", "message"), [
    # a score past its bounds in the one sentence of every bound (utils/bounds.py), where it
    # said 'hold no probability in [0, 1]' of its own
    ("probability", float("nan"), "field 'probability': 1 row(s) hold no probability, "
                                  "e.g. id 2: nan is not a number"),
    ("probability", 1.5, "field 'probability': 1 row(s) hold no probability, e.g. id 2: "
                         "1.5 is out of range; it must be at most 1"),
    ("probability", -0.25, "field 'probability': 1 row(s) hold no probability, e.g. id 2: "
                           "-0.25 is out of range; it must be at least 0"),
    ("label", 2, "field 'label': 1 row(s) hold no 0/1 label, e.g. id 2: 2"),
    ("language", None, "field 'language': 1 row(s) hold none, e.g. id 2"),
])
def test_an_oof_table_with_a_score_or_label_no_run_writes_is_refused(tmp_path, column, value,
                                                                       message):
    """A damaged oof.parquet (a NaN score: the report's curves dropped the row without a word,
    compare said only that "some runs" lack one) is one error naming the file, field and id."""
    from shoprel.errors import RunDirError

    writer = RunWriter(tmp_path / "run")
    writer.path.mkdir()
    table = pd.DataFrame({"id": [1, 2, 3], "fold": [0, 1, 2], "label": [1, 0, 1],
                          "language": ["en"] * 3, "probability": [0.9, 0.2, 0.6]})
    assert Run.open(_written(writer, table)).oof()["id"].tolist() == [1, 2, 3]
    table[column] = table[column].astype(object if value is None else type(value))
    table.loc[1, column] = value
    with pytest.raises(RunDirError) as info:
        Run.open(_written(writer, table)).oof()
    assert str(info.value) == f"{writer.path / 'oof.parquet'}: {message}"


def _written(writer: RunWriter, table: pd.DataFrame):
    writer.oof(table)
    writer.manifest(Manifest.new(**FIELDS))
    return writer.path


def test_a_run_from_before_versions_keeps_loading_and_updating(tmp_path, trained_runs):
    """run.json as the first shoprel wrote it: no schema_version, no shoprel_version."""
    old = tmp_path / "old"
    shutil.copytree(trained_runs["QC"], old)
    manifest = json.loads((old / MANIFEST).read_text())
    for key in ("schema_version", "shoprel_version", "created"):
        manifest.pop(key)
    manifest["written_by"] = "an older shoprel"  # a field this version does not know
    (old / MANIFEST).write_text(json.dumps(manifest))
    run = Run.open(old)
    assert run.info.schema_version == 1 and run.threshold == manifest["threshold"]
    add_language_thresholds(old, 50)
    updated = json.loads((old / MANIFEST).read_text())
    assert "schema_version" not in updated and updated["written_by"] == "an older shoprel"
    assert updated["language_thresholds"]["shrinkage"] == 50
    assert {k: v for k, v in updated.items() if k != "language_thresholds"} == manifest
    assert Run.open(old).info.language_thresholds.global_ == pytest.approx(run.threshold)


def test_report_of_a_finished_run_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    """A reader of report.html sees the old report or the new one, never half of one (here:
    the disk fills up halfway through the new one)."""
    from pathlib import Path

    from shoprel.errors import OutputError

    writer = RunWriter.finished(tmp_path)
    table = pd.DataFrame({"id": [1, 2, 3, 4], "fold": [0, 1, 0, 1], "label": [1, 0, 1, 0],
                          "language": ["en"] * 4, "probability": [0.9, 0.2, 0.6, 0.4]})
    metrics = {"task": "QC", "threshold": 0.5, "overall": {"n": 4}}
    (tmp_path / "report.html").write_text("the old report")
    write_text = Path.write_text

    def disk_full(self, text, *args, **kwargs):
        write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OutputError, match="report.html: No space left on device while writing"):
        writer.report(metrics, table)
    monkeypatch.undo()
    assert (tmp_path / "report.html").read_text() == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    path = writer.report(metrics, table)
    assert path == tmp_path / "report.html" and "</html>" in path.read_text().lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("failure", ["disk full", "swap refused"])
@pytest.mark.parametrize("failing", ["metrics.json", "report.html"])
def test_a_failure_while_metrics_and_report_are_rewritten_keeps_both(tmp_path, monkeypatch,
                                                                     failing, failure):
    """far-pairs and a carried student rewrite a finished run's metrics.json and report.html:
    a disk that fills up on either, or either one that cannot be renamed over (an immutable
    file, another user's in a sticky folder), leaves both as they were, as the error says
    ('nothing was written', 'kept as it was'). metrics.json was replaced first, then the
    report failed (a 3 MB tmpfs, far-pairs), or its swap was refused: new figures beside a
    report of the old ones."""
    import errno
    import os
    from pathlib import Path

    from tests.evaluate.fake_runs import make_run, rows

    from shoprel.errors import OutputError

    run = make_run(tmp_path / "a", rows(n=40), 1.0, 1, "a")
    (run / "report.html").write_text("the old report")
    names = sorted(p.name for p in run.iterdir())
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    write_text, real_replace = Path.write_text, os.replace

    def disk_full(self, text, *args, **kwargs):
        if self.name.startswith(f".{failing}."):  # the temporary file beside it
            raise OSError(28, "No space left on device")
        return write_text(self, text, *args, **kwargs)

    def refused(src, dst, *args, **kwargs):
        if str(dst) == str(run / failing):
            raise PermissionError(errno.EPERM, "Operation not permitted", str(src))
        return real_replace(src, dst, *args, **kwargs)

    if failure == "disk full":
        monkeypatch.setattr(Path, "write_text", disk_full)
    else:
        monkeypatch.setattr(os, "replace", refused)
    said = ("No space left on device while writing" if failure == "disk full"
            else "cannot be replaced")
    with pytest.raises(OutputError, match=f"{failing}: {said}"):
        RunWriter.finished(run).update_metrics(lambda m: m.update(note="x"), report=True)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in run.iterdir()) == names  # no temporary, nor the old report

    updated = RunWriter.finished(run).update_metrics(lambda m: m.update(note="x"), report=True)
    assert json.loads((run / "metrics.json").read_text())["note"] == updated["note"] == "x"
    assert sorted(p.name for p in run.iterdir()) == names  # no temporary, no lock left


@pytest.mark.parametrize("failing", ["metrics.json", "report.html"])
def test_a_failed_rewrite_keeps_a_report_that_is_a_link(tmp_path, monkeypatch, failing):
    """A report.html that is a symbolic link (to a page kept elsewhere) went, the link itself,
    when metrics.json or the report failed to be written: restored_on_failure kept only a
    regular file, and removed what was there as a report that had not been. The error said
    nothing was written; the link stays now, leading where it did."""
    from pathlib import Path

    from tests.evaluate.fake_runs import make_run, rows

    from shoprel.errors import OutputError

    run = make_run(tmp_path / "a", rows(n=40), 1.0, 1, "a")
    page = tmp_path / "page.html"
    page.write_text("the old report")
    (run / "report.html").symlink_to(page)
    metrics = (run / "metrics.json").read_bytes()
    write_text = Path.write_text

    def disk_full(self, text, *args, **kwargs):
        if self.name.startswith(f".{failing}."):  # the temporary file beside it
            raise OSError(28, "No space left on device")
        return write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OutputError, match=f"{failing}: No space left on device"):
        RunWriter.finished(run).update_metrics(lambda m: m.update(note="x"), report=True)
    assert (run / "report.html").is_symlink() and (run / "report.html").read_text() == \
        "the old report"
    assert (run / "metrics.json").read_bytes() == metrics
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary left



def test_metrics_updates_of_two_commands_at_once_both_land(tmp_path):
    import threading
    import time

    from shoprel.utils.atomic import output_lock

    (tmp_path / "metrics.json").write_text(json.dumps({"overall": {"n": 3}}))
    writer = RunWriter.finished(tmp_path)
    read, done = threading.Event(), threading.Event()

    def slow_student():  # another command's read-modify-write, holding the lock
        with output_lock(tmp_path / "metrics.json"):
            metrics = json.loads((tmp_path / "metrics.json").read_text())
            read.set()
            time.sleep(0.5)
            metrics["student"] = {"roc_auc": 0.7}
            writer.metrics(metrics)
        done.set()

    thread = threading.Thread(target=slow_student)
    thread.start()
    read.wait()
    updated = writer.update_metrics(lambda m: m.update(language_thresholds={"f1": 0.8}))
    assert done.is_set()  # it waited for the other writer
    thread.join()
    assert updated == json.loads((tmp_path / "metrics.json").read_text()) == {
        "overall": {"n": 3}, "student": {"roc_auc": 0.7}, "language_thresholds": {"f1": 0.8}}


def test_a_file_given_as_a_run_is_named_a_file(tmp_path):
    from shoprel.errors import RunDirError
    from shoprel.run.folder import Run

    (tmp_path / "run.txt").write_text("x")
    with pytest.raises(RunDirError, match="run.txt: is a file, not a run directory"):
        Run.open(tmp_path / "run.txt")
    with pytest.raises(RunDirError, match="none: run directory not found"):
        Run.open(tmp_path / "none")


OLD, NEW = "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00"


def _member_run(path, created):
    """A finished run folder (run.json only: opening an ensemble reads no member's models)."""
    path.mkdir(parents=True)
    (path / MANIFEST).write_text(Manifest.new(**FIELDS, created=created).to_json())
    return path


def _ensemble(path, members: list[dict], created=OLD):
    path.mkdir(parents=True)
    manifest = Manifest.new(**{**FIELDS, "kind": "ensemble", "predict_models": None},
                            created=created, members=members,
                            combination={"method": "mean", "weights": [0.5] * len(members)})
    (path / MANIFEST).write_text(manifest.to_json())
    return path


def test_an_ensemble_refuses_a_member_retrained_after_it_one_line_naming_both_stamps(tmp_path):
    """The created stamp the ensemble recorded is the member it was tuned on; a member
    retrained in place (train --overwrite) carries another, even one second later."""
    _member_run(tmp_path / "a", OLD)
    _member_run(tmp_path / "b", OLD)
    ens = _ensemble(tmp_path / "ens", [{"name": "a", "path": "../a", "created": OLD},
                                       {"name": "b", "path": "../b", "created": OLD}])
    assert Run.open(ens).member_dirs() == [ens / "../a", ens / "../b"]
    (tmp_path / "b" / MANIFEST).write_text(Manifest.new(**FIELDS, created=NEW).to_json())
    with pytest.raises(RunDirError) as caught:
        Run.open(ens)
    assert str(caught.value) == (
        f"{ens / MANIFEST}: field 'members': {tmp_path / 'b'} was replaced after this ensemble "
        f"combined it (created {NEW}, the ensemble holds the one created {OLD}); build the "
        "ensemble again (shoprel ensemble ... --overwrite)")
    assert Run.read(ens).kind == "ensemble"  # only following the members checks them


def test_a_member_retrained_behind_a_nested_ensemble_is_refused_from_the_outer(tmp_path):
    _member_run(tmp_path / "a", OLD)
    _member_run(tmp_path / "b", OLD)
    _ensemble(tmp_path / "inner", [{"path": "../a", "created": OLD},
                                   {"path": "../b", "created": OLD}])
    outer = _ensemble(tmp_path / "outer", [{"path": "../inner", "created": OLD},
                                           {"path": "../b", "created": OLD}])
    Run.open(outer)
    (tmp_path / "a" / MANIFEST).write_text(Manifest.new(**FIELDS, created=NEW).to_json())
    with pytest.raises(RunDirError) as caught:
        Run.open(outer)
    # the inner ensemble's file and its member named as they are (outer/../inner/../a stored)
    assert str(caught.value).startswith(f"{tmp_path / 'inner' / MANIFEST}: field 'members': "
                                        f"{tmp_path / 'a'} was replaced after this ensemble "
                                        f"combined it (created {NEW}, ")


def test_an_ensemble_from_before_members_recorded_created_opens_as_before(tmp_path):
    """Members without a stamp (ensembles built before it was recorded) are not checked."""
    _member_run(tmp_path / "a", NEW)
    _member_run(tmp_path / "b", NEW)
    ens = _ensemble(tmp_path / "ens", [{"name": "a", "path": "../a"},
                                       {"name": "b", "path": "../b", "created": None}])
    assert [path.name for path in Run.open(ens).member_dirs()] == ["a", "b"]


def _scored(path, created, probability=(0.9, 0.2, 0.6)):
    """A finished run folder with its out-of-fold scores (oof.parquet)."""
    _member_run(path, created)
    pd.DataFrame({"id": [1, 2, 3], "fold": [0, 1, 2], "probability": list(probability),
                  "label": [1, 0, 1], "language": ["en"] * 3}).to_parquet(path / OOF)
    return path


def _stamped(path) -> dict:
    """An ensemble's run.json entry for the member at `path` as ensemble/runner.py records it."""
    return {"path": f"../{path.name}", "created": OLD, "oof_sha256": oof_sha256(path)}


def test_a_member_retrained_within_the_same_second_is_refused_by_its_oof_digest(tmp_path):
    """A retrain finishing in the second the member was made keeps its created stamp; its
    out-of-fold scores, which the combination was fitted on, are what changed."""
    a, b = _scored(tmp_path / "a", OLD), _scored(tmp_path / "b", OLD)
    recorded = oof_sha256(a)
    ens = _ensemble(tmp_path / "ens", [_stamped(a), _stamped(b)])
    Run.open(ens)
    shutil.rmtree(a)
    _scored(a, OLD, probability=(0.8, 0.3, 0.6))  # the same stamp, other scores
    with pytest.raises(RunDirError) as caught:
        Run.open(ens)
    assert str(caught.value) == (
        f"{ens / MANIFEST}: field 'members': {a} was replaced after this ensemble "
        f"combined it (its out-of-fold scores changed: its oof.parquet now has SHA-256 "
        f"{oof_sha256(a)[:12]}, the ensemble holds the one of SHA-256 {recorded[:12]}); "
        "build the ensemble again (shoprel ensemble ... --overwrite)")
    (a / OOF).unlink()
    with pytest.raises(RunDirError, match=r"changed: its oof\.parquet is missing, the "):
        Run.open(ens)


def test_a_changed_created_stamp_is_said_as_such_even_with_the_oof_digest_recorded(tmp_path):
    a = _scored(tmp_path / "a", OLD)
    ens = _ensemble(tmp_path / "ens", [_stamped(a)])
    (a / MANIFEST).write_text(Manifest.new(**FIELDS, created=NEW).to_json())  # same scores
    said = re.escape(f"combined it (created {NEW}, the ensemble holds the one created {OLD})")
    with pytest.raises(RunDirError, match=said):
        Run.open(ens)


def test_an_ensemble_that_recorded_only_created_stamps_checks_only_those(tmp_path):
    """Ensembles built before the digest was recorded: other scores under the same stamp
    pass, as they did; another stamp is still refused."""
    a = _scored(tmp_path / "a", OLD)
    ens = _ensemble(tmp_path / "ens", [{"path": "../a", "created": OLD}])
    shutil.rmtree(a)
    _scored(a, OLD, probability=(0.8, 0.3, 0.6))
    assert Run.open(ens).member_dirs() == [ens / "../a"]
    (a / MANIFEST).write_text(Manifest.new(**FIELDS, created=NEW).to_json())
    with pytest.raises(RunDirError, match=re.escape(f"(created {NEW}, the ensemble holds")):
        Run.open(ens)


def test_a_member_is_named_normalised_and_relative_as_the_ensemble_was_given(tmp_path,
                                                                             monkeypatch):
    """run.json stores `../a` (relative to the ensemble): the message joins and normalises it,
    `runs/a` for `runs/ens` given, not `runs/ens/../a`; what is stored stays as it is."""
    runs = tmp_path / "runs"
    _member_run(runs / "a", NEW)
    _ensemble(runs / "ens", [{"path": "../a", "created": OLD}])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RunDirError) as caught:
        Run.open("runs/ens")
    assert str(caught.value).startswith(
        "runs/ens/run.json: field 'members': runs/a was replaced after this ensemble combined "
        f"it (created {NEW}, ")
    assert json.loads((runs / "ens" / MANIFEST).read_text())["members"][0]["path"] == "../a"
    _ensemble(runs / "loop", [{"path": "../loop"}])
    with pytest.raises(RunDirError, match=r"^runs/loop/run\.json: field 'members': runs/loop "
                                          r"leads back to /.*/runs/loop, an ensemble that "):
        Run.open("runs/loop")


def test_a_missing_or_emptied_member_is_named_normalised_and_relative_too(tmp_path, monkeypatch):
    """The other member errors name the member as check_members does (runs/gone, not
    runs/ens/../gone), from the ensemble's run.json and its field, a nested one's too."""
    runs = tmp_path / "runs"
    _member_run(runs / "a", OLD)
    (runs / "emptied").mkdir(parents=True)
    _ensemble(runs / "ens", [{"path": "../a"}, {"path": "../gone"}])
    _ensemble(runs / "hollow", [{"path": "../a"}, {"path": "../emptied"}])
    _ensemble(runs / "outer", [{"path": "../ens"}, {"path": "../a"}])
    monkeypatch.chdir(tmp_path)
    for given, said in [
            ("runs/ens", "runs/ens/run.json: field 'members': member run(s) missing: runs/gone"),
            ("runs/outer", "runs/ens/run.json: field 'members': member run(s) missing: "
                           "runs/gone"),
            ("runs/hollow", "runs/hollow/run.json: field 'members': member(s) runs/emptied: no "
                            "run.json; not a shoprel run (was it replaced or emptied?)")]:
        with pytest.raises(RunDirError) as caught:
            Run.open(given)
        assert str(caught.value) == said


def test_a_member_opened_through_its_ensemble_names_its_missing_models_normalised(
        tmp_path, monkeypatch):
    """A member an ensemble opens is at runs/ens/../a; predict's refusal of its missing model
    named it so, where the ensemble's own member errors say runs/a."""
    runs = tmp_path / "runs"
    _member_run(runs / "a", OLD)
    _ensemble(runs / "ens", [{"path": "../a"}])
    monkeypatch.chdir(tmp_path)
    member = Run.open(Run.open("runs/ens").member_dirs()[0])
    with pytest.raises(RunDirError) as caught:
        member.model_folders()
    assert str(caught.value) == "runs/a: model folder(s) missing: runs/a/models/full"


def test_a_member_reached_through_its_ensemble_names_its_own_files_normalised(
        tmp_path, monkeypatch):
    """A member's damaged run.json, model config, model files or metrics.json were named at
    runs/ens/../a (`predict runs/ens`: 'runs/ens/../a/run.json: not valid JSON'), where the
    ensemble's own member errors say runs/a; relative as the ensemble was given (../runs/a
    from a folder beside it). The paths read stay the ones stored."""
    runs = tmp_path / "runs"
    a = _member_run(runs / "a", OLD)
    _ensemble(runs / "ens", [{"path": "../a"}])
    (tmp_path / "beside").mkdir()
    for where, prefix in ((tmp_path, "runs"), (tmp_path / "beside", "../runs")):
        monkeypatch.chdir(where)
        member = Run.open(Run.open(f"{prefix}/ens").member_dirs()[0])
        assert str(member.path) == f"{prefix}/ens/../a"
        (a / "models" / "full").mkdir(parents=True, exist_ok=True)
        (a / "models" / "full" / "model.json").write_text("{")
        with pytest.raises(RunDirError, match=rf"^{prefix}/a/models/full/model\.json: not a "
                                              "readable model config"):
            member.model_folders()
        (a / "models" / "full" / "model.json").write_text('{"family": "fast"}')
        with pytest.raises(RunDirError) as caught:
            member.load_models()
        assert str(caught.value) == (f"{prefix}/a/models/full: cannot load the saved model "
                                     "(KeyError: 'params')")
        (a / "metrics.json").write_text("[1]")
        with pytest.raises(RunDirError) as caught:
            member.metrics()
        assert str(caught.value) == f"{prefix}/a/metrics.json: a list is not a JSON object"
        manifest = (a / MANIFEST).read_text()
        for damaged, said in (("{", "not valid JSON"), ("[1]", "a list is not a JSON object"),
                              (manifest.replace('"QC"', '"XX"'), "field 'task': ")):
            (a / MANIFEST).write_text(damaged)
            with pytest.raises(RunDirError, match=f"^{prefix}/a/run\\.json: {re.escape(said)}"):
                Run.open(f"{prefix}/ens")
        (a / MANIFEST).write_text(manifest)


def test_oof_with_sha256_is_the_checked_table_and_the_digest_of_its_bytes(tmp_path):
    a = _scored(tmp_path / "a", OLD)
    table, digest = Run.open(a).oof_with_sha256()
    assert table.equals(Run.open(a).oof()) and digest == oof_sha256(a)
    (a / OOF).write_bytes(b"PAR1 not parquet")
    with pytest.raises(RunDirError, match=r"a/oof\.parquet: not a readable Parquet file"):
        Run.open(a).oof_with_sha256()
    (a / OOF).unlink()
    with pytest.raises(RunDirError, match=r"a/oof\.parquet: missing$"):
        Run.open(a).oof_with_sha256()


def test_a_member_opened_through_its_ensemble_names_its_oof_table_normalised(
        tmp_path, monkeypatch):
    """An ensemble reads its members' scores at runs/ens/../a/oof.parquet; a damaged, partial or
    missing table is named runs/a/oof.parquet, as the ensemble's own member errors name it,
    relative as the ensemble was given. The path read stays the one stored."""
    runs = tmp_path / "runs"
    a = _scored(runs / "a", OLD)
    _ensemble(runs / "ens", [{"path": "../a"}])
    monkeypatch.chdir(tmp_path)
    member = Run.open(Run.open("runs/ens").member_dirs()[0])
    assert str(member.path) == "runs/ens/../a"
    pd.read_parquet(a / OOF).drop(columns="label").to_parquet(a / OOF)
    for read in (member.oof, member.oof_with_sha256):
        with pytest.raises(RunDirError) as caught:
            read()
        assert str(caught.value) == "runs/a/oof.parquet: column 'label' missing"
    (a / OOF).write_bytes(b"PAR1 not parquet")
    with pytest.raises(RunDirError, match=r"^runs/a/oof\.parquet: not a readable Parquet file"):
        member.oof()
    (a / OOF).unlink()
    for read in (member.oof, member.oof_with_sha256):
        with pytest.raises(RunDirError) as caught:
            read()
        assert str(caught.value) == "runs/a/oof.parquet: missing"


def test_a_folder_of_runs_given_as_a_run_names_the_runs_it_holds(tmp_path):
    for name in ("qc", "qi"):
        _member_run(tmp_path / "runs" / name, OLD)
    (tmp_path / "runs" / "notes").mkdir()
    with pytest.raises(RunDirError) as info:
        Run.open(tmp_path / "runs")
    said = str(info.value)
    assert said.endswith(f"runs: no run.json; not a shoprel run directory; it holds runs "
                         f"({tmp_path / 'runs' / 'qc'}, {tmp_path / 'runs' / 'qi'}): "
                         "give one of them")
    assert "interrupted" not in said
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError) as info:
        Run.open(tmp_path / "empty")
    assert str(info.value).endswith("empty: no run.json; not a shoprel run directory")
