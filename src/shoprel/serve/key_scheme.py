"""The API key in the OpenAPI schema as a standard bearer security scheme, so that client
generators (openapi-generator, openapi-python-client) and schema tools (schemathesis) know which
operations need it; the 401 each such route lists said so to a reader only.

The operations that carry it are those the guard keeps behind the key: guards.needs_key
decides, for the guard, this schema and the /docs page (which reads it from here) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from shoprel.serve.guards import needs_key
from shoprel.serve.settings import ServeSettings

KEY_SCHEME = "APIKey"
# a path item's operations; its other fields (parameters, summary) take no requirement
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# says where the key comes from, never the key: the schema answers without it
SCHEME = {"type": "http", "scheme": "bearer",
          "description": "The key the server was started with (`shoprel serve --api-key KEY` or "
                         "$SHOPREL_API_KEY), sent as 'Authorization: Bearer KEY'."}


def declare_key(schema: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    """`schema` with the key's scheme and, on each operation needs_key protects, a requirement
    of it (changed in place); without a key, unchanged."""
    if not api_key:
        return schema
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[KEY_SCHEME] = \
        dict(SCHEME)
    for path, item in schema.get("paths", {}).items():
        if needs_key(path, api_key):
            for method in item.keys() & METHODS:
                item[method]["security"] = [{KEY_SCHEME: []}]
    return schema


def publish_key_scheme(app: FastAPI, settings: ServeSettings) -> None:
    """Make `app.openapi()` (what /openapi.json and /docs read) declare the key, once."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # FastAPI's builds and keeps it on its first call
            app.openapi_schema = declare_key(build(), settings.api_key)
        return app.openapi_schema

    app.openapi = openapi
