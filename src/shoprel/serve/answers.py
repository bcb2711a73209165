"""The answers other than its own that each route may give, as OpenAPI `responses`, so that
/openapi.json and the /docs page list what a client can get: each from the code path that
answers it (guards.py, limits.py, app.py's handlers), with this server's own limits.

The schema said nothing of --request-timeout (a 503 and its body), nor of the 414, 405 and
404 the server answers.
"""

from __future__ import annotations

import math

from shoprel.serve.connections import BODY_BYTES_A_SECOND, BODY_SECONDS, HEAD_SECONDS
from shoprel.serve.guards import MAX_URL_BYTES, needs_key, over_capacity_message
from shoprel.serve.schemas import ErrorResponse
from shoprel.serve.settings import ServeSettings

SCORE_PATH = "/v1/score"
# where an unknown path is said: OpenAPI describes routes, and a 404 belongs to none
NOT_FOUND_NOTE = ('A path not listed here answers 404 {"error": "Not Found", "detail": []}; '
                  'one listed with a trailing slash, 404 naming the path without it.')

# answers of the connection rather than of a route (serve/connections.py, guards.py)
CONNECTION_NOTE = (
    f'Any request: 408 {{"error": "the request\'s head did not arrive within {HEAD_SECONDS:g} s; '
    f'...", "detail": []}} where its head ({HEAD_SECONDS:g} s) or its body ({BODY_SECONDS:g} s '
    f"from the head, and a second for each {BODY_BYTES_A_SECOND // 1024} KiB of it that came) "
    f'is late; 503 {{"error": "{over_capacity_message("N")}", "detail": []}} past the '
    "connections it serves. Both close the connection.")


def not_found_message(path: str, route_paths: list[str]) -> str:
    """A 404's error: a route's path with a trailing slash names the route. Starlette
    redirected it (307), which many clients do not follow for a POST: `POST /v1/score/`
    went unscored."""
    bare = path.rstrip("/")
    if bare != path and bare in route_paths:
        return f"Not Found: {path} ends with a slash; the path is {bare}"
    return "Not Found"


def timeout_message(seconds: float) -> str:
    """The error of a request whose scoring outlasted --request-timeout: what the server
    answers and what the schema quotes."""
    return (f"scoring took longer than the server's limit of {seconds:g} s; try again or send "
            "fewer pairs")


def error(description: str) -> dict:
    return {"model": ErrorResponse, "description": description}


def route_errors(path: str, settings: ServeSettings) -> dict[int, dict]:
    """The error answers of the route at `path` (GET or POST), besides its own."""
    answers = {
        405: error("A method this route does not answer (e.g. GET /v1/score): the Allow "
                   "header names those it does."),
        414: error(f"The URL (path and query) is longer than {MAX_URL_BYTES:,} bytes, longer "
                   "than any route's."),
    }
    if needs_key(path, settings.api_key):
        answers[401] = error("The request did not send the server's API key as "
                             "'Authorization: Bearer KEY'.")
    return answers


def score_errors(settings: ServeSettings) -> dict[int, dict]:
    """/v1/score's error answers: route_errors' and those of reading and scoring its body."""
    if math.isinf(settings.request_timeout_s):
        timeout = "This server has no request timeout (--request-timeout inf)."
    else:
        timeout = (f"Scoring took longer than --request-timeout "
                   f"({settings.request_timeout_s:g} s): "
                   f'{{"error": "{timeout_message(settings.request_timeout_s)}", '
                   '"detail": []}.')
    return {
        **route_errors(SCORE_PATH, settings),
        400: {"description": "A request the HTTP layer cannot read: a Content-Length that is "
                             "not a number, or a request head over 16 KiB (its body may then "
                             "be plain text)."},
        413: error(f"The body is larger than the server's limit of "
                   f"{settings.max_body_bytes:,} bytes."),
        415: error("The body is not JSON (Content-Type), or it is compressed "
                   "(Content-Encoding)."),
        422: error("Malformed JSON (also a body that is not UTF-8 or nests too deeply), a "
                   "wrong or missing field, a key given twice in one object (the body's or "
                   "a pair's), or more pairs/characters than allowed."),
        500: error("The model failed on the request: 'internal error (its exception's "
                   "type)'; the server's log has the traceback."),
        503: error(f"The server is shutting down ('the server is shutting down'). {timeout}"),
    }
