"""The server's log lines stay short whatever a client sends (serve/logs.py, guards.py's 414)."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from tests.serve.process import free_port, wait_until_ready
from uvicorn.logging import AccessFormatter

from shoprel.serve.logs import MAX_LOGGED_CHARS, BoundedValues, bounded, log_config

LONGEST_LINE = 2 * MAX_LOGGED_CHARS + 200  # a bounded path, the level, address, status...


def _record(name: str, msg: str, args) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_bounded_cuts_long_values_with_a_marker():
    assert bounded("short") == "short"
    cut = bounded("x" * 100_000)
    assert cut.startswith("x" * MAX_LOGGED_CHARS) and cut.endswith("...[99800 more chars]")
    assert len(bounded(b"y" * 5000)) < MAX_LOGGED_CHARS + 40
    assert bounded(12345) == 12345


def test_the_access_line_of_a_long_path_is_short():
    record = _record("uvicorn.access", '%s - "%s %s HTTP/%s" %d',
                     ("127.0.0.1:5000", "GET", "/" + "a" * 100_000, "1.1", 404))
    assert BoundedValues().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s',
                           use_colors=False).format(record)
    assert len(line) < LONGEST_LINE and "more chars]" in line and "404" in line


def test_a_long_message_without_arguments_is_cut():
    record = _record("shoprel.serve", "header: " + "h" * 50_000, ())
    BoundedValues().filter(record)
    assert len(record.getMessage()) < 1100
    # a message with arguments keeps its format string whole
    record = _record("shoprel.serve", "scored %d pairs for %s", (3, "q" * 5000))
    BoundedValues().filter(record)
    assert record.getMessage().startswith("scored 3 pairs for qqq") and \
        len(record.getMessage()) < 300


def test_the_config_bounds_every_handler_and_shoprels_own_loggers():
    config = log_config("warning")
    assert all(h["filters"] == ["bounded"] for h in config["handlers"].values())
    assert config["loggers"]["shoprel"] == {"handlers": ["default"], "level": "WARNING",
                                            "propagate": False}


def _raw_get(port: int, target: str, headers: str = "", tries: int = 3) -> int:
    """Send a GET as raw bytes (a client library may refuse such a URL); the status answered.

    A server that answers a head it refuses before reading all of it closes with bytes unread,
    and its kernel may then reset the connection before the answer leaves (seen once in CI): a
    reset with no answer is tried again, up to `tries` times."""
    for _ in range(tries):
        answer = b""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            try:
                conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}"
                             "Connection: close\r\n\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before the whole head was sent
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
        if answer:
            return int(answer.split(b" ", 2)[1])
    raise AssertionError(f"no answer to GET of {len(target)} chars in {tries} tries")


@pytest.fixture(scope="module")
def served(trained_runs, tmp_path_factory):
    """`shoprel serve` on the demo QC run, its log (stdout and stderr) in a file."""
    log = tmp_path_factory.mktemp("serve-log") / "server.log"
    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "shoprel.cli", "serve",
                                 str(trained_runs["QC"]), "--port", str(port), "--log-level",
                                 "info"], stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc, log.read_text)
        yield port, proc, log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_long_urls_and_headers_get_a_4xx_and_short_log_lines(served):
    port, proc, log = served
    statuses = {
        "100 kB URL": _raw_get(port, "/" + "a" * 100_000),
        "10 kB query": _raw_get(port, "/v1/score?" + "q=1&" * 2500),
        "1.5 kB path": _raw_get(port, "/v1/" + "b" * 1500),
        "8 kB header": _raw_get(port, "/nothere", "X-Junk: " + "h" * 8000 + "\r\n"),
    }
    assert statuses == {"100 kB URL": statuses["100 kB URL"], "10 kB query": 414,
                        "1.5 kB path": 404, "8 kB header": 404}
    assert statuses["100 kB URL"] in (400, 414)  # h11 refuses a head beyond 16 KiB: 400
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    lines = log.read_text(errors="replace").splitlines()
    assert lines and max(len(line) for line in lines) < LONGEST_LINE, \
        max(lines, key=len)[:500]
    assert any("414" in line and "more chars]" in line for line in lines), lines
    assert any("404" in line and "more chars]" in line for line in lines), lines
    assert not any(" 50" in line.rsplit('"', 1)[-1] for line in lines), lines
    assert "Traceback" not in "\n".join(lines)
