"""Property-based fuzzing of /v1/score from the app's own OpenAPI schema: never a 5xx; with an
API key, sent as the schema's security scheme says."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from tests.serve.conftest import TEST_SETTINGS

from shoprel.serve import create_app
from shoprel.serve.key_scheme import KEY_SCHEME

EXAMPLES = 60
KEY = "s3cret-key"


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


def test_a_keyed_server_is_fuzzed_with_the_key_its_schema_names(qc_run, start_server):
    """With --api-key, schemathesis finds the key's bearer scheme in the schema and sends the
    key given for it ([auth.openapi.APIKey]) on each operation that requires it: every
    operation's cases get 200 (a scoring one at times 422, for limits the schema cannot state),
    none 401 (without the scheme it sent no key)."""
    config = SchemathesisConfig.from_dict({"auth": {"openapi": {KEY_SCHEME: {"bearer": KEY}}}})
    seen: dict[tuple[str, int], int] = {}
    app = create_app(qc_run, TEST_SETTINGS.model_copy(update={"api_key": KEY}))
    with start_server(app) as live:
        schema = schemathesis.openapi.from_url(live.url + "/openapi.json", config=config)
        for path, method in (("/v1/score", "POST"), ("/metrics", "GET"), ("/readyz", "GET")):

            @settings(max_examples=EXAMPLES // 3, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=schema[path][method].as_strategy(generation_mode=GenerationMode.POSITIVE))
            def check(case):
                response = case.call(base_url=live.url, timeout=30)
                key = (case.operation.path, response.status_code)
                seen[key] = seen.get(key, 0) + 1

            check()
    assert not [code for (_, code) in seen if code == 401 or code >= 500], seen
    assert {path for (path, code) in seen if code == 200} == {"/v1/score", "/metrics",
                                                               "/readyz"}, seen
