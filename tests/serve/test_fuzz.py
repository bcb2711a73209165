"""Property-based fuzzing of /v1/score from the app's own OpenAPI schema: never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

EXAMPLES = 60


@pytest.fixture(scope="module")
def score_operation(qc_server):
    schema = schemathesis.openapi.from_url(qc_server.url + "/openapi.json")
    return schema["/v1/score"]["POST"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_score_never_answers_5xx(score_operation, qc_server, client, mode):
    seen: dict[int, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=score_operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(base_url=qc_server.url, timeout=30)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            body = response.json()
            assert len(body["results"]) == len(case.body["pairs"])
            assert all(0 <= r["probability"] <= 1 for r in body["results"])
        else:
            assert response.json().get("error"), (response.status_code, response.text)

    check()
    if mode is GenerationMode.POSITIVE:
        assert seen.get(200, 0) > 0, seen  # the schema describes requests the server accepts
    else:
        assert sum(n for code, n in seen.items() if 400 <= code < 500) > 0, seen
    assert client.get("/healthz").status_code == 200
