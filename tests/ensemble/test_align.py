import json

import numpy as np
import pandas as pd
import pytest

from shoprel.ensemble.align import align_runs, member_reference
from shoprel.errors import RunDirError


def test_runs_on_the_same_rows_align_by_id(qc_runs):
    aligned = align_runs(list(qc_runs))
    a = pd.read_parquet(qc_runs[0] / "oof.parquet").set_index("id")["probability"]
    b = pd.read_parquet(qc_runs[1] / "oof.parquet").set_index("id")["probability"]
    ids = aligned.base["id"]
    assert aligned.probabilities.shape == (len(a), 2)
    assert np.allclose(aligned.probabilities[:, 0], ids.map(a))
    assert np.allclose(aligned.probabilities[:, 1], ids.map(b))


def test_different_rows_are_refused_naming_the_runs(qc_runs, tmp_path):
    other = tmp_path / "fewer_rows"
    import shutil

    shutil.copytree(qc_runs[1], other)
    oof = pd.read_parquet(other / "oof.parquet")
    oof.iloc[10:].to_parquet(other / "oof.parquet", index=False)
    manifest = json.loads((other / "run.json").read_text())
    (other / "run.json").write_text(json.dumps({**manifest, "n_rows": len(oof) - 10}))
    with pytest.raises(RunDirError, match="different rows") as info:
        align_runs([qc_runs[0], other])
    assert str(other) in str(info.value) and str(qc_runs[0]) in str(info.value)


def test_different_folds_are_refused(qc_runs, tmp_path):
    import shutil

    other = tmp_path / "other_folds"
    shutil.copytree(qc_runs[1], other)
    folds = pd.read_parquet(other / "folds.parquet")
    folds["fold"] = (folds["fold"] + 1) % 3
    folds.to_parquet(other / "folds.parquet", index=False)
    with pytest.raises(RunDirError, match="different folds") as info:
        align_runs([qc_runs[0], other])
    # compare refuses them through the same check: the line speaks of comparing too
    assert str(info.value).endswith("(compare their folds.parquet); out-of-fold scores of "
                                    "other splits can be neither combined nor compared fold "
                                    "by fold")


def test_different_tasks_are_refused(qc_runs, tmp_path, make_fake_run):
    other = make_fake_run(qc_runs[1], tmp_path / "qi", task="QI")
    with pytest.raises(RunDirError, match=f"different tasks: {qc_runs[0]} is QC, {other} is "
                                          "QI"):
        align_runs([qc_runs[0], other])


def test_one_run_is_not_an_ensemble(qc_runs):
    with pytest.raises(RunDirError, match="at least two"):
        align_runs([qc_runs[0]])


def test_a_run_given_twice_is_refused(qc_runs, tmp_path):
    (tmp_path / "again").symlink_to(qc_runs[0], target_is_directory=True)
    for twice in ([qc_runs[0], qc_runs[0]], [qc_runs[0], qc_runs[1], tmp_path / "again"]):
        with pytest.raises(RunDirError, match="given twice.*to compare it with others"):
            align_runs(twice)
    with pytest.raises(RunDirError, match="given twice.*or it would weigh double"):
        align_runs([qc_runs[0], qc_runs[0]], members_once=True)


def test_a_run_given_twice_is_named_each_way_as_it_was_given(qc_runs, tmp_path, monkeypatch):
    """'/tmp/.../runs/a: given twice, also as runs/a' named the run by its resolved folder and
    the other way as typed; every way now reads as given (run/layout.py shown), the run first."""
    import shutil

    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.ensemble.runner import build_ensemble

    for name, run in zip("ab", qc_runs, strict=True):
        shutil.copytree(run, tmp_path / "runs" / name)
    (tmp_path / "again").symlink_to(tmp_path / "runs" / "a", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "runs" / "a"
    cases = {("runs/a", str(absolute)): f"runs/a: given twice (as runs/a and as {absolute})",
             (str(absolute), "runs/./a"): f"{absolute}: given twice (as {absolute} and as "
                                          "runs/a)",
             ("runs/a", "runs/b", "again"): "runs/a: given twice (as runs/a and as again)",
             ("runs/a", "runs/a"): "runs/a: given twice"}
    for given, said in cases.items():
        with pytest.raises(RunDirError) as caught:
            align_runs(list(given))
        assert str(caught.value) == f"{said}; each run once, to compare it with others"
    # a member reached through an ensemble: the ensemble's way as given, the run as typed
    build_ensemble(["runs/a", "runs/b"], "runs/ens")
    for given in (["runs/ens", str(absolute)], [str(absolute), "runs/ens"]):
        with pytest.raises(RunDirError) as caught:
            align_runs(given, members_once=True)
        assert str(caught.value) == (f"{absolute}: given twice (through runs/ens and as "
                                     f"{absolute}); each run once, or it would weigh double")
    with pytest.raises(RunDirError) as caught:  # the ensemble itself twice, not its member
        align_runs(["runs/ens", f"{tmp_path}/runs/ens"], members_once=True)
    assert str(caught.value) == (f"runs/ens: given twice (as runs/ens and as {tmp_path}/runs/"
                                 "ens); each run once, or it would weigh double")
    done = CliRunner().invoke(main, ["compare", "runs/a", str(absolute), "--out", "c.html"])
    assert done.exit_code != 0
    assert done.stderr == (f"error: runs/a: given twice (as runs/a and as {absolute}); each "
                           "run once, to compare it with others\n")


def test_runs_on_other_labels_say_how_many_rows_differ(qc_runs, tmp_path):
    import shutil

    other = tmp_path / "relabelled"
    shutil.copytree(qc_runs[1], other)
    oof = pd.read_parquet(other / "oof.parquet")
    oof.loc[[3, 7], "label"] = 1 - oof.loc[[3, 7], "label"]
    oof.to_parquet(other / "oof.parquet", index=False)
    # the id as the file writes it, not numpy's repr (np.int64(7))
    with pytest.raises(RunDirError, match=r"disagree on labels: .* differ on 2 row\(s\), e.g. "
                                          r"id \d+ \(trained"):
        align_runs([qc_runs[0], other])


def test_member_paths_are_stored_relative(tmp_path):
    assert member_reference(tmp_path / "runs" / "a", tmp_path / "ens") == "../runs/a"


def test_runs_on_other_texts_under_the_same_ids_are_refused(qc_runs, tmp_path):
    import shutil

    other = tmp_path / "edited"
    shutil.copytree(qc_runs[1], other)
    oof = pd.read_parquet(other / "oof.parquet")
    oof.loc[11, "query"] = "another query"
    oof.to_parquet(other / "oof.parquet", index=False)
    with pytest.raises(RunDirError, match=r"differ in the query of 1 row.s., e.g. id \d+$"):
        align_runs([qc_runs[0], other])


def test_a_run_inside_an_ensemble_given_is_not_counted_twice(qc_runs, tmp_path):
    from shoprel.ensemble.runner import build_ensemble

    build_ensemble(list(qc_runs), tmp_path / "ens")
    said = (f"{qc_runs[0]}: given twice (through {tmp_path / 'ens'} and as {qc_runs[0]}); each "
            "run once, or it would weigh double")
    # either order: with the ensemble first it said "(through MEMBER), also as ENS"
    for given in ([qc_runs[0], tmp_path / "ens"], [tmp_path / "ens", qc_runs[0]]):
        with pytest.raises(RunDirError) as caught:
            build_ensemble(given, tmp_path / "nested")
        assert str(caught.value) == said
    assert not (tmp_path / "nested").exists()
    # compare may still set an ensemble beside one of its members
    assert len(align_runs([qc_runs[0], tmp_path / "ens"]).runs) == 2


def test_a_copy_of_a_run_is_not_a_second_member(qc_runs, tmp_path):
    import shutil

    shutil.copytree(qc_runs[0], tmp_path / "copy")
    with pytest.raises(RunDirError, match="the same run as .* \\(a copy: same name, created"):
        align_runs([qc_runs[0], tmp_path / "copy"], members_once=True)
    assert align_runs([qc_runs[0], tmp_path / "copy"]).probabilities.shape[1] == 2  # compare


def test_a_copy_compared_with_its_run_is_named_apart_by_its_folder(qc_runs, tmp_path):
    """A copy keeps its run's name: each is told by the end of its folder's path that the
    other's does not end in, never more of the machine's path."""
    import shutil

    shutil.copytree(qc_runs[0], tmp_path / "copy")
    name = json.loads((qc_runs[0] / "run.json").read_text())["name"]
    assert align_runs([qc_runs[0], tmp_path / "copy", qc_runs[1]]).names[:2] == [
        f"{name} ({qc_runs[0].name})", f"{name} (copy)"]
    (tmp_path / "b").mkdir()
    shutil.copytree(qc_runs[0], tmp_path / "b" / qc_runs[0].name)  # same folder name
    assert align_runs([qc_runs[0], tmp_path / "b" / qc_runs[0].name]).names == [
        f"{name} ({qc_runs[0].parent.name}/{qc_runs[0].name})",
        f"{name} (b/{qc_runs[0].name})"]


def test_a_run_without_out_of_fold_scores_is_refused_naming_it(qc_runs, tmp_path):
    import shutil

    other = tmp_path / "no_oof"
    shutil.copytree(qc_runs[1], other)
    (other / "oof.parquet").unlink()
    with pytest.raises(RunDirError) as info:
        align_runs([qc_runs[0], other])
    assert str(info.value) == (f"{other}: no oof.parquet; only cross-validated runs can be "
                               "combined")


def _with_oof(run, folder, change):
    """A copy of `run` in `folder` whose oof.parquet is `change(table)`; (folder, table read)."""
    import shutil

    shutil.copytree(run, folder)
    oof = pd.read_parquet(folder / "oof.parquet")
    change(oof).to_parquet(folder / "oof.parquet", index=False)
    return folder, oof


def _repeat_an_id(oof):
    oof.loc[5, "id"] = oof.loc[4, "id"]
    return oof


def test_an_out_of_fold_table_repeating_an_id_is_refused_naming_it(qc_runs, tmp_path):
    other, _ = _with_oof(qc_runs[1], tmp_path / "repeated", _repeat_an_id)
    with pytest.raises(RunDirError) as info:
        align_runs([qc_runs[0], other])
    assert str(info.value) == (f"{other / 'oof.parquet'}: ids are not unique; cannot align "
                               "rows by id")


def test_a_table_keeping_no_texts_is_aligned_by_ids_and_labels(qc_runs, tmp_path):
    """Tables of older runs keep no query or target: ids and labels must do."""
    other, oof = _with_oof(qc_runs[1], tmp_path / "older",
                           lambda table: table.drop(columns=["query", "target"]))
    assert {"query", "target"} <= set(oof.columns)
    aligned = align_runs([qc_runs[0], other])
    assert np.allclose(aligned.probabilities[:, 1],
                       aligned.base["id"].map(oof.set_index("id")["probability"]))


def test_different_folds_of_a_run_from_before_row_order_free_folds_say_retrain_it(qc_runs,
                                                                                   tmp_path):
    """Until 2026-12-05 QC folds followed the file's row order: an upgraded user whose old and
    new runs of one seed disagree learns to retrain the old one, not to hunt for a seed."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(qc_runs[1], old)
    folds = pd.read_parquet(old / "folds.parquet")
    folds["fold"] = (folds["fold"] + 1) % 3
    folds.to_parquet(old / "folds.parquet", index=False)
    manifest = json.loads((old / "run.json").read_text())
    (old / "run.json").write_text(json.dumps({**manifest, "created": "2026-12-01T10:00:00+00:00"}))
    with pytest.raises(RunDirError, match="different folds") as info:
        align_runs([qc_runs[0], old])
    assert str(info.value).endswith(
        f"; {old} was trained before QC folds stopped depending on the file's row order "
        "(2026-12-05): retrain it to combine them")


def test_runs_of_other_fold_counts_are_told_the_counts_and_the_fix(qc_runs, tmp_path):
    """`train --folds 3` beside a run of the default 5: the line said only 'compare their
    folds.parquet', leaving the user to find that one run has fewer folds."""
    import shutil

    other = tmp_path / "two_folds"
    shutil.copytree(qc_runs[1], other)
    folds = pd.read_parquet(other / "folds.parquet")
    ours_k = folds["fold"].nunique()
    folds["fold"] = folds["fold"] % 2
    folds.to_parquet(other / "folds.parquet", index=False)
    with pytest.raises(RunDirError) as info:
        align_runs([qc_runs[0], other])
    assert str(info.value).startswith(
        f"runs used different folds: {qc_runs[0]} and {other} ({qc_runs[0]} has {ours_k} folds, "
        f"{other} 2: train them with the same --folds (folds.k)); out-of-fold scores")
