"""A small embed model fitted once on the demo QI rows, for the tests that save it as a run's
final and fold models (indexed_ranks, shared_queries): each file fitted its own copy."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def fitted(tmp_path_factory, small_model, qi_frame):
    """(model, its predict_proba of qi_frame). Tests set attributes on it only inside a
    try/finally that puts them back."""
    cache = tmp_path_factory.mktemp("cache")
    model = small_model("embed", cache_dir=str(cache)).fit(qi_frame)
    return model, model.predict_proba(qi_frame)
