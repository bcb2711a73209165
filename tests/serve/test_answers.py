"""Every error answer the schema (and so /docs) lists for a route is what the server answers
in that case, with the body it says; the schema names the request timeout and 404."""

import asyncio
import json
import time

import httpx

from shoprel.serve import ServeSettings, create_app
from shoprel.serve.answers import CONNECTION_NOTE, NOT_FOUND_NOTE, timeout_message

KEY = "s3cret-key"
AUTH = {"authorization": f"Bearer {KEY}"}
PAIR = {"pairs": [{"query": "usb cable", "category_path": "consumer electronics,cables"}]}
LONG_QUERY = "?x=" + "a" * 2100  # past guards.MAX_URL_BYTES
JSON = {"content-type": "application/json", **AUTH}


def too_long(path: str) -> str:
    """guards.py's 414 error for `path` + LONG_QUERY: the path's bytes and the query's."""
    return f"the URL is {len(path) + len(LONG_QUERY) - 1} bytes long; the server's limit is 2048"


def _cases(app):
    """(path, method, status) -> the request that should get it, and the error it names."""
    batcher = app.state.batcher
    working = batcher.score_rows

    def slow(rows):
        time.sleep(0.5)
        return working(rows)

    def broken(rows):
        raise RuntimeError("model exploded")

    score = {
        400: ({"content": b"{}", "headers": {**JSON, "content-length": "abc"}},
              "Content-Length is not a number"),
        401: ({"json": PAIR}, "missing or wrong API key (send 'Authorization: Bearer KEY')"),
        405: ({"method": "GET", "headers": AUTH}, "Method Not Allowed"),
        413: ({"content": b" " * 2000, "headers": JSON},
              "request body is larger than the limit of 1024 bytes"),
        414: ({"url": "/v1/score" + LONG_QUERY, "json": PAIR, "headers": AUTH},
              too_long("/v1/score")),
        415: ({"content": b"a=b", "headers": {"content-type": "text/plain", **AUTH}},
              "the body must be JSON (Content-Type: application/json)"),
        422: ({"content": b"{", "headers": JSON}, None),
        500: ({"json": PAIR, "headers": AUTH, "model": broken}, "internal error (RuntimeError)"),
        503: ({"json": PAIR, "headers": AUTH, "model": slow}, timeout_message(0.2)),
    }
    cases = {("/v1/score", "post", code): case for code, case in score.items()}
    for path, method, other in (("/healthz", "get", "post"), ("/readyz", "get", "post"),
                                ("/metrics", "get", "put")):
        cases[path, method, 405] = ({"method": other.upper(), "headers": AUTH},
                                    "Method Not Allowed")
        cases[path, method, 414] = ({"url": path + LONG_QUERY, "headers": AUTH}, too_long(path))
    cases["/metrics", "get", 401] = ({}, "missing or wrong API key (send 'Authorization: "
                                         "Bearer KEY')")
    cases["/readyz", "get", 503] = ({"headers": AUTH, "closed": True}, "not ready")
    return cases


def test_each_documented_error_is_the_servers_answer(qc_run):
    """The schema listed 413, 422, 401, 415 and 503 for /v1/score alone: not the 414 and 405
    every route answers, nor the 400 and 500 of a body unread or a model that failed, nor what
    --request-timeout answers."""
    settings = ServeSettings(api_key=KEY, request_timeout_s=0.2, max_body_bytes=1024)
    app = create_app(qc_run, settings)
    batcher = app.state.batcher
    working = batcher.score_rows
    schema = app.openapi()
    documented = {(path, method, int(code)): answer["description"]
                  for path, operations in schema["paths"].items()
                  for method, operation in operations.items()
                  for code, answer in operation["responses"].items() if int(code) >= 400}
    cases = _cases(app)
    assert set(documented) == set(cases)
    assert "longer than --request-timeout (0.2 s)" in documented["/v1/score", "post", 503]
    assert timeout_message(0.2) in documented["/v1/score", "post", 503]
    assert NOT_FOUND_NOTE in schema["info"]["description"]
    assert CONNECTION_NOTE in schema["info"]["description"]  # the 408 and a full server's 503

    async def answers():
        got = {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                for (path, method, code), (request, _) in cases.items():
                    request = dict(request)
                    batcher.score_rows = request.pop("model", working)
                    if request.pop("closed", False):
                        await batcher.close()
                    got[path, method, code] = await c.request(
                        request.pop("method", method.upper()), request.pop("url", path),
                        **request)
                batcher.score_rows = working
                got["404"] = await c.get("/v1/nothing", headers=AUTH)
        return got

    got = asyncio.run(answers())
    for case, (_, message) in cases.items():
        response = got[case]
        assert response.status_code == case[2], (case, response.text)
        body = response.json()
        assert body["detail"] == [] or case[2] == 422, case
        assert message is None or body["error"] == message, (case, body)
        # one shape, byte for byte: the 413, 401, 414 and 415 that middleware answers were
        # written with spaces ({"error": "..."}) while the app's handlers wrote none
        assert response.content == _compact(body), (case, response.content)
    assert got["/v1/score", "post", 405].headers["allow"] == "POST"
    assert got["404"].status_code == 404 and got["404"].json() == {"error": "Not Found",
                                                                   "detail": []}


def _compact(body) -> bytes:
    """A body as the app's JSONResponse writes it: no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_a_server_without_a_key_or_a_timeout_lists_neither(qc_run):
    """401 is the answer of a server with a key alone; with --request-timeout inf no request
    is cut short."""
    for settings, said in ((ServeSettings(), "longer than --request-timeout (30 s)"),
                           (ServeSettings(request_timeout_s=float("inf")),
                            "no request timeout (--request-timeout inf)")):
        paths = create_app(qc_run, settings).openapi()["paths"]
        assert [path for path, operations in paths.items() for operation in operations.values()
                if "401" in operation["responses"]] == []
        assert said in paths["/v1/score"]["post"]["responses"]["503"]["description"]
