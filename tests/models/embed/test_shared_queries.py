"""A run's fold models read their neighbour votes' query vectors from the final model's
neighbours.safetensors and score bit for bit as before; a run moved whole still loads; fold
models saved alone, copies that differ and older folders keep their own copy; a missing or
damaged or changed final file is one line naming the file, the field and where it looked."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NEIGHBOURS = "neighbours.safetensors"


def saved_as_a_run(model, models):
    """`model` saved as a run saves it: a fold model, then the final model."""
    fold = model.save(models / "fold_0")
    return model.save(models / "full"), fold


def test_a_fold_model_reads_the_query_vectors_from_the_final_model_s(tmp_path, fitted, qi_frame):
    model, proba = fitted
    full, fold = saved_as_a_run(model, tmp_path / "run" / "models")
    own_copy = load_file(str(fold / NEIGHBOURS))
    assert "neighbour_q_distinct" in own_copy  # saved alone, the fold model keeps its copy
    assert model.lend_queries(full, fold)
    with safe_open(str(fold / NEIGHBOURS), "np") as saved:
        assert sorted(saved.keys()) == ["neighbour_labels", "neighbour_q_place",
                                        "neighbour_t_place"]
        assert saved.metadata()["queries_from"] == "../full/neighbours.safetensors"
        assert sorted(saved.metadata()) == ["queries_digest", "queries_from"]
    assert not model.lend_queries(full, fold)  # nothing more to take
    moved = shutil.move(tmp_path / "run", tmp_path / "moved")  # the run moves as a whole
    loaded = RelevanceModel.load(moved / "models" / "fold_0")
    assert loaded.votes_.q_.tobytes() == model.votes_.q_.tobytes()
    assert loaded.predict_proba(qi_frame).tobytes() == proba.tobytes()

    # a fold model saved before (its own copy, no metadata) loads as it was
    save_file(own_copy, str(moved / "models" / "fold_0" / NEIGHBOURS))
    loaded = RelevanceModel.load(moved / "models" / "fold_0")
    assert loaded.predict_proba(qi_frame).tobytes() == proba.tobytes()


@pytest.mark.parametrize("damage, said", [
    ("delete", r"full/neighbours\.safetensors is missing"),
    ("garbage", r"full/neighbours\.safetensors is not readable \("),
    ("no field", r"full/neighbours\.safetensors has no field 'neighbour_q_distinct'"),
])
def test_a_missing_or_damaged_final_file_is_one_line_naming_it(tmp_path, fitted, damage, said):
    model, _ = fitted
    full, fold = saved_as_a_run(model, tmp_path / "models")
    assert model.lend_queries(full, fold)
    final = full / NEIGHBOURS
    if damage == "delete":
        final.unlink()
    elif damage == "garbage":
        final.write_bytes(b"not a safetensors file")
    else:
        arrays = load_file(str(final))
        save_file({k: v for k, v in arrays.items() if k != "neighbour_q_distinct"}, str(final))
    with pytest.raises(RunDirError) as raised:
        RelevanceModel.load(fold)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{fold / NEIGHBOURS}: field 'neighbour_q_distinct' missing, and ")
    assert re.search(said, message) and "(where the run's final model saved them)" in message


def test_a_final_file_with_other_vectors_is_told_not_misread(tmp_path, fitted):
    model, _ = fitted
    full, fold = saved_as_a_run(model, tmp_path / "models")
    assert model.lend_queries(full, fold)
    final = full / NEIGHBOURS
    arrays = load_file(str(final))
    arrays["neighbour_q_distinct"][-1, 0] += np.float16(0.01)
    save_file(arrays, str(final))
    with pytest.raises(RunDirError, match=r"fold_0/neighbours\.safetensors: field "
                                          r"'neighbour_q_distinct' missing, and .*full/"
                                          r"neighbours\.safetensors field 'neighbour_q_distinct' "
                                          r"holds other vectors than the run's final model "
                                          r"saved;"):
        RelevanceModel.load(fold)


def test_a_copy_the_final_model_does_not_hold_exactly_is_kept(tmp_path, fitted):
    model, _ = fitted
    full, fold = saved_as_a_run(model, tmp_path / "models")
    path = fold / NEIGHBOURS
    arrays = load_file(str(path))
    arrays["neighbour_q_distinct"][0, 0] += np.float16(0.01)  # not the final model's vector
    save_file(arrays, str(path))
    assert not model.lend_queries(full, fold)
    assert load_file(str(path))["neighbour_q_distinct"].tobytes() == \
        arrays["neighbour_q_distinct"].tobytes()
    assert not model.lend_queries(full, tmp_path / "elsewhere")  # no fold model there


LEND = """
import sys
from pathlib import Path
from shoprel.models.embed.shared_queries import share_queries
for models in map(Path, sys.argv[1:]):
    assert share_queries(models / "fold_0" / "neighbours.safetensors",
                         models / "full" / "neighbours.safetensors")
"""


def folder_bytes(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_runs_saved_apart_are_the_same_bytes(tmp_path, fitted):
    """Two trainings of the same rows give run folders `diff -r` finds equal: the fold file's
    two metadata keys (queries_from, queries_digest) came in either order, from one process to
    the next and within one. Three processes lend the queries of two runs each."""
    model, _ = fitted
    runs = [tmp_path / f"run{i}" / "models" for i in range(6)]
    for models in runs:
        saved_as_a_run(model, models)
    for seed, pair in zip(("0", "1", "2"), (runs[0:2], runs[2:4], runs[4:6]), strict=True):
        subprocess.run([sys.executable, "-c", LEND, *map(str, pair)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
    with safe_open(str(runs[0] / "fold_0" / NEIGHBOURS), "np") as saved:
        assert sorted(saved.metadata()) == ["queries_digest", "queries_from"]
    first = folder_bytes(runs[0])
    assert all(folder_bytes(models) == first for models in runs[1:])
