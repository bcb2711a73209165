import os
import signal
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner
from tests.serve.process import free_port, wait_until_ready

from shoprel.cli.serve import serve
from shoprel.errors import RunDirError

LAUNCH = "from shoprel.cli.serve import serve; serve()"


@pytest.fixture(scope="module")
def qc_run(trained_runs):
    return trained_runs["QC"]


def test_bad_run_dir_fails_before_listening(tmp_path):
    result = CliRunner().invoke(serve, [str(tmp_path / "missing")])
    assert isinstance(result.exception, RunDirError)
    assert "run directory not found" in str(result.exception)


def test_option_ranges_are_checked(qc_run):
    result = CliRunner().invoke(serve, [str(qc_run), "--max-pairs", "0"])
    assert result.exit_code == 2 and "--max-pairs" in result.output


def test_serve_command_answers_then_stops_cleanly_on_sigterm(qc_run):
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(qc_run), "--port", str(port), "--max-pairs", "2",
         "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc, lambda: proc.stdout.read().decode())
        pair = {"query": "funda iphone", "category_path": "phones & telecommunications"}
        assert httpx.post(url + "/v1/score", json={"pairs": [pair] * 2}).status_code == 200
        too_many = httpx.post(url + "/v1/score", json={"pairs": [pair] * 3})
        assert too_many.status_code == 422 and "at most 2 items" in too_many.json()["error"]
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert proc.wait(30) in (0, -signal.SIGTERM)
        assert b"Traceback" not in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
