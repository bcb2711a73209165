"""The server's log lines stay short whatever a client sends.

uvicorn's access line carries the request path and query as they came (up to h11's 16 KiB
request-head limit), and a message may quote a header or a text; one long URL per request
would fill the log. A filter on every handler bounds each string argument of a record (the
access line's path is one) and a message logged without arguments.
"""

from __future__ import annotations

import copy
import logging

MAX_LOGGED_CHARS = 200  # of one value in a log line (a path, a header, a text)
MAX_MESSAGE_CHARS = 1000  # of a message logged without arguments


def bounded(value, limit: int = MAX_LOGGED_CHARS):
    """The value cut to `limit` characters (or bytes) with a marker saying how much was cut."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}...[{len(value) - limit} more chars]"
    if isinstance(value, bytes) and len(value) > limit:
        return value[:limit] + f"...[{len(value) - limit} more bytes]".encode()
    return value


class BoundedValues(logging.Filter):
    """Bounds the string arguments of every record, and an argument-free message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.args:
            if isinstance(record.msg, str):
                record.msg = bounded(record.msg, MAX_MESSAGE_CHARS)
        elif isinstance(record.args, tuple):
            record.args = tuple(bounded(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: bounded(v) for k, v in record.args.items()}
        return True


def log_config(log_level: str = "info") -> dict:
    """uvicorn's logging setup with the bound on both of its handlers; shoprel's own loggers
    write through the same (bounded) handler as uvicorn's messages."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"bounded": {"()": f"{__name__}.BoundedValues"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["bounded"]
    config["loggers"]["shoprel"] = {"handlers": ["default"], "level": log_level.upper(),
                                    "propagate": False}
    return config
