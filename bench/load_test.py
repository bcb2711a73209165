"""Load test: start `shoprel serve` on loopback for a run, drive it at several concurrencies.

    .venv/bin/python bench/load_test.py RUN_DIR [--data FILE] [--seconds 10]
        [--concurrency 1,8,32] [--pairs-per-request 10] [--shape rows|query]
        [--fresh-queries] [--healthz-every MS]

Rows come from --data (any file `shoprel predict` reads; default: the run's shipped demo file
for its task). `--shape rows` (the default) sends the file's rows in order, N a request, so a
request holds up to N different queries; `--shape query` sends what a search page asks: one of
the file's queries a request, with its own targets and then other targets of the file (drawn
with a fixed seed) up to N, each query once. A row with an empty or blank query or target is
left out, with one note saying how many (serve answers 422 for such a pair, which would count
as an error). Prints pairs/s, request latency p50/p99 and errors per concurrency level, plus
pairs per model call and the server's own mean time per request (from /metrics), which tells
server queueing from client-side overhead. `--fresh-queries` appends one new word to every
query, so that no embedding cache answers them (runs compared back to back each start cold);
`--healthz-every MS` probes /healthz from a process of its own beside each level
(bench/healthz_probe.py) and prints its p50/p99/max.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from bench_guard import run_main
from prometheus_client.parser import text_string_to_metric_families

from shoprel.data.empty_texts import empty_texts_note
from shoprel.data.readers import read_pairs
from shoprel.demo import demo_file
from shoprel.run.folder import Run

LAUNCH = "from shoprel.cli.serve import serve; serve()"
PROBE = Path(__file__).with_name("healthz_probe.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run_dir: Path, port: int, extra: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(run_dir), "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", *extra], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready in 120 s")


def request_bodies(data: Path, task, pairs_per_request: int, shape: str = "rows") -> list[dict]:
    """The requests to send. A row with an empty or blank query or target is left out (one
    note says how many, and where the first is): serve refuses such a pair with 422, and one
    in a request would make the whole request count as an error."""
    frame = read_pairs(data, task=task, empty_text="drop")
    if note := empty_texts_note(frame.stats, data, "left out: serve refuses a pair with an "
                                "empty text"):
        print(note, file=sys.stderr)
    target = task.target_column
    rows = list(frame.df.itertuples())
    if shape == "query":
        return query_requests(rows, target, pairs_per_request)
    pairs = [{"id": i, "query": r.query, target: r.target, "language": r.language}
             for i, r in enumerate(rows)]
    return [{"pairs": pairs[i:i + pairs_per_request]}
            for i in range(0, len(pairs) - pairs_per_request + 1, pairs_per_request)]


def query_requests(rows: list, target: str, pairs_per_request: int, seed: int = 0) -> list[dict]:
    """One request per distinct query (file order): its own targets first, then other targets
    of the file, so every request holds one query and N candidates, as a results page does."""
    own: dict[str, list] = {}
    for r in rows:
        own.setdefault(r.query, []).append(r)
    pool = list(dict.fromkeys(r.target for r in rows))
    rng = np.random.default_rng(seed)
    requests = []
    for query, mine in own.items():
        targets = list(dict.fromkeys(r.target for r in mine))[:pairs_per_request]
        while len(targets) < min(pairs_per_request, len(pool)):
            extra = pool[int(rng.integers(len(pool)))]
            if extra not in targets:
                targets.append(extra)
        language = mine[0].language
        requests.append({"pairs": [{"id": f"{len(requests)}-{k}", "query": query, target: t,
                                    "language": language} for k, t in enumerate(targets)]})
    return requests


def with_fresh_queries(requests: list[dict], word: str) -> list[dict]:
    """The requests with `word` appended to every query: texts no cache has embedded yet."""
    return [{"pairs": [{**p, "query": f"{p['query']} {word}"} for p in r["pairs"]]}
            for r in requests]


def start_probe(port: int, every_ms: float, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(PROBE), str(port), str(every_ms), str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def probe_figures(proc: subprocess.Popen) -> dict:
    """The probe's /healthz latencies as p50/p99/max (ms) and its failures."""
    out, _ = proc.communicate(timeout=120)
    answer = json.loads(out)
    lat = np.array(answer["latencies_ms"] or [np.nan])
    return {"healthz_p50_ms": float(np.percentile(lat, 50)),
            "healthz_p99_ms": float(np.percentile(lat, 99)),
            "healthz_max_ms": float(lat.max()), "healthz_failed": answer["failed"]}


COUNTERS = ("shoprel_model_calls_total", "shoprel_pairs_scored_total",
            "shoprel_request_latency_seconds_sum", "shoprel_request_latency_seconds_count")


def counters(url: str) -> dict[str, float]:
    """Server-side totals: model calls, pairs, and /v1/score time as the server saw it."""
    out = {}
    for family in text_string_to_metric_families(httpx.get(url + "/metrics").text):
        for sample in family.samples:
            if sample.name in COUNTERS and sample.labels.get("path", "/v1/score") == "/v1/score":
                out[sample.name] = sample.value
    return out


class KeepAliveConnection:
    """A bare HTTP/1.1 keep-alive client: the load generator must cost far less than the server
    (httpx's pool alone became the bottleneck at 32 connections on a 2-core machine)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.writer = None


async def drive(port: int, bodies: list[bytes], sizes: list[int], concurrency: int,
                seconds: float) -> dict:
    latencies: list[float] = []
    errors = pairs = 0
    stop_at = time.perf_counter() + seconds

    async def worker(offset: int):
        nonlocal errors, pairs
        conn = KeepAliveConnection(port)
        i = offset
        while time.perf_counter() < stop_at:
            k = i % len(bodies)
            i += concurrency
            start = time.perf_counter()
            try:
                ok = await conn.post("/v1/score", bodies[k]) == 200
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                ok = False
                await conn.close()
            latencies.append(time.perf_counter() - start)
            if ok:
                pairs += sizes[k]
            else:
                errors += 1
        await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*[worker(k) for k in range(concurrency)])
    elapsed = time.perf_counter() - began
    lat = np.array(latencies) * 1000
    return {"concurrency": concurrency, "requests": len(latencies), "pairs_per_s": pairs / elapsed,
            "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", type=Path, help="rows to send (default: the demo file)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--pairs-per-request", type=int, default=10)
    parser.add_argument("--shape", choices=("rows", "query"), default="rows",
                        help="rows: the file's rows in order; query: one query a request")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `shoprel serve` option, e.g. --server-arg=--max-wait-ms=5")
    parser.add_argument("--fresh-queries", action="store_true",
                        help="append a new word to every query, so no embedding cache knows it")
    parser.add_argument("--healthz-every", type=float, metavar="MS",
                        help="probe /healthz every MS milliseconds beside each level")
    args = parser.parse_args()

    task = Run.open(args.run_dir).task
    data = args.data or demo_file(task.value)
    requests = request_bodies(data, task, args.pairs_per_request, args.shape)
    if not requests:
        raise SystemExit(f"{data}: too few rows with both texts for one request of "
                         f"{args.pairs_per_request} pairs")
    if args.fresh_queries:
        requests = with_fresh_queries(requests, f"q{secrets.token_hex(4)}")
    bodies = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in requests]
    sizes = [len(r["pairs"]) for r in requests]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(args.run_dir, port, args.server_arg)
    try:
        asyncio.run(drive(port, bodies, sizes, 1, 1.0))  # warm-up
        rows = []
        for level in (int(c) for c in args.concurrency.split(",")):
            before = counters(url)
            probe = args.healthz_every and start_probe(port, args.healthz_every, args.seconds)
            row = asyncio.run(drive(port, bodies, sizes, level, args.seconds))
            after = counters(url)
            if probe:
                row.update(probe_figures(probe))
            delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in COUNTERS}
            calls, answered = delta[COUNTERS[0]], delta[COUNTERS[3]]
            row["pairs_per_call"] = delta[COUNTERS[1]] / calls if calls else 0.0
            row["server_ms"] = 1000 * delta[COUNTERS[2]] / answered if answered else 0.0
            rows.append(row)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    print(f"run {args.run_dir}  {args.pairs_per_request} pairs/request ({args.shape})  "
          f"{len(requests)} distinct requests  {args.seconds:g} s per level")
    probed = args.healthz_every is not None
    header = (f"{'concurrency':>11}{'requests':>10}{'pairs/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'errors':>8}{'pairs/call':>12}{'server mean ms':>16}"
              + (f"{'healthz p50/p99/max ms':>26}{'failed':>8}" if probed else ""))
    print(header)
    print("-" * len(header))
    for r in rows:
        health = (f"{r['healthz_p50_ms']:>10.1f}{r['healthz_p99_ms']:>8.1f}"
                  f"{r['healthz_max_ms']:>8.1f}{r['healthz_failed']:>8}" if probed else "")
        print(f"{r['concurrency']:>11}{r['requests']:>10}{r['pairs_per_s']:>10.0f}"
              f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}{r['pairs_per_call']:>12.1f}"
              f"{r['server_ms']:>16.1f}{health}")


if __name__ == "__main__":
    run_main(main)
