"""Fairness under load: does a 1-pair request stay quick while another client sends maximal ones?

    .venv/bin/python bench/serve_fairness.py RUN_DIR [--data FILE] [--seconds 20]
        [--server-arg=--slice-pairs=64 ...]

Starts `shoprel serve` on loopback for the run. One client sends maximal requests back to back
(the server's max_pairs pairs whose texts fill max_total_chars, no text over max_text_chars);
another sends 1-pair requests back to back, each on its own keep-alive connection. Prints the
1-pair requests' latency alone first (a few seconds), then under the big client: p50/p99/max,
the big requests' pairs/s and latency, pairs per model call, and the load average. The issue's
target: 1-pair p99 <= 250 ms while the big client runs. Not a test: timings depend on the
machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_guard import run_main
from load_test import COUNTERS, KeepAliveConnection, counters, free_port, start_server  # noqa: E402

from shoprel.data.readers import read_pairs  # noqa: E402
from shoprel.demo import demo_file  # noqa: E402
from shoprel.run.folder import Run  # noqa: E402
from shoprel.serve.settings import ServeSettings  # noqa: E402


def stretched(text: str, size: int) -> str:
    """The text repeated (word-wise) to exactly `size` characters."""
    text = " ".join(text.split()) or "x"
    return ((text + " ") * (size // (len(text) + 1) + 1))[:size].strip() or "x"


def maximal_body(frame, task, settings: ServeSettings) -> bytes:
    """max_pairs pairs whose query and target fill max_total_chars between them."""
    n = settings.max_pairs
    per_pair = min(settings.max_total_chars // n, 2 * settings.max_text_chars)
    q_size = max(1, min(settings.max_text_chars, per_pair // 3))
    t_size = max(1, min(settings.max_text_chars, per_pair - q_size))
    rows = frame.df.sample(n, replace=len(frame) < n, random_state=0).itertuples()
    pairs = [{"query": stretched(r.query, q_size), task.target_column: stretched(r.target, t_size),
              "language": r.language} for r in rows]
    total = sum(len(p["query"]) + len(p[task.target_column]) for p in pairs)
    assert total <= settings.max_total_chars, total
    return json.dumps({"pairs": pairs}, ensure_ascii=False).encode("utf-8")


def small_bodies(frame, task, count: int = 500) -> list[bytes]:
    rows = frame.df.sample(min(count, len(frame)), random_state=1).itertuples()
    return [json.dumps({"pairs": [{"query": r.query, task.target_column: r.target,
                                   "language": r.language}]}, ensure_ascii=False).encode("utf-8")
            for r in rows]


async def loop_client(port: int, bodies: list[bytes], stop_at: float, latencies: list[float],
                      failures: list[int]) -> None:
    conn = KeepAliveConnection(port)
    i = 0
    while time.perf_counter() < stop_at:
        start = time.perf_counter()
        try:
            status = await conn.post("/v1/score", bodies[i % len(bodies)])
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            status = 0
            await conn.close()
        latencies.append(time.perf_counter() - start)
        if status != 200:
            failures.append(status)
        i += 1
    await conn.close()


async def fairness(port: int, big: bytes, small: list[bytes], seconds: float, with_big: bool):
    stop_at = time.perf_counter() + seconds
    small_lat, big_lat, small_fail, big_fail = [], [], [], []
    clients = [loop_client(port, small, stop_at, small_lat, small_fail)]
    if with_big:
        clients.append(loop_client(port, [big], stop_at, big_lat, big_fail))
    began = time.perf_counter()
    await asyncio.gather(*clients)
    return small_lat, big_lat, small_fail, big_fail, time.perf_counter() - began


def summary(latencies: list[float]) -> str:
    ms = np.array(latencies) * 1000
    return (f"n={len(ms)}  p50 {np.percentile(ms, 50):.1f} ms  p99 {np.percentile(ms, 99):.1f} ms"
            f"  max {ms.max():.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", type=Path, help="rows to draw texts from (default: demo file)")
    parser.add_argument("--seconds", type=float, default=20.0, help="with the big client")
    parser.add_argument("--alone-seconds", type=float, default=5.0,
                        help="1-pair requests alone first, for comparison (0: skip)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `shoprel serve` option, e.g. --server-arg=--slice-pairs=32")
    args = parser.parse_args()

    task = Run.open(args.run_dir).task
    settings = ServeSettings()  # the limits `shoprel serve` runs with unless --server-arg says
    for extra in args.server_arg:
        name, _, value = extra.lstrip("-").partition("=")
        field = name.replace("-", "_")
        if field in ("max_pairs", "max_text_chars", "max_total_chars"):
            settings = settings.model_copy(update={field: int(value)})
    frame = read_pairs(args.data or demo_file(task.value), task=task)
    big, small = maximal_body(frame, task, settings), small_bodies(frame, task)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(args.run_dir, port, args.server_arg)
    try:
        asyncio.run(fairness(port, big, small, 2.0, with_big=True))  # warm-up
        alone = None
        if args.alone_seconds > 0:
            alone = asyncio.run(fairness(port, big, small, args.alone_seconds, with_big=False))
        load_before = os.getloadavg()
        before = counters(url)
        small_lat, big_lat, small_fail, big_fail, elapsed = asyncio.run(
            fairness(port, big, small, args.seconds, with_big=True))
        after = counters(url)
        load_after = os.getloadavg()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in COUNTERS}
    calls = delta[COUNTERS[0]]
    big_pairs = (len(big_lat) - len(big_fail)) * settings.max_pairs
    print(f"run {args.run_dir}  server args {args.server_arg or 'defaults'}")
    print(f"big request: {settings.max_pairs} pairs, {len(big)} bytes, texts filling "
          f"max_total_chars={settings.max_total_chars}")
    if alone is not None:
        print(f"1-pair alone ({args.alone_seconds:g} s):      {summary(alone[0])}  "
              f"errors {len(alone[2])}")
    print(f"1-pair with big client ({args.seconds:g} s): {summary(small_lat)}  "
          f"errors {len(small_fail)}")
    print(f"big requests: {summary(big_lat)}  errors {len(big_fail)}  "
          f"{big_pairs / elapsed:.0f} pairs/s")
    print(f"model calls {calls:.0f}, {delta[COUNTERS[1]] / calls if calls else 0:.1f} pairs/call")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    run_main(main)
