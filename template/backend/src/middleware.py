"""Middleware that rejects a request before any route runs, in the one error schema.

Pure ASGI classes: they see each request before the body is read, and add no task or
thread per request (BaseHTTPMiddleware would).
"""

from functools import lru_cache
from urllib.parse import urlsplit

from fastapi.middleware.cors import CORSMiddleware as StarletteCORSMiddleware
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.exceptions import (
    CORSRejectedError,
    InvalidHostError,
    RequestTooLargeError,
    error_response,
)
from src.headers import header_value


class TrustedHostMiddleware:
    """Answers only the hosts listed (`*.example.com` matches subdomains, `*` any host)."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = [host.lower() for host in allowed_hosts]
        # A client sends the same few Host headers again and again: each one is judged
        # once (a bounded cache, so random ones cannot grow it).
        self.allows = lru_cache(maxsize=256)(self._allows)

    def _allows(self, host_header: bytes) -> bool:
        try:
            host = urlsplit(f"//{host_header.decode('latin-1')}").hostname or ""
        except ValueError:  # an unbalanced IPv6 bracket
            return False
        return any(
            pattern == "*"
            or host == pattern.strip("[]")
            or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"} or self.allows(header_value(scope, b"host")):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
        else:
            await error_response(InvalidHostError())(scope, receive, send)


class CORSMiddleware(StarletteCORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error schema."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # Keep the CORS headers (Vary, Allow-Methods...), not the plain-text body's.
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        return error_response(CORSRejectedError(), headers)


class BodyTooLargeError(HTTPException):
    """Raised while the body is read; FastAPI passes HTTPExceptions through to the handler."""

    def __init__(self) -> None:
        super().__init__(RequestTooLargeError.status_code, RequestTooLargeError.message)


class BodyLimitMiddleware:
    """413 for a body over `max_bytes`: at once from Content-Length, or while chunks stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not header_value(scope, b"transfer-encoding"):
            # The body is Content-Length bytes long (none without it): the server reads no more.
            length = header_value(scope, b"content-length")
            if length.isdigit() and int(length) > self.max_bytes:
                await error_response(RequestTooLargeError())(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        # Chunked: counted as it streams in.
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLargeError
            return message

        await self.app(scope, limited_receive, send)
