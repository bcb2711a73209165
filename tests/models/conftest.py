"""Shared fixtures of the model tests: the demo frames, tiny random backbones built here, and one
`small_model(family, **params)` that every family's tests and the contract suite use."""

from __future__ import annotations

import pytest
from tests.models.builders import demo_texts, tiny_decoder

from shoprel.data.readers import read_pairs
from shoprel.demo import demo_file
from shoprel.models.registry import model_class


@pytest.fixture(scope="session")
def qc_frame():
    return read_pairs(demo_file("QC"), require_label=True)


@pytest.fixture(scope="session")
def qi_frame():
    return read_pairs(demo_file("QI"), require_label=True)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> str:
    """A shoprel cache (embeddings, checkpoints) shared by the tests that may share it."""
    return str(tmp_path_factory.mktemp("model-cache"))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, tiny_backbone) -> str:
    """A randomly initialised 2-layer BERT folder whose vocabulary covers the demo texts."""
    return str(tiny_backbone(tmp_path_factory.mktemp("tiny-bert") / "bert",
                             [*demo_texts(), " - "]))


@pytest.fixture(scope="session")
def tiny_gemma(tmp_path_factory) -> str:
    pytest.importorskip("transformers")
    return tiny_decoder(tmp_path_factory.mktemp("gemma3") / "model", "gemma3")


@pytest.fixture
def transformers_log():
    """What transformers logs (its LOAD REPORT), read from its logger: its handler holds
    whichever stderr it first met."""
    import io
    import logging

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("transformers").addHandler(handler)
    yield log
    logging.getLogger("transformers").removeHandler(handler)


# Params that make each family fit the demo rows in about a second on one thread.
SMALL_PARAMS = {
    "fast": {"n_features": 2**16, "n_estimators": 50, "n_jobs": 1},
    "embed": {"n_features": 2**16, "n_estimators": 60, "inner_folds": 3, "n_jobs": 1},
    "cross": {"max_length": 48, "batch_size": 16, "max_steps": 8, "save_steps": 4,
              "learning_rate": 1e-3, "n_threads": 1},
    "llm": {"max_length": 40, "batch_size": 8, "max_steps": 4, "save_steps": 2,
            "learning_rate": 1e-2, "n_threads": 1},
    "biencoder": {"max_length": 48, "batch_size": 16, "max_steps": 8, "learning_rate": 1e-3,
                  "tuned_layers": 1, "eval_steps": 4, "n_threads": 1},
}
BACKBONE = {"embed": "tiny_bert", "cross": "tiny_bert", "llm": "tiny_gemma",
            "biencoder": "tiny_bert"}


@pytest.fixture(scope="session")
def small_model(request, model_cache):
    """small_model(family, **params) -> an unfitted model of that family with tiny settings
    (tiny random backbones for the families that need one)."""

    def make(family: str, **params):
        defaults = dict(SMALL_PARAMS.get(family, {}))
        if family in BACKBONE:
            if family != "embed":
                pytest.importorskip("torch")
            defaults.update(backbone=request.getfixturevalue(BACKBONE[family]),
                            cache_dir=model_cache)
        return model_class(family)(**{**defaults, **params})

    return make
