"""The contract every registered family passes: the same suite, parametrised over the registry
(tiny settings and tiny random backbones from conftest.py's `small_model`)."""

import json

import numpy as np
import pytest

from shoprel.data.frame import TRANSLATION, PairFrame
from shoprel.errors import ConfigError
from shoprel.models.base import RelevanceModel, validate_params
from shoprel.models.registry import families, model_class
from shoprel.utils import threads

FAMILIES = families()
# tiny random transformers built in the test
TORCH_FAMILIES = {"embed", "cross", "llm", "biencoder"}


def test_the_registry_holds_the_four_families():
    assert set(FAMILIES) >= {"fast", "embed", "cross", "llm"}


@pytest.fixture(scope="module", params=FAMILIES)
def family(request):
    if request.param in TORCH_FAMILIES:
        pytest.importorskip("torch")
        request.getfixturevalue("one_torch_thread")
    return request.param


@pytest.fixture(scope="module")
def rows(qc_frame):
    """Training rows with translations on some queries, so every family reads them."""
    df = qc_frame.df.iloc[:200].copy()
    df[TRANSLATION] = np.where(np.arange(len(df)) % 3 == 0, "translated " + df["query"], "")
    return PairFrame(qc_frame.task, df.reset_index(drop=True))


@pytest.fixture(scope="module")
def fitted(family, small_model, rows):
    return small_model(family).fit(rows.take(np.arange(160)))


def test_fit_returns_the_model_and_records_its_input(fitted, rows):
    assert fitted.task_ is rows.task
    assert fitted.translated_ and fitted.reads_translation


def test_predict_proba_shape_range_and_empty_input(fitted, rows):
    valid = rows.take(np.arange(160, 200))
    p = fitted.predict_proba(valid)
    assert p.shape == (40, 2) and p.dtype == np.float64
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert fitted.predict_proba(rows.take(np.arange(0))).shape == (0, 2)


def blas_threads_now() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_a_small_batch_is_scored_on_one_blas_thread(fitted, rows, monkeypatch):
    """A served request is a few rows: a pool of threads costs more than it saves there, and
    far more when another process holds a core (utils/threads.py)."""
    seen = []
    relevance = type(fitted).relevance

    def recording(self, frame):
        seen.append(blas_threads_now())
        return relevance(self, frame)

    monkeypatch.setattr(type(fitted), "relevance", recording)
    before = blas_threads_now()
    expected = fitted.predict_proba(rows.take(np.arange(10)))
    assert seen == [[1] * len(before)] and blas_threads_now() == before
    monkeypatch.setattr(threads, "ONE_THREAD_ROWS", 0)  # the same rows on the caller's threads
    np.testing.assert_array_equal(fitted.predict_proba(rows.take(np.arange(10))), expected)
    assert seen[-1] == before


def test_save_then_load_scores_identically(fitted, family, rows, tmp_path):
    valid = rows.take(np.arange(40))
    before = fitted.predict_proba(valid)
    folder = fitted.save(tmp_path / "model")
    saved = json.loads((folder / "model.json").read_text())
    assert saved["family"] == family and saved["state"]["task"] == rows.task.value
    assert saved["state"]["translated"] is True
    assert not list(folder.rglob("*.pkl")) and not list(folder.rglob("*.pickle"))
    loaded = RelevanceModel.load(folder)
    assert type(loaded) is model_class(family)
    assert loaded.get_params() == fitted.get_params()
    assert loaded.task_ is fitted.task_ and loaded.reads_translation
    np.testing.assert_allclose(loaded.predict_proba(valid), before, atol=1e-6, rtol=0)


def _plain(params: dict) -> dict:
    """Params as JSON holds them (tuples become lists)."""
    return json.loads(json.dumps(params))


def test_params_round_trip(family, fitted):
    cls = model_class(family)
    params = fitted.get_params()
    assert list(params) == cls.config_class.param_names()
    assert cls(**params).get_params() == params  # clone, as scikit-learn does it
    assert _plain(validate_params(family, params)) == _plain(params)  # the config layer agrees
    assert _plain(cls.config_class.from_params(params).flat()) == _plain(params)
    assert _plain(cls().get_params()) == _plain(validate_params(family, {}))  # same defaults


def test_init_only_stores_hyperparameters(family):
    model = model_class(family)()
    assert not [k for k in vars(model) if k.endswith("_")]  # nothing learned before fit
    assert set(vars(model)) == set(model.get_params())


def test_unknown_or_bad_params_are_clear_errors(family):
    cls = model_class(family)
    with pytest.raises(TypeError, match="unknown parameter 'bogus'"):
        cls(bogus=1)
    with pytest.raises(ConfigError, match="model.params.bogus: unknown key"):
        validate_params(family, {"bogus": 1})
    with pytest.raises(ConfigError, match="model.params.use_translation"):
        validate_params(family, {"use_translation": "sometimes"})
    with pytest.raises(ConfigError, match="model.params.translation_template"):
        cls(translation_template=3).config()  # a bad value set in Python fails at fit


def test_one_translation_switch(family, rows):
    on, off = model_class(family)(), model_class(family)(use_translation=False)
    assert on.queries(rows)[0] == f"{rows.df['query'][0]} - translated {rows.df['query'][0]}"
    assert on.queries(rows)[1] == rows.df["query"][1]  # no translation: the bare query
    assert off.queries(rows).tolist() == rows.df["query"].tolist()


def test_scoring_bare_queries_warns(fitted, qc_frame):
    with pytest.warns(UserWarning, match="shoprel translate"):
        fitted.predict_proba(qc_frame.take(np.arange(3)))


def test_a_saved_model_loads_with_a_template_written_before_the_check(fitted, rows, tmp_path):
    """A model.json from before the template check (one without {translation}, which dropped
    it) still loads and scores; only a new fit applies the check."""
    folder = fitted.save(tmp_path / "model")
    path = folder / "model.json"

    def old(node):
        if isinstance(node, dict):
            return {k: "{query}" if k == "translation_template" else old(v)
                    for k, v in node.items()}
        return [old(v) for v in node] if isinstance(node, list) else node

    path.write_text(json.dumps(old(json.loads(path.read_text()))))
    loaded = RelevanceModel.load(folder)
    assert loaded.translation_template == "{query}"
    assert loaded.predict_proba(rows.take(np.arange(5))).shape == (5, 2)
    with pytest.raises(ConfigError, match="translation_template: must hold both"):
        loaded.fit(rows.take(np.arange(160)))
