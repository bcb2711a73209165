"""Reject oversized bodies before they are parsed, whether or not Content-Length is honest."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from shoprel.serve.settings import ServeSettings


def error_body(message: str) -> bytes:
    """The body of an error answer in the API's {error, detail} shape, rendered by the
    JSONResponse that the app's own handlers answer with, so that a 413, a 401 or a 408 is
    written byte for byte as a 422 is (json.dumps wrote `{"error": "...", ...}` with spaces,
    and a non-ASCII character escaped)."""
    return JSONResponse({"error": message, "detail": []}).body


async def send_error(send, status: int, message: str, headers=()) -> None:
    """An error answer in the API's {error, detail} shape, from ASGI middleware."""
    body = error_body(message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Pure ASGI middleware: buffers the body up to the limit, answers 413 beyond it."""

    def __init__(self, app, settings: ServeSettings):
        self.app = app
        self.limit = settings.max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = f"request body is larger than the limit of {self.limit} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.limit:
                    return await send_error(send, 413, too_large)
            except ValueError:
                return await send_error(send, 400, "Content-Length is not a number")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await send_error(send, 413, too_large)
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)
