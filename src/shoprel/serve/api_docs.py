"""The documentation routes: /docs (a page that loads nothing from the network), /openapi.json
(FastAPI's), and /redoc, which sends old links to /docs. They answer without the API key
(guards.OPEN_PATHS), as FastAPI's own pages do: a browser sends no Authorization header.

FastAPI's own Swagger UI and ReDoc pages are turned off (create_app passes docs_url=None,
redoc_url=None): both load their scripts from a CDN, so a server without internet showed a
blank page, and one with internet had its users' browsers fetch third-party code. The
curl command under each route here does what Swagger's "Try it out" did.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shoprel.serve.docs_page import render_docs
from shoprel.serve.guards import DOCS_PATH, REDOC_PATH, SCHEMA_PATH, needs_key
from shoprel.serve.settings import ServeSettings

DOC_ROUTES = {DOCS_PATH: "this page", SCHEMA_PATH: "the OpenAPI schema this page is made from",
              REDOC_PATH: "redirects to this page"}
# the browser may load nothing but the page's inline style sheet
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def add_docs(app: FastAPI, settings: ServeSettings) -> None:
    """Serve the docs page and the /redoc redirect on `app` (its schema at SCHEMA_PATH)."""

    # HEAD as well, as FastAPI's own doc pages answered it (a link checker's or `curl -I`)
    @app.api_route(DOCS_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        # the schema's operations say whether they need the key (key_scheme.py); these
        # routes, outside it, ask needs_key as the guard does
        key_paths = [p for p in DOC_ROUTES if needs_key(p, settings.api_key)]
        page = render_docs(app.openapi(), str(request.base_url), DOC_ROUTES, key_paths)
        return HTMLResponse(page, headers={"Content-Security-Policy": POLICY})

    @app.api_route(REDOC_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def redoc() -> RedirectResponse:
        return RedirectResponse(DOCS_PATH.lstrip("/"))
