import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from shoprel.data.readers import read_pairs
from shoprel.data.tasks import Task
from shoprel.folds.grouped import assign_folds
from shoprel.models.base import RelevanceModel
from shoprel.models.fast.model import FastModel
from shoprel.models.lexical import LexicalFeatures, LexicalParams


def _small():
    return FastModel(n_features=2**16, n_estimators=50)


@pytest.mark.parametrize("frame_name", ["qc_frame", "qi_frame"])
def test_fit_predict_shape_and_range(frame_name, request):
    frame = request.getfixturevalue(frame_name)
    model = _small().fit(frame)
    proba = model.predict_proba(frame)
    assert proba.shape == (len(frame), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert roc_auc_score(frame.labels, proba[:, 1]) > 0.8  # it fits its own training rows


@pytest.mark.parametrize("stack", [True, False])
def test_save_load_gives_identical_probabilities(tmp_path, qc_frame, stack):
    model = FastModel(n_features=2**16, n_estimators=50, stack=stack).fit(qc_frame)
    folder = model.save(tmp_path / "m")
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
    config = json.loads((folder / "model.json").read_text())
    assert config["family"] == "fast" and config["params"]["stack"] is stack
    loaded = RelevanceModel.load(folder)
    assert isinstance(loaded, FastModel)
    np.testing.assert_array_equal(loaded.predict_proba(qc_frame), model.predict_proba(qc_frame))


def test_generalises_to_held_out_groups(qi_frame):
    folds = assign_folds(qi_frame, k=4, seed=0)
    train, valid = np.where(folds != 0)[0], np.where(folds == 0)[0]
    model = _small().fit(qi_frame.take(train))
    p = model.predict_proba(qi_frame.take(valid))[:, 1]
    assert roc_auc_score(qi_frame.labels[valid], p) > 0.6


def test_learns_a_query_category_association(tmp_path, jsonl):
    """Queries about shoes go with shoes; queries about lamps with lighting: a clear signal."""
    rows, i = [], 0
    for lang, shoe, lamp in [("en", "running shoes", "desk lamp"), ("es", "zapatillas", "lampara"),
                             ("fr", "chaussures", "lampe"), ("de", "schuhe", "lampe tisch")]:
        for n in range(12):
            for query, path, label in [(f"{shoe} {n}", "shoes,men's shoes,sneakers", 1),
                                       (f"{shoe} {n}", "lights & lighting,indoor,desk lamps", 0),
                                       (f"{lamp} {n}", "lights & lighting,indoor,desk lamps", 1),
                                       (f"{lamp} {n}", "shoes,men's shoes,sneakers", 0)]:
                i += 1
                rows.append({"id": i, "language": lang, "origin_query": query,
                             "category_path": path, "label": label})
    frame = read_pairs(jsonl(tmp_path / "toy.txt", rows))
    number = frame.df["query"].str.split().str[-1].astype(int)
    model = FastModel(n_features=2**16, stack=False).fit(frame.take(np.where(number < 9)[0]))
    held = frame.take(np.where(number >= 9)[0])
    assert roc_auc_score(held.labels, model.predict_proba(held)[:, 1]) > 0.95


def test_one_class_is_a_clear_error(qc_frame):
    positives = qc_frame.take(np.where(qc_frame.labels == 1)[0])
    with pytest.raises(ValueError, match="both labels"):
        _small().fit(positives)


def test_refuses_the_other_task(qc_frame, qi_frame):
    model = _small().fit(qc_frame)
    assert model.task_ is Task.QC
    with pytest.raises(ValueError, match="trained for QC"):
        model.predict_proba(qi_frame)


def test_real_qc_beats_chance(real_qc):
    frame = read_pairs(real_qc, require_label=True)
    folds = assign_folds(frame, k=5, seed=42)
    train, valid = np.where(folds != 0)[0], np.where(folds == 0)[0]
    model = FastModel(n_features=2**18).fit(frame.take(train))
    p = model.predict_proba(frame.take(valid))[:, 1]
    assert roc_auc_score(frame.labels[valid], p) > 0.63


def test_translations_feed_the_features(tmp_path, jsonl, qc_rows):
    """A Spanish query with an English translation shares features with the English query."""
    plain = read_pairs(jsonl(tmp_path / "a.txt", qc_rows))
    for row in qc_rows:
        row["translated_query"] = "car wash sponge" if row["id"] == 1 else ""
    translated = read_pairs(jsonl(tmp_path / "b.txt", qc_rows))
    lexical = LexicalFeatures(LexicalParams.of(FastModel(n_features=2**16, stack=False).config()))
    a, b = lexical.sparse(plain), lexical.sparse(translated)
    overlap = lambda X: X[0].multiply(X[1]).sum()  # noqa: E731
    assert overlap(b) > overlap(a)
    off = FastModel(n_features=2**16, stack=False, use_translation=False)
    assert (LexicalFeatures(LexicalParams.of(off.config())).sparse(translated) != a).nnz == 0


def test_warns_when_trained_with_translations_but_input_has_none(tmp_path, qc_frame):
    df = qc_frame.df.assign(query_en=qc_frame.df["query"])
    from shoprel.data.frame import PairFrame

    model = _small().fit(PairFrame(qc_frame.task, df))
    with pytest.warns(UserWarning, match="shoprel translate"):
        model.predict_proba(qc_frame)


def test_a_bag_member_of_another_width_is_refused(tmp_path, qc_frame, small_model):
    import lightgbm as lgb

    from shoprel.errors import RunDirError

    folder = small_model("fast", n_boosters=2).fit(qc_frame).save(tmp_path / "saved")
    assert (folder / "lightgbm.2.txt").exists()
    rng = np.random.default_rng(0)
    narrow = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1},
                       lgb.Dataset(rng.normal(size=(50, 3)), rng.integers(0, 2, 50)),
                       num_boost_round=2)
    narrow.save_model(str(folder / "lightgbm.2.txt"))
    config = json.loads((folder / "model.json").read_text())
    del config["state"]["booster_sha256"]  # saved before the digests: the width tells it
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(RunDirError, match=r"lightgbm\.2\.txt: field 'max_feature_idx': the "
                                          r"booster reads 3 features"):
        RelevanceModel.load(folder)


def test_query_title_pairs_get_the_word_match_block(tmp_path, qc_frame, qi_frame):
    from shoprel.errors import RunDirError

    assert _small().fit(qc_frame).word_match_ is None  # query-category pairs do not
    model = _small().fit(qi_frame)
    assert model.word_match_.documents_ == qi_frame.df["target"].nunique()
    assert model.booster_.boosters[0].num_feature() == model.lexical_.width + 11
    folder = model.save(tmp_path / "m")
    assert json.loads((folder / "model.json").read_text())["state"]["word_match"] is True
    loaded = RelevanceModel.load(folder)
    np.testing.assert_array_equal(loaded.predict_proba(qi_frame), model.predict_proba(qi_frame))
    (folder / "word_match.json").unlink()
    with pytest.raises(RunDirError, match="word_match.json: missing, but .*model.json field "
                                          "'state.word_match' says the model has one"):
        RelevanceModel.load(folder)


def test_model_saved_before_the_word_match_block_scores_as_it_did(tmp_path, qi_frame):
    old = FastModel(n_features=2**16, n_estimators=50, word_match=False).fit(qi_frame)
    folder = old.save(tmp_path / "m")
    config = json.loads((folder / "model.json").read_text())
    del config["params"]["word_match"], config["state"]["word_match"]  # as an older release
    (folder / "model.json").write_text(json.dumps(config))
    loaded = RelevanceModel.load(folder)
    assert loaded.word_match is False and loaded.word_match_ is None
    np.testing.assert_array_equal(loaded.predict_proba(qi_frame), old.predict_proba(qi_frame))


def test_a_model_fitted_on_bare_queries_ignores_a_files_translations(tmp_path, qc_frame):
    """predict reads the file's translated_query column, serve a request's: a model that never
    saw "{query} - {english}" scores the bare query in both, before and after a save."""
    from shoprel.data.frame import PairFrame

    model = _small().fit(qc_frame)
    rows = qc_frame.take(np.arange(40))
    with_english = PairFrame(rows.task, rows.df.assign(query_en="something else entirely"))
    expected = model.predict_proba(rows)
    np.testing.assert_array_equal(model.predict_proba(with_english), expected)
    loaded = RelevanceModel.load(model.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(with_english), expected)
    translated = _small().fit(PairFrame(qc_frame.task, qc_frame.df.assign(
        query_en=qc_frame.df["query"] + " english")))
    assert not np.array_equal(translated.predict_proba(with_english),
                              translated.predict_proba(PairFrame(rows.task, rows.df.assign(
                                  query_en=rows.df["query"] + " english"))))
