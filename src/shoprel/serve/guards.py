"""Who may call the API and with what: a URL of sane length, a Bearer key and a JSON content
type, checked before any body is read or parsed (pure ASGI, like the body-size limit)."""

from __future__ import annotations

import hmac
import ipaddress

from shoprel.serve.limits import send_error
from shoprel.serve.settings import ServeSettings

DOCS_PATH, SCHEMA_PATH, REDOC_PATH = "/docs", "/openapi.json", "/redoc"
# probes answer without a key: a load balancer or orchestrator has none to send (/readyz names
# the run's model only to a request that sends it); so does the documentation, as a browser
# opens it without one: it holds the API's shape and this server's limits, nothing of the run
# (create_app leaves its name out), its data or the key
OPEN_PATHS = frozenset({"/healthz", "/readyz", DOCS_PATH, SCHEMA_PATH, REDOC_PATH})
JSON_BODY_PATHS = frozenset({"/v1/score"})
# the scope extension GuardedHTTPProtocol puts on a request that comes past --max-connections:
# the connections this process serves, which the 503 names
OVER_CAPACITY = "shoprel.over_capacity"
# no route has a longer URL; h11 itself refuses request heads beyond 16 KiB with a 400
MAX_URL_BYTES = 2048


def needs_key(path: str, api_key: str | bytes | None) -> bool:
    """Whether a request to `path` must send the API key: the guard asks, and the schema and
    /docs page say so of the same routes."""
    return bool(api_key) and path not in OPEN_PATHS


def sends_key(authorization: bytes | None, key: bytes) -> bool:
    """Whether an Authorization header's value is `Bearer KEY` for this key (the scheme's
    case aside), compared in constant time."""
    scheme, _, token = (authorization or b"").partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), key)


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None


def is_json(content_type: bytes | None) -> bool:
    """application/json or any +json type, parameters (charset) allowed."""
    if not content_type:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/")
                                            and media.endswith(b"+json"))


def exposure_warning(host: str, api_key: str | None) -> str | None:
    """A warning line when the server listens beyond this machine without a key."""
    if api_key:
        return None
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host == "localhost"
    if local:
        return None
    return (f"warning: listening on {host} without an API key: anyone who can reach this port "
            "can use the model (set --api-key or SHOPREL_API_KEY)")


def over_capacity_message(connections: str) -> str:
    """A full server's 503 error (connections: the number served, or what stands for it)."""
    return (f"the server's connections are all taken (--max-connections {connections}); "
            "try again shortly")


class RequestGuards:
    """503 for a request that came past the connections this process serves (connections.py
    marks it), its connection closed; 414 for a URL longer than any route's; 401 without the
    right `Authorization: Bearer KEY` (when a key is set); 415 for a scoring request whose
    body is not JSON."""

    def __init__(self, app, settings: ServeSettings):
        self.app = app
        self.key = settings.api_key.encode() if settings.api_key else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        served = (scope.get("extensions") or {}).get(OVER_CAPACITY)
        if served is not None:
            return await send_error(send, 503, over_capacity_message(f"{served:,}"),
                                    [(b"connection", b"close")])
        path = scope.get("path", "")
        url_bytes = len(scope.get("raw_path") or path.encode()) + len(scope.get("query_string")
                                                                       or b"")
        if url_bytes > MAX_URL_BYTES:
            return await send_error(send, 414, f"the URL is {url_bytes} bytes long; the "
                                    f"server's limit is {MAX_URL_BYTES}")
        if needs_key(path, self.key):
            if not sends_key(_header(scope, b"authorization"), self.key):
                return await send_error(send, 401, "missing or wrong API key (send "
                                        "'Authorization: Bearer KEY')",
                                        [(b"www-authenticate", b"Bearer")])
        if scope.get("method") == "POST" and path in JSON_BODY_PATHS:
            if not is_json(_header(scope, b"content-type")):
                return await send_error(send, 415, "the body must be JSON (Content-Type: "
                                        "application/json)")
            encoding = (_header(scope, b"content-encoding") or b"identity").strip().lower()
            if encoding != b"identity":  # a compressed body would read as malformed JSON
                return await send_error(send, 415, f"Content-Encoding "
                                        f"{encoding.decode('latin-1')!r} is not supported: "
                                        "send the JSON uncompressed")
        return await self.app(scope, receive, send)
