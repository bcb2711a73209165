"""The /docs page works offline: it loads nothing, lists every route with the server's own
limits, and its curl examples score as they stand."""

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.serve.conftest import TEST_SETTINGS

from shoprel.data.tasks import Task
from shoprel.serve import ServeSettings
from shoprel.serve.metrics import KNOWN_PATHS
from shoprel.serve.schemas import example_request, score_request_model

LOADING_ATTRIBUTES = {"src", "srcset", "data", "poster", "background", "action", "formaction"}


class Links(HTMLParser):
    """Every tag and every URL-bearing attribute of a page, and its inline style text."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.loads: list[tuple[str, str, str]] = []
        self.hrefs: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in LOADING_ATTRIBUTES:
                self.loads.append((tag, name, value or ""))
            elif name == "href":
                self.hrefs.append(value or "")
            elif name == "style":
                self.style += value or ""

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data


def parsed(page: str) -> Links:
    links = Links()
    links.feed(page)
    return links


def page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def docs(qc_server):
    import httpx

    return httpx.get(qc_server.url + "/docs", timeout=30)


def test_the_docs_page_loads_nothing(docs):
    """No script, frame, image, external style sheet, @import or url(): the page is whole on a
    machine without internet (FastAPI's Swagger UI loaded its scripts from a CDN), and the
    browser is told so too (Content-Security-Policy)."""
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    links = parsed(docs.text)
    assert links.loads == []
    assert not links.tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    assert "@import" not in links.style and "url(" not in links.style
    assert all(not re.match(r"^([a-z]+:|//)", href) for href in links.hrefs), links.hrefs
    assert "default-src 'none'" in docs.headers["content-security-policy"]
    assert len(docs.content) < 30_000


def test_the_docs_page_lists_every_route_and_the_servers_limits(docs, qc_server):
    text = page_text(docs.text)
    routes = {route.path for route in qc_server.app.routes}
    assert routes >= {"/v1/score", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"}
    assert [path for path in routes if path not in text] == []
    # TEST_SETTINGS' limits, not the defaults
    assert "1 to 400 items" in text and "at most 500 characters" in text
    assert "262,144 bytes per body" in text
    assert "1 to 1,000 items" not in text and "2,000" not in text
    # the answers besides each route's own: the request timeout, its body, 414, 405 and 404
    assert "Scoring took longer than --request-timeout (30 s)" in text
    assert "longer than 2,048 bytes" in text and "the Allow header names" in text
    assert 'A path not listed here answers 404 {"error": "Not Found"' in text
    for field in ("query", "category_path", "language", "id", "translated_query", "probability",
                  "threshold", "bare_queries"):
        assert re.search(rf"\b{field}\b", text), field


def test_every_route_has_its_own_metrics_label(qc_server, client):
    """A route outside KNOWN_PATHS is counted as 'other' (Swagger's /docs/oauth2-redirect
    was)."""
    assert {route.path for route in qc_server.app.routes} <= KNOWN_PATHS
    client.get("/docs")
    client.get("/redoc")
    samples = {(s.labels["path"], s.labels["status"])
               for family in text_string_to_metric_families(client.get("/metrics").text)
               for s in family.samples if s.name == "shoprel_requests_total"}
    assert {("/docs", "200"), ("/redoc", "307")} <= samples


def test_redoc_sends_its_readers_to_the_offline_page(client):
    r = client.get("/redoc", follow_redirects=True)
    assert [h.status_code for h in r.history] == [307]
    assert str(r.url).endswith("/docs") and "loads nothing else" in r.text
    assert client.get("/docs/oauth2-redirect").status_code == 404  # Swagger UI's, gone with it
    assert (client.head("/docs").status_code, client.head("/redoc").status_code) == (200, 307)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="needs curl and bash")
def test_the_pages_curl_examples_run_as_they_stand(docs):
    """Copied from the page into a shell, each command gets its answer: the score example's
    body (an apostrophe in it) scores both pairs, the GET ones answer 200."""
    commands = [html.unescape(c) for c in re.findall(r"<pre>(curl .*?)</pre>", docs.text, re.S)]
    assert len(commands) == 4
    for command in commands:
        done = subprocess.run(["bash", "-c", command + " -o /dev/null -w '%{http_code}'"],
                              capture_output=True, text=True, timeout=30)
        assert done.stdout == "200", (command, done.stdout, done.stderr)
    score = next(c for c in commands if "/v1/score" in c)
    answer = subprocess.run(["bash", "-c", score], capture_output=True, text=True, timeout=30)
    results = json.loads(answer.stdout)["results"]
    assert [r["id"] for r in results] == ["a", "b"]


@pytest.mark.parametrize("task", list(Task))
@pytest.mark.parametrize("settings", [TEST_SETTINGS, ServeSettings(max_pairs=1),
                                      ServeSettings(max_total_chars=110),
                                      ServeSettings(max_text_chars=12)])
def test_the_example_request_fits_the_servers_limits(task, settings):
    """The schema's example (the page's curl body) is one the server accepts, under whatever
    pair and character limits it was started with (--max-text-chars 12 refused its titles and
    category paths with a 422)."""
    body = example_request(task, settings)
    request = score_request_model(task, settings).model_validate(body)
    assert 1 <= len(request.pairs) <= settings.max_pairs


def test_the_page_reads_which_operations_need_the_key_from_the_schemas_security():
    """The page says what the schema says (key_scheme.py declares it from needs_key): an
    operation's own `security`, else the document's, where an empty requirement lets a caller
    send none; the routes outside the schema are named by the caller."""
    from shoprel.serve.docs_page import render_docs

    key = [{"APIKey": []}]
    schema = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "security": key,
              "paths": {"/own": {"get": {"security": key}}, "/inherited": {"get": {}},
                        "/open": {"get": {"security": []}},
                        "/optional": {"get": {"security": [{}, *key]}}}}
    page = render_docs(schema, "http://test/", {"/docs": "this page", "/shut": "closed"},
                       ["/shut"])
    commands = {re.search(r"http://test(/\S*)", c)[1]: html.unescape(c)
                for c in re.findall(r"<pre>(curl .*?)</pre>", page, re.S)}
    assert {path for path, c in commands.items() if "Bearer $SHOPREL_API_KEY" in c} == {
        "/own", "/inherited"}
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "every path but /docs, /open, /optional needs the header" in text
    unkeyed = render_docs({**schema, "security": [], "paths": {"/inherited": {"get": {}}}},
                          "http://test/", {"/docs": "this page"})
    assert "Bearer" not in unkeyed and "API key" not in unkeyed
