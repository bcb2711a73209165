"""serve makes room in the open-file limit for its connection cap, or says it cannot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

resource = pytest.importorskip("resource")  # POSIX only

SRC = str(Path(__file__).resolve().parents[2] / "src")

PROBE = """
import json, resource, sys
from shoprel.serve.open_files import make_room_for
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
said = []
after = make_room_for({connections}, said.append)
print(json.dumps({{"after": after, "limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
                  "said": said}}))
"""


def probe(soft: int, hard: int, connections: int) -> dict:
    """make_room_for in a process of its own whose limits were lowered to (soft, hard)."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] not in (resource.RLIM_INFINITY,) and \
            resource.getrlimit(resource.RLIMIT_NOFILE)[1] < hard:
        pytest.skip("this machine's hard open-file limit is below the probe's")
    code = PROBE.format(soft=soft, hard=hard, connections=connections)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_soft_limit_is_raised_for_the_connections_and_nothing_is_said():
    seen = probe(soft=256, hard=4096, connections=1000)
    assert seen == {"after": 1128, "limit": 1128, "said": []}


def test_a_hard_limit_too_low_is_raised_to_and_said_in_one_line_with_what_fits():
    seen = probe(soft=256, hard=600, connections=1000)
    assert seen["after"] == seen["limit"] == 600
    [line] = seen["said"]
    assert "\n" not in line
    assert line.startswith("warning: --max-connections 1000 needs ~1128 open files")
    assert "may open 600" in line and "about 472 connections" in line
    assert "--max-connections 472" in line


def test_a_limit_with_room_is_left_as_it_is():
    seen = probe(soft=3000, hard=4096, connections=1000)
    assert seen == {"after": 3000, "limit": 3000, "said": []}


def test_serve_makes_room_before_it_starts(monkeypatch, tmp_path):
    """run_server asks for room for its --max-connections before uvicorn starts."""
    from shoprel.serve import server

    asked = []
    monkeypatch.setattr(server, "make_room_for", lambda n, warn: asked.append(n))
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: asked.append("run"))
    monkeypatch.setattr(server, "scoring_run", lambda run, scorer: None)
    monkeypatch.setattr(server.Run, "open", staticmethod(lambda path: None))

    class App:
        class state:  # noqa: N801 - stands for FastAPI's app.state
            class translation:  # noqa: N801
                region_fallback = None

    monkeypatch.setattr("shoprel.serve.app.create_app", lambda *a, **k: App)
    server.run_server(tmp_path, server.ServeSettings(), port=8765, max_connections=37)
    assert asked == [37, "run"]


def test_a_system_without_the_limit_serves_with_nothing_raised_or_said(monkeypatch):
    """Windows has no resource module: serve starts, with no limit to raise and no warning
    (it raised AttributeError on None before uvicorn started)."""
    from shoprel.serve import open_files

    monkeypatch.setattr(open_files, "resource", None)
    said = []
    assert open_files.make_room_for(1000, said.append) is None
    assert said == []
