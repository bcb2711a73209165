"""The load test's measuring aids: fresh query texts per run (no embedding cache answers them)
and a /healthz probe that counts what a liveness monitor would see."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shoprel.data.tasks import Task


def test_fresh_queries_change_every_query_and_nothing_else(qc_demo, load_bench):
    bench = load_bench("load_test")
    requests = bench.request_bodies(qc_demo, Task.QC, 10, "query")
    fresh = bench.with_fresh_queries(requests, "q1f2")
    assert [len(r["pairs"]) for r in fresh] == [len(r["pairs"]) for r in requests]
    for before, after in zip(requests, fresh, strict=True):
        for old, new in zip(before["pairs"], after["pairs"], strict=True):
            assert new == {**old, "query": old["query"] + " q1f2"}


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802  (http.server's name)
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status", [200, 503])
def test_the_probe_paces_its_requests_and_counts_the_failed(load_bench, status):
    probe = load_bench("healthz_probe")
    handler = type("Handler", (_Health,), {"status": status})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        answer = probe.probe(server.server_address[1], every_s=0.05, seconds=0.5)
        server.shutdown()
    assert 8 <= len(answer["latencies_ms"]) <= 10  # one every 50 ms over 0.5 s
    assert all(0 < ms < 1000 for ms in answer["latencies_ms"])
    assert answer["failed"] == (0 if status == 200 else len(answer["latencies_ms"]))
