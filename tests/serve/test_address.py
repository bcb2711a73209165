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
                                              rf"127.0.0.1:{port} \(already in use\)"):
            check_address("127.0.0.1", port)
    check_address("127.0.0.1", port)  # free again
    check_address("127.0.0.1", 0)


def test_a_host_that_does_not_resolve_is_one_line():
    with pytest.raises(ConfigError, match="--host 'no such host.invalid': not an address"):
        check_address("no such host.invalid", 8000)
