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
    with pytest.raises(RunDirError, match="different folds"):
        align_runs([qc_runs[0], other])


def test_different_tasks_are_refused(qc_runs, tmp_path, make_fake_run):
    other = make_fake_run(qc_runs[1], tmp_path / "qi", task="QI")
    with pytest.raises(RunDirError, match="different tasks"):
        align_runs([qc_runs[0], other])


def test_one_run_is_not_an_ensemble(qc_runs):
    with pytest.raises(RunDirError, match="at least two"):
        align_runs([qc_runs[0]])


def test_a_run_given_twice_is_refused(qc_runs, tmp_path):
    (tmp_path / "again").symlink_to(qc_runs[0], target_is_directory=True)
    for twice in ([qc_runs[0], qc_runs[0]], [qc_runs[0], qc_runs[1], tmp_path / "again"]):
        with pytest.raises(RunDirError, match="given twice"):
            align_runs(twice)


def test_member_paths_are_stored_relative(tmp_path):
    assert member_reference(tmp_path / "runs" / "a", tmp_path / "ens") == "../runs/a"
