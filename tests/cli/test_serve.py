import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner
from tests.serve.process import free_port, wait_until_ready

from shoprel.cli.serve import serve
from shoprel.errors import ConfigError, ConfigValueError, RunDirError
from shoprel.serve import ServeSettings

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


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--max-wait-ms", "nan", "nan is not a number."),
    ("--max-wait-ms", "inf", "inf is not a finite number."),
    ("--request-timeout", "nan", "nan is not a number."),
    ("--cascade-share", "nan", "nan is not a number."),
])
def test_a_number_option_refuses_nan_and_inf_naming_the_option(tmp_path, option, value, said):
    """nan passed FloatRange (a traceback from the settings), and --max-wait-ms inf started a
    server whose batches waited for company for ever."""
    result = CliRunner().invoke(serve, [str(tmp_path), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': {said}" in result.output


def test_an_infinite_request_timeout_is_still_taken(tmp_path):
    result = CliRunner().invoke(serve, [str(tmp_path), "--request-timeout", "inf"])
    assert isinstance(result.exception, RunDirError)  # past the options, to the run


@pytest.mark.parametrize("value", ["nan", "-inf"])
def test_a_non_finite_request_timeout_is_one_sentence_from_the_cli_and_python(tmp_path, value):
    """`--request-timeout nan` said "nan is not a number", ServeSettings(request_timeout_s=nan)
    "nan is out of range; it must be above 0"."""
    result = CliRunner().invoke(serve, [str(tmp_path), "--request-timeout", value])
    with pytest.raises(ConfigValueError) as info:
        ServeSettings(request_timeout_s=float(value))
    said = str(info.value).removeprefix("ServeSettings: request_timeout_s: ")
    assert result.exit_code == 2
    assert f"Invalid value for '--request-timeout': {said}." in result.output


@contextlib.contextmanager
def _serving(run, *options, log_level: str | None = "warning"):
    """`shoprel serve RUN OPTIONS` in a child process on a free port, ready: (process, port,
    url); killed afterwards if it is still running. `log_level` None: no --log-level."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(run), "--port", str(port), *options,
         *(["--log-level", log_level] if log_level else [])], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, proc, lambda: proc.stdout.read().decode())
        yield proc, port, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _stopped_cleanly(proc) -> None:
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.wait(30) in (0, -signal.SIGTERM)
    assert b"Traceback" not in proc.stdout.read()


def test_serve_command_answers_then_stops_cleanly_on_sigterm(qc_run):
    with _serving(qc_run, "--max-pairs", "2") as (proc, _, url):
        pair = {"query": "funda iphone", "category_path": "phones & telecommunications"}
        assert httpx.post(url + "/v1/score", json={"pairs": [pair] * 2}).status_code == 200
        too_many = httpx.post(url + "/v1/score", json={"pairs": [pair] * 3})
        assert too_many.status_code == 422
        assert "at most 2 pairs, this one holds 3" in too_many.json()["error"]
        proc.send_signal(signal.SIGTERM)
        _stopped_cleanly(proc)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_workers_stop_taking_connections_once_shutdown_begins(qc_run):
    """With --workers 2 a request in flight is answered, and a client connecting during the
    graceful shutdown is refused, not queued on the supervisor's copy of the socket and reset."""
    body = json.dumps({"pairs": [{"query": "funda iphone",
                                  "category_path": "phones & telecommunications"}]}).encode()
    with _serving(qc_run, "--workers", "2") as (proc, port, _):
        held = socket.create_connection(("127.0.0.1", port), timeout=30)
        # a request whose body has not all arrived keeps its worker in graceful shutdown
        held.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while not _refused(port):
            assert time.monotonic() < deadline, "connections still taken during shutdown"
            time.sleep(0.2)
        held.sendall(body[10:])
        answer = held.recv(65536)
        held.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        _stopped_cleanly(proc)


def test_quiet_serves_without_library_loading_bars(embed_run, tmp_path, monkeypatch):
    """A request that needs the backbone loaded it with transformers' 'Loading weights' bar
    in the server's output; --quiet silences it (and serve had no --quiet), as does a log."""
    pair = {"query": "funda roja nueva", "language": "es", "category_path": "a,b"}
    outputs = []
    for options in ((), ("--quiet",)):
        # a cache of its own: the query's embedding is not there, so the backbone loads
        monkeypatch.setenv("SHOPREL_CACHE", str(tmp_path / f"cache{len(outputs)}"))
        with _serving(embed_run, *options) as (proc, _, url):
            scored = httpx.post(url + "/v1/score", json={"pairs": [pair]}, timeout=120)
            assert scored.status_code == 200, scored.text
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            outputs.append(proc.stdout.read().decode())
    # its output a pipe, the libraries' bars are off without --quiet too (tqdm's full bar in
    # a log); on a terminal they still draw
    assert "Loading weights" not in outputs[0] and "\x1b" not in outputs[0], outputs[0]
    assert outputs[1] == ""


@pytest.mark.parametrize(("options", "info"), [(("--quiet",), False),
                                               (("--quiet", "--log-level", "info"), True),
                                               ((), True)])
def test_quiet_leaves_out_the_servers_info_lines_unless_a_log_level_is_given(qc_run, options,
                                                                             info):
    """`serve --quiet` still wrote uvicorn's INFO lines (startup, each request): --quiet
    silences what is info, as every command's does; a --log-level given still rules."""
    pair = {"query": "funda iphone", "category_path": "phones & telecommunications"}
    with _serving(qc_run, *options, log_level=None) as (proc, _, url):
        assert httpx.post(url + "/v1/score", json={"pairs": [pair]}).status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        output = proc.stdout.read().decode()
    assert ("INFO:" in output and "POST /v1/score" in output) is info, output
    if not info:
        assert output == ""


def test_a_cascade_share_beside_another_scorer_is_refused_as_predict_refuses_it(tmp_path):
    """`serve RUN --cascade-share 0.5` started the full scorer and ignored the share, which
    predict refuses; both now say so before the run is read."""
    result = CliRunner().invoke(serve, [str(tmp_path), "--cascade-share", "0.5"])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == ("--cascade-share: only with --scorer cascade (this "
                                     "command scores with --scorer full)")
    result = CliRunner().invoke(serve, [str(tmp_path), "--scorer", "student",
                                        "--cascade-share", "0.2"])
    assert "(this command scores with --scorer student)" in str(result.exception)


@pytest.mark.parametrize(("key", "said"), [
    ("", "an empty or blank key would serve with no key at all"),
    ("  ", "an empty or blank key would serve with no key at all"),
    (" key", "a key cannot begin or end with a space"),
    ("key\n", "a key cannot begin or end with a space"),
    ("k\tey", "a key cannot hold a control character"),
])
def test_a_key_no_client_can_send_is_refused_before_the_run_loads(tmp_path, key, said):
    """`--api-key "$UNSET"` served every path with no key at all, and a key with a space at
    its end answered 401 to every client (the token is stripped)."""
    result = CliRunner().invoke(serve, [str(tmp_path), "--api-key", key])
    with pytest.raises(ConfigValueError) as info:
        ServeSettings(api_key=key)
    assert result.exit_code == 2
    assert "Invalid value for '--api-key'" in result.output and said in result.output
    assert said in str(info.value)


def test_an_empty_key_variable_is_refused_before_the_run_loads(tmp_path):
    """click reads an empty SHOPREL_API_KEY as unset: a secret that failed to fill served
    every path with no key at all."""
    result = CliRunner().invoke(serve, [str(tmp_path)], env={"SHOPREL_API_KEY": ""})
    assert result.exit_code == 2
    assert ("SHOPREL_API_KEY is set but empty, which would serve with no key at all"
            in result.output)


def test_the_key_from_the_variable_or_the_option_reaches_the_server(qc_run, monkeypatch):
    """--api-key wins over the variable, an empty one included."""
    from shoprel.serve import server

    seen = []
    monkeypatch.setattr(server, "run_server", lambda run, settings, **kw: seen.append(settings))
    for env, args in [({"SHOPREL_API_KEY": "from-env"}, []),
                      ({"SHOPREL_API_KEY": ""}, ["--api-key", "given"]),
                      ({"SHOPREL_API_KEY": None}, [])]:
        assert CliRunner().invoke(serve, [str(qc_run), *args], env=env).exit_code == 0
    assert [settings.api_key for settings in seen] == ["from-env", "given", None]


def test_max_connections_reaches_the_server_and_is_checked(qc_run, monkeypatch):
    """--max-connections is each process's cap on the connections it serves
    (serve/connections.py); 0 is refused naming the option."""
    from shoprel.serve import server

    seen = []
    monkeypatch.setattr(server, "run_server", lambda *args, **kwargs: seen.append(kwargs))
    assert CliRunner().invoke(serve, [str(qc_run), "--max-connections", "5"]).exit_code == 0
    assert CliRunner().invoke(serve, [str(qc_run)]).exit_code == 0
    assert [kwargs["max_connections"] for kwargs in seen] == [5, 1000]
    refused = CliRunner().invoke(serve, [str(qc_run), "--max-connections", "0"])
    assert refused.exit_code == 2 and "--max-connections" in refused.output
