"""The lexical linear weights are saved as the weights that are set, and load either way."""

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from shoprel.errors import RunDirError
from shoprel.models.base import RelevanceModel
from shoprel.models.fast.model import FastModel
from shoprel.models.lexical.linear_file import load_weights, save_weights

N_FEATURES = 2**18


@pytest.fixture(scope="module")
def saved(tmp_path_factory, qc_frame):
    """(fitted fast model, its folder, its scores of the demo rows)."""
    model = FastModel(n_features=N_FEATURES, n_estimators=20, n_jobs=1).fit(qc_frame)
    folder = model.save(tmp_path_factory.mktemp("fast") / "m")
    return model, folder, model.predict_proba(qc_frame)


def test_only_the_set_weights_are_stored_and_come_back_bit_for_bit(saved, qc_frame):
    model, folder, proba = saved
    path = folder / "linear.safetensors"
    arrays = load_file(str(path))
    assert sorted(arrays) == ["coef_index", "coef_size", "coef_value"]
    set_weights = int(np.count_nonzero(model.lexical_.coef_))
    assert 0 < set_weights < N_FEATURES / 4
    assert len(arrays["coef_index"]) == set_weights
    assert path.stat().st_size < 8 * set_weights + 1024  # 4 + 4 bytes a weight, not 4 a slot
    loaded = RelevanceModel.load(folder)
    assert loaded.lexical_.coef_.dtype == np.float32
    np.testing.assert_array_equal(loaded.lexical_.coef_.view(np.uint32),
                                  model.lexical_.coef_.view(np.uint32))
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), proba)


def test_a_model_saved_with_dense_weights_scores_as_it_did(saved, qc_frame):
    """Older releases wrote every weight (field 'coef'): such a folder loads and scores alike."""
    model, folder, proba = saved
    save_file({"coef": model.lexical_.coef_}, str(folder / "linear.safetensors"))
    try:
        np.testing.assert_array_equal(RelevanceModel.load(folder).predict_proba(qc_frame), proba)
    finally:
        model.save(folder)


def test_a_negative_zero_weight_is_kept(tmp_path):
    coef = np.zeros(8, dtype=np.float32)
    coef[[2, 5]] = [-0.0, 1.5]
    save_weights(tmp_path / "w.safetensors", coef)
    assert load_weights(tmp_path / "w.safetensors", 8).tobytes() == coef.tobytes()


EIGHT = {"coef_size": np.array([8], np.uint64)}


@pytest.mark.parametrize(("arrays", "message"), [
    ({"coef_index": np.array([3, 9], np.uint32), "coef_value": np.ones(2, np.float32), **EIGHT},
     "w.safetensors: field 'coef_index' holds 9, but the model's params say n_features = 8"),
    ({"coef_index": np.array([3], np.uint32), "coef_value": np.ones(2, np.float32), **EIGHT},
     "w.safetensors: field 'coef_value' has shape (2,) (float32), but 'coef_index' has (1,)"),
    ({"coef_index": np.array([3], np.uint32), "coef_value": np.ones(1, np.float32),
      "coef_size": np.array([16], np.uint64)},
     "w.safetensors: field 'coef_size' is [16], but the model's params say n_features = 8"),
    ({"coef_index": np.array([3], np.uint32), **EIGHT}, "w.safetensors: field 'coef' missing"),
])
def test_stored_weights_that_do_not_fit_are_refused_naming_the_field(tmp_path, arrays,
                                                                      message):
    save_file(arrays, str(tmp_path / "w.safetensors"))
    with pytest.raises(RunDirError) as info:
        load_weights(tmp_path / "w.safetensors", 8)
    assert message in str(info.value)
