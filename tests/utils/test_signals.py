"""The CLI turns SIGTERM into KeyboardInterrupt while a command runs, and gives the caller's
handler back when it is invoked in-process (tests, `main(standalone_mode=False)`)."""

from __future__ import annotations

import signal
import threading

import click
import pytest
from click.testing import CliRunner

from shoprel.cli import main
from shoprel.errors import ConfigError, Interrupted
from shoprel.utils import signals


def _callers_handler(signum, frame):  # a handler of the program that calls shoprel
    pass


@pytest.fixture
def probe():
    """A command added to `main` for the test: records the SIGTERM handler it runs under."""
    seen = []

    @click.command("signal-probe")
    @click.option("--fail", is_flag=True)
    @click.option("--interrupt", is_flag=True)
    @click.option("--terminate", is_flag=True)
    @click.option("--terminate-caught", is_flag=True)
    @click.option("--terminate-noted", is_flag=True)
    def command(fail, interrupt, terminate, terminate_caught, terminate_noted):
        seen.append(signal.getsignal(signal.SIGTERM))
        if fail:
            raise ConfigError("probe: asked to fail")
        if terminate_caught:  # a SIGTERM's interrupt handled, the command carries on
            try:
                signal.raise_signal(signal.SIGTERM)
            except KeyboardInterrupt:
                pass
        if terminate_noted:  # as index does: its own line on what it kept
            try:
                signal.raise_signal(signal.SIGTERM)
            except KeyboardInterrupt:
                raise Interrupted("interrupted: the probe kept its parts") from None
        if interrupt:
            raise KeyboardInterrupt
        if terminate:
            signal.raise_signal(signal.SIGTERM)

    main.add_command(command)
    before = signal.signal(signal.SIGTERM, _callers_handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGTERM, before)
        main.commands.pop("signal-probe")


def raises_interrupt(handler) -> bool:
    """Whether the handler turns SIGTERM into KeyboardInterrupt, as the command's does."""
    try:
        handler(signal.SIGTERM, None)
    except KeyboardInterrupt as stop:
        return str(stop) == f"stopped by signal {signal.SIGTERM}"
    return False


def test_in_process_invocation_restores_the_callers_handler(probe):
    main(["signal-probe"], standalone_mode=False)
    assert len(probe) == 1 and raises_interrupt(probe[0])  # installed while the command ran
    assert signal.getsignal(signal.SIGTERM) is _callers_handler


def test_the_handler_is_restored_after_a_failing_command(probe):
    result = CliRunner().invoke(main, ["signal-probe", "--fail"])
    assert result.exit_code == 2 and "probe: asked to fail" in result.stderr
    assert len(probe) == 1 and raises_interrupt(probe[0])
    assert signal.getsignal(signal.SIGTERM) is _callers_handler


def test_the_default_handler_comes_back_too(probe):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    main(["signal-probe"], standalone_mode=False)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_off_the_main_thread_nothing_is_installed(probe):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(signals.terminate_as_interrupt()))
    thread.start()
    thread.join()
    assert seen == [None] and signal.getsignal(signal.SIGTERM) is _callers_handler


def test_an_interrupted_command_says_what_became_of_its_files(probe):
    """Not click's bare "Aborted!" and exit 1: a line on the files, and 130 as shells use."""
    result = CliRunner().invoke(main, ["signal-probe", "--interrupt"])
    assert result.exit_code == 130
    assert "interrupted: what this command had not finished writing was removed" in \
        result.stderr
    assert signal.getsignal(signal.SIGTERM) is _callers_handler


def test_a_command_stopped_by_sigterm_exits_143(probe):
    """128 + 15, as a shell reports a process SIGTERM ended (and schedulers read it): it
    exited 130, Ctrl-C's. Ctrl-C after it is 130 again."""
    result = CliRunner().invoke(main, ["signal-probe", "--terminate"])
    assert result.exit_code == 143
    assert "interrupted: what this command had not finished writing was removed" in \
        result.stderr
    assert CliRunner().invoke(main, ["signal-probe", "--interrupt"]).exit_code == 130
    assert signal.getsignal(signal.SIGTERM) is _callers_handler


def test_ctrl_c_after_a_handled_sigterm_exits_130(probe):
    """A SIGTERM whose interrupt was caught and carried past is not what stopped the command:
    the Ctrl-C that did is 130 (it exited 143, the SIGTERM's record outliving its interrupt)."""
    result = CliRunner().invoke(main, ["signal-probe", "--terminate-caught", "--interrupt"])
    assert result.exit_code == 130


def test_a_command_that_notes_what_it_kept_after_sigterm_exits_143(probe):
    result = CliRunner().invoke(main, ["signal-probe", "--terminate-noted"])
    assert result.exit_code == 143
    assert result.stderr.strip() == "interrupted: the probe kept its parts"


@pytest.mark.parametrize("before", ["default", "ignored", "callers"])
def test_a_python_call_turns_sigterm_into_an_interrupt_only_where_it_is_at_its_default(before):
    """The API's calls' (stops_on_sigterm): SIGTERM at its default ends the process skipping every
    `finally`, so the call installs the interrupt for its length and puts the default back;
    a program that ignores SIGTERM or handles it itself keeps what it chose."""
    handler = {"default": signal.SIG_DFL, "ignored": signal.SIG_IGN,
               "callers": _callers_handler}[before]
    kept = signal.signal(signal.SIGTERM, handler)
    try:
        with signals.sigterm_at_default_as_interrupt():
            inside = signal.getsignal(signal.SIGTERM)
        after = signal.getsignal(signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt), signals.sigterm_at_default_as_interrupt():
            raise KeyboardInterrupt  # a stop inside gives the handler back too
        stopped = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, kept)
    assert raises_interrupt(inside) if before == "default" else inside == handler
    assert after == handler and stopped == handler


def test_a_python_call_off_the_main_thread_installs_nothing():
    kept = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    seen = []

    def call():
        with signals.sigterm_at_default_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    try:
        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
    finally:
        signal.signal(signal.SIGTERM, kept)
    assert seen == [signal.SIG_DFL]
