"""An ensemble's metrics.json describes the ensemble's data, not only its first member's."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from shoprel.cli.ensemble import ensemble
from shoprel.ensemble import runner
from shoprel.ensemble.runner import build_ensemble
from shoprel.errors import RunDirError
from shoprel.evaluate.report import write_run_report
from shoprel.evaluate.run_metrics import translated_only_languages, translated_only_note
from shoprel.run.data import PER_MEMBER
from shoprel.run.folder import Run
from shoprel.run.layout import MANIFEST, METRICS, OOF
from shoprel.run.writer import RunWriter
from shoprel.utils.digest import sha256_of_file


def without_reports(patch):
    """Runs written without report.html (seconds of charts each) where a test reads none."""
    patch.setattr(RunWriter, "report", lambda self, metrics, table: None)


def test_fields_members_differ_in_are_recorded_per_member(augmented_runs, tmp_path):
    """The ensemble copied its first member's data block: with "plain" first it said no row
    was augmented and nothing of the Thai its other member trained on."""
    plain, translated = augmented_runs
    member = Run.open(plain).metrics()["data"]
    result = build_ensemble([plain, translated], tmp_path / "ens")
    data = result.metrics["data"]
    shared = {key: member[key] for key in ("train_file", "train_sha256", "rows", "empty_query",
                                           "empty_target", "dropped")}
    assert data == {**shared, PER_MEMBER: [
        {"name": "plain", "augmented_rows": 0, "translated_rows": {}},
        {"name": "tr", "augmented_rows": 45, "translated_rows": {"th": 45}}]}
    assert Run.open(tmp_path / "ens").metrics()["data"] == data
    assert translated_only_languages(result.metrics) == {"th": [("tr", 45)]}
    said = ("trained on translations only: th (tr: 45 translated rows; plain: none); "
            "translated rows never validate")
    assert translated_only_note(result.metrics).startswith(said)
    report = (tmp_path / "ens" / "report.html").read_text(encoding="utf-8")
    assert said[0].upper() + said[1:] in report
    assert "<th>augmented rows</th><td>plain: 0; tr: 45</td>" in report
    assert f"<th>training file</th><td>{Path(member['train_file']).name}</td>" in report
    assert Run.open(tmp_path / "ens").train_file() == member["train_file"]


def test_members_alike_keep_one_block_and_nested_ensembles_list_trained_runs(
        augmented_runs, tmp_path, make_fake_run, monkeypatch):
    """Members augmented alike leave a run's block, no per-member list; an ensemble given as
    a member is listed as the trained runs behind it."""
    without_reports(monkeypatch)
    plain, translated = augmented_runs
    # "plain" trained again: other scores, the same data block
    other = make_fake_run(plain, tmp_path / "other", Run.open(plain).oof()["probability"]
                          ** 2, name="other", created="2026-01-01T00:00:00+00:00")
    alike = build_ensemble([plain, other], tmp_path / "alike").metrics["data"]
    assert alike == Run.open(plain).metrics()["data"]
    build_ensemble([plain, translated], tmp_path / "ens")
    nested = build_ensemble([tmp_path / "ens", other], tmp_path / "nested").metrics
    assert [(entry["name"], entry["augmented_rows"]) for entry in nested["data"][PER_MEMBER]] \
        == [("plain", 0), ("tr", 45), ("other", 0)]
    assert translated_only_languages(nested) == {"th": [("tr", 45)]}


def test_the_ensemble_command_says_which_member_trained_on_translations_only(
        augmented_runs, tmp_path, monkeypatch):
    without_reports(monkeypatch)
    plain, translated = augmented_runs
    result = CliRunner().invoke(ensemble, [str(plain), str(translated), "--out",
                                           str(tmp_path / "ens")])
    assert result.exit_code == 0, result.output
    assert ("note: trained on translations only: th (tr: 45 translated rows; plain: none); "
            in result.output)


def test_an_older_ensemble_with_its_first_members_block_still_reports(augmented_runs,
                                                                      tmp_path):
    """Ensembles written before kept their first member's block as their own: still read
    (report, training file, note) as that one block."""
    plain, translated = augmented_runs
    with pytest.MonkeyPatch.context() as patch:
        without_reports(patch)  # written below, from the older block
        build_ensemble([translated, plain], tmp_path / "ens")
    path = tmp_path / "ens" / METRICS
    metrics = json.loads(path.read_text(encoding="utf-8"))
    metrics["data"] = Run.open(translated).metrics()["data"]
    path.write_text(json.dumps(metrics), encoding="utf-8")
    write_run_report(tmp_path / "ens")
    report = (tmp_path / "ens" / "report.html").read_text(encoding="utf-8")
    assert "Trained on translations only: th (45 translated rows)" in report
    assert "<th>augmented rows</th><td>45</td>" in report
    assert Run.open(tmp_path / "ens").train_file() == metrics["data"]["train_file"]


def test_two_members_of_one_name_are_told_apart_by_their_folders(augmented_runs, tmp_path,
                                                                  make_fake_run, monkeypatch):
    """runs/a/tr and runs/b/tr, both named "tr", were two "tr" entries in data.per_member and
    in the translated-only note: which one saw the Thai rows could not be told."""
    without_reports(monkeypatch)
    plain, translated = augmented_runs
    first = make_fake_run(translated, tmp_path / "runs" / "a" / "tr",
                          created="2026-01-01T00:00:00+00:00")
    second = make_fake_run(plain, tmp_path / "runs" / "b" / "tr", name="tr",
                           created="2026-01-02T00:00:00+00:00")
    result = CliRunner().invoke(ensemble, [str(first), str(second), "--out",
                                           str(tmp_path / "ens")])
    assert result.exit_code == 0, result.output
    metrics = Run.open(tmp_path / "ens").metrics()
    assert [(entry["name"], entry["augmented_rows"]) for entry in metrics["data"][PER_MEMBER]] \
        == [("tr (a/tr)", 45), ("tr (b/tr)", 0)]
    assert [member["name"] for member in metrics["members"]] == ["tr (a/tr)", "tr (b/tr)"]
    assert metrics["model"]["params"]["members"] == ["tr (a/tr)", "tr (b/tr)"]
    assert "member tr (a/tr): F1" in result.output and "member tr (b/tr): F1" in result.output
    assert ("note: trained on translations only: th (tr (a/tr): 45 translated rows; "
            "tr (b/tr): none); " in result.output)
    assert str(tmp_path) not in json.dumps(metrics)  # only as much path as tells them apart


def test_trained_runs_of_one_name_behind_a_nested_ensemble_are_told_apart(
        augmented_runs, tmp_path, make_fake_run, monkeypatch):
    """An ensemble given as a member lists the trained runs behind it under data.per_member,
    named as its own per_member named them: beside another member named like one of them
    (ens of plain and tr, then ens with runs/b/tr) two entries were "tr", and the
    translated-only note, which counts by name, left out the second "tr" that saw no Thai.
    Every trained run behind the ensemble is now named by distinct_names' rule at once."""
    without_reports(monkeypatch)
    plain, translated = augmented_runs
    build_ensemble([plain, translated], tmp_path / "runs" / "a" / "ens")
    second = make_fake_run(plain, tmp_path / "runs" / "b" / "tr",
                           Run.open(plain).oof()["probability"] ** 2, name="tr",
                           created="2026-01-02T00:00:00+00:00")
    nested = build_ensemble([tmp_path / "runs" / "a" / "ens", second],
                            tmp_path / "nested").metrics
    assert [(entry["name"], entry["augmented_rows"]) for entry in nested["data"][PER_MEMBER]] \
        == [("plain", 0), (f"tr ({translated.parent.name}/tr)", 45), ("tr (b/tr)", 0)]
    assert nested["model"]["params"]["members"] == ["ens", "tr"]  # one level: no clash
    assert translated_only_note(nested).startswith(
        f"trained on translations only: th (tr ({translated.parent.name}/tr): 45 translated "
        "rows; plain: none; tr (b/tr): none); ")


def test_a_retrain_landing_after_the_scores_were_read_lends_the_ensemble_none_of_its_figures(
        qc_runs, tmp_path, make_fake_run, monkeypatch):
    """The builder read each member's f1 and roc_auc (and data block) from metrics.json after
    fitting the combination: a retrain landing meanwhile put the new run's figures beside the
    old run's scores. They are read with the scores now."""
    without_reports(monkeypatch)
    a = make_fake_run(qc_runs[0], tmp_path / "a")
    b = make_fake_run(qc_runs[1], tmp_path / "b")
    before = json.loads((a / METRICS).read_text())
    align_runs = runner.align_runs

    def retrained_meanwhile(run_dirs, **options):
        aligned = align_runs(run_dirs, **options)
        after = json.loads((a / METRICS).read_text())
        after["overall"].update(f1=0.0123, roc_auc=0.0456)
        after["data"]["train_file"] = "another.jsonl"
        (a / METRICS).write_text(json.dumps(after))
        return aligned

    monkeypatch.setattr(runner, "align_runs", retrained_meanwhile)
    metrics = build_ensemble([a, b], tmp_path / "ens").metrics
    first = metrics["members"][0]
    assert (first["f1"], first["roc_auc"]) == (before["overall"]["f1"],
                                               before["overall"]["roc_auc"])
    assert metrics["data"]["train_file"] == before["data"]["train_file"]
    assert PER_MEMBER not in metrics["data"]


def test_a_member_retrained_while_the_ensemble_is_built_leaves_it_refusing_the_member(
        qc_runs, tmp_path, make_fake_run, monkeypatch):
    """The SHA-256 recorded is of the bytes the combination was fitted on: a retrain within
    the same second (same created stamp) landing after the builder read a member's scores
    leaves an ensemble that refuses the member, not one vouching for scores it never saw."""
    without_reports(monkeypatch)
    a = make_fake_run(qc_runs[0], tmp_path / "a")
    b = make_fake_run(qc_runs[1], tmp_path / "b")
    fitted_on = sha256_of_file(a / OOF)
    align_runs = runner.align_runs

    def retrained_meanwhile(run_dirs, **options):
        aligned = align_runs(run_dirs, **options)
        oof = pd.read_parquet(a / OOF)
        oof.assign(probability=1 - oof["probability"]).to_parquet(a / OOF, index=False)
        return aligned

    monkeypatch.setattr(runner, "align_runs", retrained_meanwhile)
    build_ensemble([a, b], tmp_path / "ens")
    now = sha256_of_file(a / OOF)
    assert now != fitted_on
    members = json.loads((tmp_path / "ens" / MANIFEST).read_text())["members"]
    assert [member["oof_sha256"] for member in members] == [fitted_on,
                                                            sha256_of_file(b / OOF)]
    with pytest.raises(RunDirError) as caught:
        Run.open(tmp_path / "ens")
    assert str(caught.value) == (
        f"{tmp_path / 'ens' / MANIFEST}: field 'members': {a} was replaced after this "
        f"ensemble combined it (its out-of-fold scores changed: its oof.parquet now has "
        f"SHA-256 {now[:12]}, the ensemble holds the one of SHA-256 {fitted_on[:12]}); build "
        "the ensemble again (shoprel ensemble ... --overwrite)")


def _spelt_before(run: Path, out: Path, old: str, new: str) -> Path:
    """A copy of `run` as a run trained before `old` was read as `new` keeps it: its
    out-of-fold rows and per-language figures spell the language `old`."""
    copy = Path(shutil.copytree(run, out))
    oof = pd.read_parquet(copy / OOF)
    oof["language"] = oof["language"].replace({new: old})
    oof.to_parquet(copy / OOF, index=False)
    metrics = json.loads((copy / METRICS).read_text())
    metrics["per_language"] = {old if lang == new else lang: figures
                               for lang, figures in metrics["per_language"].items()}
    (copy / METRICS).write_text(json.dumps(metrics))
    return copy


def test_a_member_trained_on_an_older_spelling_names_no_language_of_the_ensemble(
        qc_runs, tmp_path, monkeypatch):
    """An ensemble took its rows' languages from its first member: with a run trained before
    'jp' was read as 'ja' first, its per-language figures and cuts were 'jp', with it second
    'ja', the same rows either way. They are 'ja' in both orders, with the same figures."""
    without_reports(monkeypatch)
    older = _spelt_before(qc_runs[0], tmp_path / "older", "jp", "ja")
    built = {}
    for name, members in (("older_first", [older, qc_runs[1]]),
                          ("newer_first", [qc_runs[1], older])):
        result = build_ensemble(members, tmp_path / name, per_language_thresholds=True)
        run = Run.open(tmp_path / name)
        built[name] = (result.metrics["per_language"],
                       run.manifest["language_thresholds"]["languages"])
        assert set(run.oof()["language"]) == set(result.metrics["per_language"])
    (figures, cuts), (again, again_cuts) = built.values()
    assert "ja" in figures and "jp" not in figures and figures["ja"]["n"] == 45
    assert figures == again and cuts == again_cuts and "ja" in cuts


def test_a_cut_table_and_rows_spelling_a_language_apart_still_meet():
    """A member ensemble built before 'vn' was read as 'vi' keeps 'vn' cuts: rows now read
    'vi' took its global cut instead of Vietnamese's."""
    from shoprel.ensemble.cuts import row_thresholds

    table = {"global": 0.5, "languages": {"vn": {"threshold": 0.3}, "pt-br": {"threshold": 0.2}}}
    assert row_thresholds(["vi", "vn", "pt-BR", "pt_br", "de"], table, 0.5).tolist() == [
        0.3, 0.3, 0.2, 0.2, 0.5]
    newer = {"global": 0.5, "languages": {"vi": {"threshold": 0.3}}}
    assert row_thresholds(["vn", "vi"], newer, 0.5).tolist() == [0.3, 0.3]
