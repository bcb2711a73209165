"""Serving limits: an API key, JSON only, a total-character limit and a request timeout."""

import asyncio
import time

import httpx
import pytest

from shoprel.serve import ServeSettings, create_app
from shoprel.serve.guards import exposure_warning

KEY = "s3cret-key"


def _pair(query="usb cable", target="consumer electronics,cables"):
    return {"query": query, "category_path": target}


def _call(app, method, path, **kwargs):
    async def go():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.request(method, path, **kwargs)
    return asyncio.run(go())


@pytest.fixture(scope="module")
def keyed_app(qc_run):
    return create_app(qc_run, ServeSettings(api_key=KEY, max_total_chars=100))


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"},
                                     {"authorization": KEY}, {"authorization": f"Basic {KEY}"}])
def test_a_key_is_required_when_set(keyed_app, headers):
    r = _call(keyed_app, "POST", "/v1/score", json={"pairs": [_pair()]}, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "API key" in r.json()["error"]
    assert _call(keyed_app, "GET", "/metrics", headers=headers).status_code == 401


def test_the_right_key_and_the_probes_pass(keyed_app):
    r = _call(keyed_app, "POST", "/v1/score", json={"pairs": [_pair()]},
              headers={"authorization": f"bearer {KEY}"})
    assert r.status_code == 200 and 0 <= r.json()["results"][0]["probability"] <= 1
    assert _call(keyed_app, "GET", "/healthz").status_code == 200
    assert _call(keyed_app, "GET", "/readyz").status_code == 200


def test_the_docs_answer_without_the_key_and_their_examples_send_it(keyed_app):
    """A browser sends no Authorization header: /docs, /openapi.json and /redoc answer
    without one, as FastAPI's own pages do, while the scoring and metrics routes still need
    it. The page's examples name the key's variable where a key is needed (not on the probes),
    never the key itself; its score example fits this server's 100 characters a request."""
    import html
    import json
    import re

    docs = _call(keyed_app, "GET", "/docs")
    assert docs.status_code == 200 and _call(keyed_app, "GET", "/openapi.json").status_code == 200
    assert _call(keyed_app, "GET", "/redoc").status_code == 307
    page = docs.text
    assert KEY not in page
    commands = {re.search(r"http://test(/\S*)", c)[1]: html.unescape(c)
                for c in re.findall(r"<pre>(curl .*?)</pre>", page, re.S)}
    keyed = {path for path, c in commands.items() if "Bearer $SHOPREL_API_KEY" in c}
    assert keyed == {"/v1/score", "/metrics"} and set(commands) - keyed == {"/healthz", "/readyz"}
    body = json.loads(re.search(r"-d '(.*)'", commands["/v1/score"], re.S)[1])
    assert _call(keyed_app, "POST", "/v1/score", json=body).status_code == 401
    r = _call(keyed_app, "POST", "/v1/score", json=body,
              headers={"authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and len(r.json()["results"]) == len(body["pairs"]) == 1
    assert _call(keyed_app, "GET", "/metrics").status_code == 401
    assert _call(keyed_app, "GET", "/metrics",
                 headers={"authorization": f"Bearer {KEY}"}).status_code == 200


def test_the_schema_and_the_page_say_which_routes_need_the_key(keyed_app):
    """The schema lists the 401 on exactly the routes the guard keeps behind the key; the
    page names every path that answers without it, its own and the schema's among them."""
    import html
    import re

    schema = _call(keyed_app, "GET", "/openapi.json").json()
    with_401 = {path for path, operations in schema["paths"].items()
                for operation in operations.values() if "401" in operation["responses"]}
    assert with_401 == {"/v1/score", "/metrics"}
    page = html.unescape(re.sub(r"<[^>]+>", "", _call(keyed_app, "GET", "/docs").text))
    assert ("every path but /docs, /healthz, /openapi.json, /readyz, /redoc needs the header "
            "Authorization: Bearer KEY") in page


def _operations(schema):
    return {(path, method): operation for path, item in schema["paths"].items()
            for method, operation in item.items()}


def test_the_schema_declares_the_key_on_the_routes_behind_it(keyed_app):
    """Client generators and schema tools learn of a key from a security scheme and each
    operation's `security`, not from a 401: the schema names a bearer scheme saying where the
    key comes from, and exactly the operations the guard answers 401 without it require it."""
    import schemathesis

    from shoprel.serve.key_scheme import KEY_SCHEME

    schema = _call(keyed_app, "GET", "/openapi.json").json()
    scheme = schema["components"]["securitySchemes"][KEY_SCHEME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "--api-key" in scheme["description"] and "$SHOPREL_API_KEY" in scheme["description"]
    security = {op: operation.get("security") for op, operation in _operations(schema).items()}
    assert {op for op, required in security.items() if required} == {("/v1/score", "post"),
                                                                     ("/metrics", "get")}
    assert {op for op, required in security.items() if required is None} == {
        ("/healthz", "get"), ("/readyz", "get")}
    for (path, method), required in security.items():
        answer = _call(keyed_app, method.upper(), path, json={"pairs": [_pair()]})
        assert (answer.status_code == 401) is bool(required), (path, answer.status_code)
        assert required in (None, [{KEY_SCHEME: []}])
    schemathesis.openapi.from_dict(schema).validate()  # valid OpenAPI, scheme and all


def test_a_schema_without_a_key_declares_none(qc_run):
    import schemathesis

    schema = _call(create_app(qc_run), "GET", "/openapi.json").json()
    assert "securitySchemes" not in schema["components"] and "security" not in schema
    assert [op for op, operation in _operations(schema).items() if "security" in operation] == []
    schemathesis.openapi.from_dict(schema).validate()


def test_the_open_routes_tell_nothing_of_the_run(qc_run, tmp_path):
    """What answers without the key holds the API's shape and the server's limits only: not
    the run's name (its folder's by default), its path, its threshold or the key. /readyz
    told anyone the run's name, family and version; it says them to the key's holders."""
    import json
    import shutil

    run = shutil.copytree(qc_run, tmp_path / "private-run-folder")
    manifest = json.loads((run / "run.json").read_text())
    manifest.pop("name", None)  # named after its folder, as a run whose manifest names none
    (run / "run.json").write_text(json.dumps(manifest))
    app = create_app(run, ServeSettings(api_key=KEY))
    keyed = _call(app, "GET", "/readyz", headers={"authorization": f"Bearer {KEY}"})
    assert keyed.json()["model"]["name"] == "private-run-folder"
    for headers in ({}, {"authorization": "Bearer wrong"}):
        ready = _call(app, "GET", "/readyz", headers=headers)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}, headers
    for path in ("/openapi.json", "/docs"):
        r = _call(app, "GET", path)
        assert r.status_code == 200, path
        for secret in ("private-run-folder", str(tmp_path), repr(manifest["threshold"]), KEY):
            assert secret not in r.text, (path, secret)


def test_total_characters_per_request_are_limited(keyed_app):
    auth = {"authorization": f"Bearer {KEY}"}
    fits = [_pair("a" * 20, "b" * 20)] * 2  # 80 characters
    assert _call(keyed_app, "POST", "/v1/score", json={"pairs": fits},
                 headers=auth).status_code == 200
    r = _call(keyed_app, "POST", "/v1/score", json={"pairs": fits + [_pair("c", "d" * 20)]},
              headers=auth)
    assert r.status_code == 422 and "101 characters" in r.json()["error"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          None])
def test_a_body_that_is_not_json_is_415(qc_run, content_type):
    app = create_app(qc_run)
    headers = {"content-type": content_type} if content_type else {}
    r = _call(app, "POST", "/v1/score", content=b'{"pairs": []}', headers=headers)
    assert r.status_code == 415 and "JSON" in r.json()["error"]
    ok = _call(app, "POST", "/v1/score", json={"pairs": [_pair()]},
               headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_a_compressed_body_is_415_naming_its_encoding(qc_run):
    import gzip
    import json

    app = create_app(qc_run)
    body = gzip.compress(json.dumps({"pairs": [_pair()]}).encode())
    r = _call(app, "POST", "/v1/score", content=body,
              headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 415
    assert r.json()["error"] == "Content-Encoding 'gzip' is not supported: send the JSON " \
        "uncompressed"
    plain = _call(app, "POST", "/v1/score", json={"pairs": [_pair()]},
                  headers={"content-encoding": "identity"})
    assert plain.status_code == 200


def test_a_request_waiting_past_its_timeout_is_503(qc_run, monkeypatch):
    app = create_app(qc_run, ServeSettings(request_timeout_s=0.2))
    predictor = app.state.predictor
    slow = predictor.probabilities_as_trained  # what every score of a Predictor goes through

    def sleepy(frame):
        time.sleep(0.6)
        return slow(frame)

    monkeypatch.setattr(predictor, "probabilities_as_trained", sleepy)
    r = _call(app, "POST", "/v1/score", json={"pairs": [_pair()]})
    assert r.status_code == 503 and "longer than" in r.json()["error"]


@pytest.mark.parametrize(("host", "key", "warns"), [
    ("0.0.0.0", None, True), ("192.168.1.5", None, True), ("::", None, True),
    ("0.0.0.0", KEY, False), ("127.0.0.1", None, False), ("localhost", None, False),
    ("::1", None, False)])
def test_listening_beyond_loopback_without_a_key_warns(host, key, warns):
    assert (exposure_warning(host, key) is not None) is warns
