"""Probe `/healthz` at a fixed pace and print each answer's latency: what a liveness monitor
sees of a server under load. bench/load_test.py runs it beside each level (--healthz-every);
it is a process of its own, so the load generator's own event loop cannot delay it.

    .venv/bin/python bench/healthz_probe.py PORT EVERY_MS SECONDS

Each probe opens a new connection, as a monitor does. Prints one JSON object: the latencies in
milliseconds, in order, and how many probes failed (no answer or not 200).
"""

from __future__ import annotations

import json
import socket
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def probe_once(port: int, timeout: float = 30.0) -> bool:
    """One GET /healthz on a new connection, read to its end; True when answered 200."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(REQUEST)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return len(status_line) > 1 and status_line[1] == b"200"


def probe(port: int, every_s: float, seconds: float) -> dict:
    latencies, failed = [], 0
    stop_at = time.perf_counter() + seconds
    next_at = time.perf_counter()
    while next_at < stop_at:
        time.sleep(max(0.0, next_at - time.perf_counter()))
        start = time.perf_counter()
        try:
            ok = probe_once(port)
        except OSError:
            ok = False
        latencies.append(1000 * (time.perf_counter() - start))
        failed += not ok
        next_at = max(next_at + every_s, time.perf_counter())
    return {"latencies_ms": latencies, "failed": failed}


if __name__ == "__main__":
    port, every_ms, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    print(json.dumps(probe(port, every_ms / 1000, seconds)))
