"""A `serve --workers N` worker stops once its supervisor is gone (killed outright, it cannot
stop them), instead of serving the port with nobody to restart or stop it."""

import os
import signal
import subprocess
import sys
import time

from shoprel.serve.parent_watch import SUPERVISOR_ENV, watch_supervisor

WORKER = ("from shoprel.serve.parent_watch import watch_supervisor; import time; "
          "assert watch_supervisor(0.05) is not None; print('up', flush=True); time.sleep(30)")


def _worker(supervisor: int) -> subprocess.Popen:
    env = {**os.environ, SUPERVISOR_ENV: str(supervisor)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE,
                              text=True)
    assert worker.stdout.readline().strip() == "up"
    return worker


def test_a_worker_whose_supervisor_is_gone_stops_as_on_sigterm():
    worker = _worker(supervisor=os.getpid() + 10**6)  # not its parent: the supervisor is gone
    assert worker.wait(timeout=10) == -signal.SIGTERM


def test_a_worker_under_its_supervisor_keeps_running():
    worker = _worker(supervisor=os.getpid())  # this test process started it
    time.sleep(0.5)
    try:
        assert worker.poll() is None
    finally:
        worker.kill()
        worker.wait()


def test_a_process_not_started_by_a_supervisor_is_not_watched(monkeypatch):
    monkeypatch.delenv(SUPERVISOR_ENV, raising=False)
    assert watch_supervisor() is None
