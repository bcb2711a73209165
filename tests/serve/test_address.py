"""serve checks its address before anything starts: one error line, not uvicorn's log."""

import socket

import pytest

from shoprel.errors import ConfigError
from shoprel.serve.server import check_address


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"--port {port}: cannot listen on "
                                              rf"127.0.0.1:{port} \(already in use\); stop what "
                                              r"listens there, or give another --port \(0: any "
                                              r"free one\)$"):
            check_address("127.0.0.1", port)
    check_address("127.0.0.1", port)  # free again
    check_address("127.0.0.1", 0)


def test_a_host_that_does_not_resolve_is_one_line():
    with pytest.raises(ConfigError, match="--host 'no such host.invalid': not an address"):
        check_address("no such host.invalid", 8000)


def test_an_address_of_another_machine_names_the_host():
    """8.8.8.8 resolves but is no address of this machine: the host is at fault, not the port."""
    with pytest.raises(ConfigError, match=r"^--host 8\.8\.8\.8: cannot listen on 8\.8\.8\.8:8713 "
                                              r"\(.*\); give an address of this machine"):
        check_address("8.8.8.8", 8713)


def test_no_exposure_warning_before_a_bad_address_fails(trained_runs):
    """The 'listening without an API key' warning is for a server that will listen."""
    from click.testing import CliRunner

    from shoprel.cli.serve import serve

    result = CliRunner().invoke(serve, [str(trained_runs["QC"]), "--host", "999.1.1.1"])
    assert isinstance(result.exception, ConfigError)
    assert "not an address" in str(result.exception)
    assert "without an API key" not in result.output
