"""How the Ray engine says what went wrong, in one line: an address nothing answers at (Ray
itself retries it for minutes), and a shoprel error an actor raised inside Ray's wrappers."""

import logging
import os
import signal
import socket
import sys
from types import SimpleNamespace

import pytest

from shoprel.errors import ConfigError, RunDirError
from shoprel.predict.ray_engine import check_reachable, shoprel_cause

RETRY_ERRORS = "RAY_enable_output_error_log_if_still_retry"  # Ray's, read as ray.init starts


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free once the socket closes: nothing listens there


@pytest.mark.parametrize("prefix", ["", "ray://"])
def test_an_address_nothing_answers_at_is_refused_at_once(prefix):
    address = f"{prefix}127.0.0.1:{closed_port()}"
    with pytest.raises(ConfigError, match=f"--address {address}: nothing answers at"):
        check_reachable(address, timeout_s=2)


def test_a_listening_address_and_ray_s_own_forms_pass():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable(f"127.0.0.1:{server.getsockname()[1]}")
    check_reachable("auto")  # Ray resolves it


class Wrapped(Exception):
    def __init__(self, text, cause=None):
        super().__init__(text)
        self.cause = cause


def test_the_actor_s_shoprel_error_is_found_in_ray_s_wrappers():
    inner = RunDirError("run/models/full: no model.json; not a saved shoprel model")
    assert shoprel_cause(Wrapped("task failed", cause=inner)) is inner
    # an actor that died in its constructor: only its traceback's text comes back
    text = ("The actor died because of an error raised in its creation task\n  File ...\n"
            "shoprel.errors.RunDirError: run/models/full: no model.json; not a saved model\n")
    found = shoprel_cause(Wrapped(text))
    assert isinstance(found, RunDirError)
    assert str(found) == "run/models/full: no model.json; not a saved model"
    assert shoprel_cause(Wrapped("out of memory")) is None


def test_ray_missing_is_said_before_the_input_is_read(tmp_path, monkeypatch, trained_runs):
    """Without Ray, the whole input was read, validated and held in memory (minutes for a
    large file) before "the Ray engine needs Ray"; an empty input was even scored."""
    from shoprel.predict import ray_engine

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError

    def no_read(*args, **kwargs):
        raise AssertionError("the input was read")

    monkeypatch.setattr(ray_engine, "iter_pair_chunks", no_read)
    empty = tmp_path / "empty_QC.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^the Ray engine needs Ray: pip install 'ray\[data\]'$"):
        ray_engine.predict_file_ray(trained_runs["QC"], empty, tmp_path / "out.csv",
                                    progress=False)
    assert not (tmp_path / "out.csv").exists()


class FakeRay:
    """What ray_session calls; init installs a SIGTERM handler as ray.init does (sys.exit(15))."""

    started = False

    def is_initialized(self):
        return False

    def init(self, **kwargs):
        self.started = True
        self.settings = dict(kwargs, backend_level=os.environ.get("RAY_BACKEND_LOG_LEVEL"),
                             retry_errors=os.environ.get(RETRY_ERRORS),
                             log_to_stderr=os.environ.get("RAY_LOG_TO_STDERR"))
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(signum))

    def shutdown(self):
        pass


def test_ray_s_own_sigterm_handler_does_not_replace_the_commands(monkeypatch):
    """ray.init installed a handler exiting with status 15: a `predict --engine ray` stopped by
    SIGTERM left no "interrupted" line and exited 15, not 143 (130 then) as every other command."""
    from shoprel.predict import ray_engine
    from shoprel.utils.signals import sigterm_as_interrupt

    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)  # what `import ray` then gives
    with sigterm_as_interrupt():
        commands = signal.getsignal(signal.SIGTERM)
        with ray_engine.ray_session():
            assert ray.started and signal.getsignal(signal.SIGTERM) is commands
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGTERM)


def test_ray_s_own_log_lines_are_kept_off_stderr_without_quiet(monkeypatch):
    """Without --quiet, a token-authentication WARNING and a core_worker.cc line about actor
    restarts (its C++ core's ERROR level, written to stderr past Python's logging) came
    through on every run. Ray starts at Python's ERROR and its C++ core's FATAL level; the
    level is the session's own, not left in the environment."""
    from shoprel.predict import ray_engine

    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.delenv("RAY_BACKEND_LOG_LEVEL", raising=False)
    with ray_engine.ray_session():
        assert ray.settings["logging_level"] == logging.ERROR
        assert ray.settings["log_to_driver"] is False
        assert ray.settings["backend_level"] == "fatal"
    assert "RAY_BACKEND_LOG_LEVEL" not in os.environ


def test_a_ray_log_level_the_user_set_stands(monkeypatch):
    from shoprel.predict import ray_engine

    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setenv("RAY_BACKEND_LOG_LEVEL", "debug")
    with ray_engine.ray_session():
        assert ray.settings["backend_level"] == "debug"
    assert os.environ["RAY_BACKEND_LOG_LEVEL"] == "debug"


def test_the_tasks_ray_retries_are_not_printed_on_stdout(monkeypatch):
    """An actor of the pool failing in its constructor: the driver's core worker printed each
    retry of its task, traceback and all, on stdout (where predict's result line goes). The
    setting is the session's own; one the user set stands."""
    from shoprel.predict import ray_engine

    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.delenv(RETRY_ERRORS, raising=False)
    with ray_engine.ray_session():
        assert ray.settings["retry_errors"] == "0"
    assert RETRY_ERRORS not in os.environ
    monkeypatch.setenv(RETRY_ERRORS, "1")
    with ray_engine.ray_session():
        assert ray.settings["retry_errors"] == "1"
    assert os.environ[RETRY_ERRORS] == "1"


@pytest.mark.parametrize("address", [None, "auto"])
def test_ray_starts_with_its_output_redirected_whatever_the_user_set(monkeypatch, address):
    """RAY_LOG_TO_STDERR=1 left the processes ray.init starts writing on the command's stdout;
    Ray starts without it, logging to the files the error line names. The user's setting is
    given back."""
    from shoprel.predict import ray_engine

    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setattr(ray_engine, "check_reachable", lambda address: None)
    monkeypatch.setenv("RAY_LOG_TO_STDERR", "1")
    with ray_engine.ray_session(address):
        assert ray.settings["log_to_stderr"] is None
    assert os.environ["RAY_LOG_TO_STDERR"] == "1"


class FakeRayThatCannotStart(FakeRay):
    def init(self, **kwargs):
        raise RuntimeError("Failed to start the GCS server.\nSee the logs for more.")


def test_ray_that_cannot_start_is_one_line_naming_ray_and_its_logs(monkeypatch):
    """ray.init's own failure came out as its traceback: the CLI says ShoprelErrors only."""
    from shoprel.errors import EngineError
    from shoprel.predict import ray_engine

    monkeypatch.setitem(sys.modules, "ray", FakeRayThatCannotStart())
    monkeypatch.setenv("RAY_TMPDIR", "/scratch")
    with pytest.raises(EngineError) as raised, ray_engine.ray_session():
        pass
    assert str(raised.value) == (
        "Ray could not start a local instance (RuntimeError: Failed to start the GCS server. "
        "See the logs for more.); Ray's logs: /scratch/ray/session_latest/logs/")
    assert isinstance(raised.value.__cause__, RuntimeError)  # kept for whoever debugs it


class ActorDiedError(Exception):
    """Stands for Ray's own (ray.exceptions), told by its module."""

    __module__ = "ray.exceptions"


@pytest.mark.parametrize("error, ray_s", [(ActorDiedError("The actor died unexpectedly"), True),
                                          (TypeError("a bug of ours"), False)])
def test_an_actor_dying_without_a_shoprel_cause_is_one_error_line(tmp_path, monkeypatch,
                                                                  trained_runs, error, ray_s):
    """An actor dead for a reason of Ray's (or a full object store) re-raised Ray's exception:
    the user got a traceback. An error of any other kind is a bug and stays a traceback."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.demo import demo_file
    from shoprel.predict import ray_engine

    def failing(*args, **kwargs):
        raise error
        yield

    monkeypatch.setitem(sys.modules, "ray", FakeRay())
    monkeypatch.setattr(ray_engine, "_scored_batches", failing)
    monkeypatch.delenv("RAY_TMPDIR", raising=False)
    monkeypatch.delenv("TMPDIR", raising=False)
    rows = tmp_path / "rows_QC.jsonl"
    rows.write_text("".join(demo_file("QC").read_text(encoding="utf-8").splitlines(True)[:5]))
    out = tmp_path / "out.csv"
    done = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(rows), "--out",
                                     str(out), "--engine", "ray", "--quiet"])
    if not ray_s:
        assert done.exception is error
        return
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == ("error: Ray failed while scoring (ActorDiedError: The actor died "
                           "unexpectedly); Ray's logs: /tmp/ray/session_latest/logs/\n")
    assert not out.exists()


class FakeRayWithSession(FakeRay):
    """ray.init's context names the session it started, as Ray's RayContext does."""

    def init(self, **kwargs):
        super().init(**kwargs)
        return SimpleNamespace(address_info={"session_dir": "/data/ray/session_2026-12-05_1"})


def test_a_failure_while_scoring_names_the_logs_of_the_session_it_started(tmp_path, monkeypatch,
                                                                          trained_runs):
    """The error line named TEMP/ray/session_latest/logs/: the session last started under that
    folder, another command's where two run at once (or none on a cluster started with `ray
    start --temp-dir`). It now names the session's own, as ray.init says it."""
    from click.testing import CliRunner

    from shoprel.cli import main
    from shoprel.demo import demo_file
    from shoprel.predict import ray_engine

    def failing(*args, **kwargs):
        raise ActorDiedError("The actor died unexpectedly")
        yield

    monkeypatch.setitem(sys.modules, "ray", FakeRayWithSession())
    monkeypatch.setattr(ray_engine, "_scored_batches", failing)
    monkeypatch.setenv("RAY_TMPDIR", "/scratch")
    rows = tmp_path / "rows_QC.jsonl"
    rows.write_text("".join(demo_file("QC").read_text(encoding="utf-8").splitlines(True)[:5]))
    done = CliRunner().invoke(main, ["predict", str(trained_runs["QC"]), str(rows), "--out",
                                     str(tmp_path / "out.csv"), "--engine", "ray", "--quiet"])
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == ("error: Ray failed while scoring (ActorDiedError: The actor died "
                           "unexpectedly); Ray's logs: /data/ray/session_2026-12-05_1/logs/\n")


@pytest.mark.parametrize(("platform", "logs"), [("linux", "/var/folders/x/T/ray"),
                                                ("darwin", "/tmp/ray")])
def test_ray_s_temporary_folder_is_found_as_ray_finds_it(monkeypatch, platform, logs):
    """Ray reads TMPDIR on Linux alone: macOS sets one for every user (/var/folders/...), which
    the error line of a Ray that could not start named, though Ray wrote under /tmp."""
    from shoprel.predict import ray_engine

    monkeypatch.delenv("RAY_TMPDIR", raising=False)
    monkeypatch.setenv("TMPDIR", "/var/folders/x/T")
    monkeypatch.setattr(sys, "platform", platform)
    assert ray_engine.ray_logs(None) == f"Ray's logs: {logs}/session_latest/logs/"
