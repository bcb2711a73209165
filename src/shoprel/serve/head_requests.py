"""HEAD is answered wherever GET is: a monitor that checks /healthz or /readyz with HEAD (or
`curl -I`) read 405 from a live server and called it down.

FastAPI's routes answer only the methods they name, and HTTP asks every server to answer HEAD
where it answers GET (RFC 9110, 9.1). The app is asked as for a GET; uvicorn then sends the
answer's status and headers without its body, as it does for any HEAD.
"""

from __future__ import annotations


class HeadAsGet:
    """Pure ASGI middleware: a HEAD request reaches the app as a GET (the server's own scope,
    which leaves out the body of a HEAD answer, still says HEAD)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "HEAD":
            scope = {**scope, "method": "GET"}
        return await self.app(scope, receive, send)
