"""A model that saves its own index keeps only the target rank's keys and reads the vectors back
from the index, scoring bit for bit as fitted; fold models and older folders keep the copy."""

import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, small_model, qi_frame):
    cache = tmp_path_factory.mktemp("cache")
    model = small_model("embed", cache_dir=str(cache)).fit(qi_frame)
    return model, model.predict_proba(qi_frame)


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
