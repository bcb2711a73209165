"""A model that saves its own index keeps only the target rank's keys and reads the vectors back
from the index, scoring bit for bit as fitted; a run's fold models read theirs from the final
model's index; fold models saved alone and older folders keep the copy."""

import shutil

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_the_final_model_saves_the_keys_and_scores_as_fitted(tmp_path, fitted, qi_frame):
    model, proba = fitted
    folder = model.save(tmp_path / "saved")
    saved = load_file(str(folder / "target_rank.safetensors"))
    assert sorted(saved) == ["target_keys"]
    np.testing.assert_array_equal(saved["target_keys"], model.ranks_.keys_)
    loaded = RelevanceModel.load(folder)
    assert loaded.ranks_.vectors_.tobytes() == model.ranks_.vectors_.tobytes()
    assert loaded.predict_proba(qi_frame).tobytes() == proba.tobytes()

    # as saved before: the float16 copy beside the keys, read as it is
    save_file(model.ranks_.arrays(), str(folder / "target_rank.safetensors"))
    assert RelevanceModel.load(folder).predict_proba(qi_frame).tobytes() == proba.tobytes()


def test_a_model_without_its_own_index_keeps_the_copy(tmp_path, fitted, qi_frame):
    model, proba = fitted
    model.saves_target_index = False  # a fold model of a run (runner)
    try:
        folder = model.save(tmp_path / "fold")
    finally:
        model.saves_target_index = True
    assert not (folder / "index").exists()
    saved = load_file(str(folder / "target_rank.safetensors"))
    assert sorted(saved) == ["target_keys", "target_vectors"]
    assert RelevanceModel.load(folder).predict_proba(qi_frame).tobytes() == proba.tobytes()


def test_keys_the_index_lacks_are_refused_naming_the_file_and_field(tmp_path, fitted):
    model, _ = fitted
    folder = model.save(tmp_path / "saved")
    shutil.rmtree(folder / "index")
    with pytest.raises(RunDirError, match=r"target_rank\.safetensors: field 'target_vectors' "
                                          r"missing, and .*index \(where the model saved them\)"):
        RelevanceModel.load(folder)


def saved_as_a_run(model, models):
    """`model` saved as a run saves it: a fold model without an index, then the final model."""
    model.saves_target_index = False
    try:
        fold = model.save(models / "fold_0")
    finally:
        model.saves_target_index = True
    return model.save(models / "full"), fold


def test_a_fold_model_reads_the_vectors_from_the_final_model_s_index(tmp_path, fitted, qi_frame):
    model, proba = fitted
    full, fold = saved_as_a_run(model, tmp_path / "run" / "models")
    assert model.lend_index(full, fold)
    with safe_open(str(fold / "target_rank.safetensors"), "np") as saved:
        assert list(saved.keys()) == ["target_keys"]
        assert saved.metadata() == {"vectors_index": "../full/index"}
    assert not model.lend_index(full, fold)  # nothing more to take
    moved = shutil.move(tmp_path / "run", tmp_path / "moved")  # the run moves as a whole
    loaded = RelevanceModel.load(moved / "models" / "fold_0")
    assert loaded.predict_proba(qi_frame).tobytes() == proba.tobytes()

    shutil.rmtree(moved / "models" / "full" / "index")
    with pytest.raises(RunDirError, match=r"fold_0/target_rank\.safetensors: field "
                                          r"'target_vectors' missing, and .*moved/models/full/"
                                          r"index \(where the run's final model saved them\)"):
        RelevanceModel.load(moved / "models" / "fold_0")


def test_a_copy_the_final_index_does_not_give_back_exactly_is_kept(tmp_path, fitted):
    model, _ = fitted
    full, fold = saved_as_a_run(model, tmp_path / "models")
    path = fold / "target_rank.safetensors"
    arrays = load_file(str(path))
    arrays["target_vectors"][0, 0] += np.float16(0.01)  # not the index's vector any more
    save_file(arrays, str(path))
    assert not model.lend_index(full, fold)
    assert sorted(load_file(str(path))) == ["target_keys", "target_vectors"]
    assert not model.lend_index(full, tmp_path / "elsewhere")  # no fold model there
