"""The ensemble command end to end, then the ensemble used as a run: predict, report."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import shoprel.demo
from shoprel.cli.ensemble import ensemble, noise
from shoprel.data.readers import read_pairs
from shoprel.ensemble.combine import vote_share
from shoprel.ensemble.stacking import predict_stack
from shoprel.evaluate.report import write_run_report
from shoprel.predict.predictor import Predictor, predict_file

# the tests marked reads_report read a report: the others' charts are seconds a run
pytestmark = pytest.mark.usefixtures("no_report_charts")


@pytest.fixture(scope="module")
def frame():
    return read_pairs(shoprel.demo.demo_file("QC")).take(np.arange(40))


def _build(qc_runs, out, *args):
    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out", str(out),
                                           *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("method", ["mean", "weighted", "vote", "stack"])
def test_ensemble_predicts_like_its_members_combined(qc_runs, tmp_path, frame, method):
    extra = ["--weights", "0.7,0.3"] if method == "weighted" else []
    result = _build(qc_runs, tmp_path / "ens", "--method", method, *extra)
    assert "nested F1" in result.output
    ens = Predictor(tmp_path / "ens")
    members = [Predictor(d) for d in qc_runs]
    p = np.column_stack([m.probabilities(frame) for m in members])
    combination = ens.run.manifest["combination"]
    expected = {
        "mean": lambda: p.mean(axis=1),
        "weighted": lambda: p @ np.array([0.7, 0.3]),
        "vote": lambda: vote_share(p, np.array([m.threshold for m in members])),
        "stack": lambda: predict_stack(combination["stack"], p, frame.df["language"]),
    }[method]()
    assert np.allclose(ens.probabilities(frame), expected)
    assert ens.run.manifest["kind"] == "ensemble"
    stored = [m["path"] for m in ens.run.manifest["members"]]
    assert all(path.startswith("..") for path in stored)
    assert [(tmp_path / "ens" / path).resolve() for path in stored] == \
        [d.resolve() for d in qc_runs]


@pytest.mark.reads_report
def test_ensemble_directory_works_as_a_run(qc_runs, tmp_path, frame):
    ens_dir = tmp_path / "ens"
    _build(qc_runs, ens_dir, "--method", "stack", "--per-language-thresholds")
    metrics = json.loads((ens_dir / "metrics.json").read_text())
    assert metrics["overall"]["n"] == 360 and metrics["model"]["family"] == "ensemble"
    assert {"global_f1_nested", "per_language_f1_nested"} <= set(
        metrics["per_language_thresholds"])
    assert "language_thresholds" in json.loads((ens_dir / "run.json").read_text())
    assert (ens_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    write_run_report(ens_dir, tmp_path / "again.html")
    assert (tmp_path / "again.html").stat().st_size > 1000
    out = predict_file(ens_dir, shoprel.demo.demo_file("QC"), tmp_path / "pred.csv",
                       progress=False)
    assert out.rows == 360
    assert set(pd.read_csv(tmp_path / "pred.csv")["prediction"]) <= {0, 1}


def test_bad_weights_are_a_clear_error(qc_runs, tmp_path):
    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                           str(tmp_path / "e"), "--weights", "1,x"])
    assert result.exit_code == 2 and "comma-separated numbers" in result.output


@pytest.mark.parametrize(("weights", "said"), [
    ("nan,1", "nan is not a number."), ("1,inf", "inf is not a finite number."),
    ("1e400,1", "1e400 is not a finite number.")])
def test_weights_that_are_not_finite_are_refused(qc_runs, tmp_path, weights, said):
    for method in ("weighted", "vote"):
        result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                               str(tmp_path / "e"), "--method", method,
                                               "--weights", weights])
        assert result.exit_code == 2
        assert f"Invalid value for '--weights': {said}" in result.output
        assert not (tmp_path / "e").exists()


@pytest.mark.parametrize("weights, message", [
    ("1e400,1", "1e400 is not a finite number"),
    ("1, nan", "nan is not a number"),
    ("-1,1", "-1 is out of range; it must be at least 0 (0 leaves a member out)"),
    ("1,-1e-3", "-1e-3 is out of range; it must be at least 0 (0 leaves a member out)"),
    ("0,0", "0,0: all are 0; at least one weight must be above 0"),
])
def test_unusable_weights_are_named_as_typed(tmp_path, weights, message):
    """1e400 was echoed as 'inf is not a finite number', and -1 or 0,0 as 'weights must be
    non-negative and not all zero' without the weight; each is named as typed, before any
    run is read, in the words of every number option's refusal (it was 'error: --weights: ...'):
    nan as utils.bounds.not_finite says it (it was 'nan is not a finite number'), each ended
    with a full stop as the other options' refusals are."""
    from shoprel.cli import main

    result = CliRunner().invoke(main, ["ensemble", str(tmp_path / "a"), str(tmp_path / "b"),
                                       "--out", str(tmp_path / "e"), "--method", "weighted",
                                       "--weights", weights])
    assert result.exit_code == 2
    assert result.output == (f"error: shoprel ensemble: invalid value for '--weights': "
                             f"{message} (shoprel ensemble --help)\n")


def test_overwrite_replaces_only_an_output_of_the_same_kind(qc_runs, tmp_path):
    """An ensemble may not replace a trained run (its models, its student), nor the reverse."""
    import shutil

    from shoprel.errors import OutputError
    from shoprel.training.config_reading import load_config
    from shoprel.training.runner import train

    run_copy = tmp_path / "run"
    shutil.copytree(qc_runs[0], run_copy)
    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                           str(run_copy), "--overwrite"])
    assert isinstance(result.exception, OutputError)
    assert "holds a trained run; --overwrite replaces only an ensemble" in str(result.exception)
    assert (run_copy / "models").is_dir()
    _build(qc_runs, tmp_path / "ens")
    with pytest.raises(OutputError, match="holds an ensemble; --overwrite replaces only a "
                                          "trained run"):
        train(shoprel.demo.demo_file("QC"), tmp_path / "ens", load_config(None),
              overwrite=True, progress=False)
    assert json.loads((tmp_path / "ens" / "run.json").read_text())["kind"] == "ensemble"


def test_weights_for_a_method_without_weights_are_refused(qc_runs, tmp_path):
    from shoprel.errors import ConfigError

    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                           str(tmp_path / "e"), "--method", "stack",
                                           "--weights", "1,2"])
    assert isinstance(result.exception, ConfigError)
    assert "weighted and vote" in str(result.exception)


def test_noise_command_lists_and_writes_flagged_ids(qc_runs, tmp_path):
    result = CliRunner().invoke(noise, [str(qc_runs[0]), "--out", str(tmp_path / "ids.txt"),
                                        "--top", "3", "--filtered-train",
                                        str(tmp_path / "clean.jsonl")])
    assert result.exit_code == 0, result.output
    ids = (tmp_path / "ids.txt").read_text().split()
    assert len(ids) > 3 and f"{len(ids)} rows flagged of 360" in result.output
    assert len([line for line in result.output.splitlines() if "\tlabel=" in line]) == 3
    kept = read_pairs(tmp_path / "clean.jsonl")
    assert len(kept) == 360 - len(ids)
    assert not set(kept.df["id"].astype(str)) & set(ids)


def test_the_top_help_says_it_limits_only_what_is_printed():
    """--top's help said only 'how many ... to print', beside --out and --filtered-train, which
    a user could read as writing or dropping that many; they take every flagged row."""
    text = " ".join(CliRunner().invoke(noise, ["--help"]).output.split())
    assert ("print (0: none); --out and --filtered-train take every flagged row, not only these"
            in text)


def test_runs_on_different_data_fail_with_one_clear_line(qc_runs, tmp_path, make_fake_run):
    """As it will run once registered on `main` (whose group turns errors into one line)."""
    from shoprel.cli import ShoprelGroup

    group = ShoprelGroup(name="shoprel", commands={"ensemble": ensemble})
    other = make_fake_run(qc_runs[1], tmp_path / "other")
    oof = pd.read_parquet(other / "oof.parquet")
    oof.assign(id=oof["id"] + 10_000).to_parquet(other / "oof.parquet", index=False)
    result = CliRunner().invoke(group, ["ensemble", str(qc_runs[0]), str(other), "--out",
                                        str(tmp_path / "e")])
    assert result.exit_code == 2
    assert "trained on different rows" in result.output and str(other) in result.output
    assert not (tmp_path / "e").exists()


def test_a_member_replaced_after_the_ensemble_is_refused(qc_runs, tmp_path):
    """A member retrained in place (train --overwrite) is another model: the ensemble's
    combination never saw its scores, so opening the ensemble says so instead of using it."""
    import shutil

    from shoprel.errors import RunDirError
    from shoprel.run.folder import Run

    members = [tmp_path / "a", tmp_path / "b"]
    for source, copy in zip(qc_runs, members, strict=True):
        shutil.copytree(source, copy)
    _build(members, tmp_path / "ens")
    assert Run.open(tmp_path / "ens").member_dirs()
    manifest = json.loads((members[1] / "run.json").read_text())
    manifest["created"] = "2030-01-01T00:00:00+00:00"  # what a retrained run carries
    (members[1] / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(RunDirError, match=r"b was replaced after this ensemble combined it"):
        Run.open(tmp_path / "ens")
    shutil.rmtree(members[1])
    (members[1]).mkdir()
    with pytest.raises(RunDirError, match="no run.json; not a shoprel run"):
        Run.open(tmp_path / "ens")


def test_members_of_one_name_are_told_apart_by_their_folders(qc_runs, tmp_path):
    import shutil

    members = [tmp_path / "x" / "qc", tmp_path / "y" / "qc"]
    for run, copy in zip(qc_runs, members, strict=False):
        shutil.copytree(run, copy)
    name = json.loads((members[0] / "run.json").read_text())["name"]
    manifest = json.loads((members[1] / "run.json").read_text())
    (members[1] / "run.json").write_text(json.dumps({**manifest, "name": name}))
    output = _build(members, tmp_path / "ens").output
    # the shortest end of each folder's path that tells them apart, as in metrics.json
    assert f"member {name} (x/qc): F1" in output
    assert f"member {name} (y/qc): F1" in output


def _report_text(folder) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", (folder / "report.html").read_text(encoding="utf-8"))


@pytest.mark.reads_report
def test_the_report_says_whether_predict_uses_the_per_language_cuts(qc_runs, tmp_path):
    from click.testing import CliRunner as Runner

    from shoprel.cli.predict import predict

    _build(qc_runs, tmp_path / "plain", "--method", "mean")
    _build(qc_runs, tmp_path / "cuts", "--method", "mean", "--per-language-thresholds")
    plain, cuts = _report_text(tmp_path / "plain"), _report_text(tmp_path / "cuts")
    assert "shrunk cut (not used)" in plain and "Not used: predict applies the global" in plain
    assert "shrunk cut (used)" in cuts and "used by predict for languages without their own" \
        in cuts
    said = Runner().invoke(predict, [str(tmp_path / "cuts"), str(shoprel.demo.demo_file("QC")),
                                     "--out", str(tmp_path / "p.jsonl"), "--quiet"]).output
    assert "(per-language thresholds 0." in said and "for other languages)" in said
    said = Runner().invoke(predict, [str(tmp_path / "plain"),
                                     str(shoprel.demo.demo_file("QC")), "--out",
                                     str(tmp_path / "q.jsonl"), "--quiet"]).output
    assert "(threshold 0." in said and "per-language" not in said


@pytest.mark.reads_report
def test_a_vote_is_reported_as_its_fixed_majority_rule(qc_runs, tmp_path):
    result = _build(qc_runs, tmp_path / "vote", "--method", "vote")
    metrics = json.loads((tmp_path / "vote" / "metrics.json").read_text())
    block = metrics["per_language_thresholds"]
    assert block["global_threshold"] == 0.5
    assert block["global_f1_nested"] == pytest.approx(metrics["overall"]["f1"])
    assert f"nested F1: global cut {metrics['overall']['f1']:.4f}" in result.output
    text = _report_text(tmp_path / "vote")
    assert "weighted majority of the members" in text and "from the config" not in text
    assert "F1 at that cut" in text and "(optimistic)" not in text.split("Threshold:")[1][:400]


@pytest.mark.reads_report
def test_an_ensembles_errors_show_their_texts(qc_runs, tmp_path):
    _build(qc_runs, tmp_path / "ens", "--method", "mean")
    oof = pd.read_parquet(tmp_path / "ens" / "oof.parquet")
    member = pd.read_parquet(qc_runs[0] / "oof.parquet").set_index("id")
    assert oof["query"].tolist() == oof["id"].map(member["query"]).tolist()
    assert "no query/target text" not in _report_text(tmp_path / "ens")


def test_shrinkage_without_per_language_cuts_is_refused(qc_runs, tmp_path):
    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                           str(tmp_path / "e"), "--shrinkage", "50"])
    assert "--shrinkage: applies only with --per-language-thresholds" in str(result.exception)
    assert not (tmp_path / "e").exists()


def test_an_infinite_shrinkage_is_refused_in_one_line(qc_runs, tmp_path):
    """It made every language's cut NaN: a pydantic traceback when the manifest was built."""
    result = CliRunner().invoke(ensemble, [str(qc_runs[0]), str(qc_runs[1]), "--out",
                                           str(tmp_path / "e"), "--per-language-thresholds",
                                           "--shrinkage", "inf"])
    assert result.exit_code == 2
    assert "Invalid value for '--shrinkage': inf is not a finite number." in result.output
    assert not (tmp_path / "e").exists()


def test_a_member_of_an_ensemble_given_is_not_replaced(qc_runs, tmp_path, make_fake_run):
    """`ensemble OUTER C --out INNER --overwrite`, INNER a member of OUTER: it was replaced,
    leaving OUTER broken and the two ensembles a cycle."""
    inner, outer = tmp_path / "inner", tmp_path / "outer"
    _build(qc_runs, inner)
    third = make_fake_run(qc_runs[1], tmp_path / "c", created="2026-01-01T00:00:00+00:00")
    assert CliRunner().invoke(ensemble, [str(inner), str(third), "--out", str(outer)]
                              ).exit_code == 0
    before = {p.name: p.read_bytes() for p in inner.iterdir() if p.is_file()}
    fourth = make_fake_run(qc_runs[1], tmp_path / "d", created="2026-01-02T00:00:00+00:00")
    result = CliRunner().invoke(ensemble, [str(outer), str(fourth), "--out", str(inner),
                                           "--overwrite"])
    assert "inner: overlaps" in str(result.exception) and "which this command reads" in \
        str(result.exception)
    assert {p.name: p.read_bytes() for p in inner.iterdir() if p.is_file()} == before


def test_compare_counts_an_ensembles_members_in_its_size(qc_runs, tmp_path):
    from shoprel.evaluate.compare import compare_runs, folder_size

    _build(qc_runs, tmp_path / "ens", "--method", "mean")
    sides = compare_runs([qc_runs[0], tmp_path / "ens"]).runs
    members = folder_size(qc_runs[0]) + folder_size(qc_runs[1])
    assert sides[0].cost["size_bytes"] == folder_size(qc_runs[0])
    assert sides[1].cost["size_bytes"] == members + folder_size(tmp_path / "ens")


def test_build_ensemble_checks_its_output_once(qc_runs, tmp_path, monkeypatch):
    """build_ensemble ran the whole output check twice (the second only to add the members'
    own members to what it reads, which test_a_member_of_an_ensemble_given_is_not_replaced
    holds to)."""
    from shoprel.ensemble import runner

    checked = []
    real = runner.check_output_dir
    monkeypatch.setattr(runner, "check_output_dir",
                        lambda out, *args, **kwargs: checked.append(out) or real(out, *args,
                                                                                 **kwargs))
    runner.build_ensemble(list(qc_runs), tmp_path / "ens")
    assert checked == [tmp_path / "ens"]


def test_the_out_help_names_every_table_suffix():
    """--out's help said `.csv/.parquet/.jsonl: a table` by hand, leaving out .tsv and .pq,
    which are written as tables too; it is now written from the one list the writer and the
    noise section's reader share."""
    from shoprel.data.formats import ID_TABLE_SUFFIXES

    text = " ".join(CliRunner().invoke(noise, ["--help"]).output.split())
    assert ("one per line, or a table with an id column when the name ends in .csv, .jsonl, "
            ".parquet, .pq, .tsv." in text)
    assert set(ID_TABLE_SUFFIXES) == {".csv", ".jsonl", ".parquet", ".pq", ".tsv"}


def test_the_weights_searched_are_printed_beside_their_members(qc_runs, tmp_path):
    """--method weighted without --weights searches them: the terminal says which it kept."""
    result = _build(qc_runs, tmp_path / "searched", "--method", "weighted")
    params = json.loads((tmp_path / "searched" / "metrics.json").read_text())["model"]["params"]
    lines = result.output.splitlines()
    for name, weight in zip(params["members"], params["weights"], strict=True):
        assert any(line.startswith(f"member {name}:") and line.endswith(f"weight {weight:.3g}")
                   for line in lines), result.output
    assert "weights: grid search maximising OOF roc_auc" in result.output
    given = _build(qc_runs, tmp_path / "given", "--method", "vote", "--weights", "1,3")
    assert "weight 0.25" in given.output and "weight 0.75" in given.output
    assert "weights:" not in given.output
    assert " weight " not in _build(qc_runs, tmp_path / "mean").output
