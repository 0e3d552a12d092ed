"""Request ids, the registry of requests in flight (read by src/loop_lag.py), and the
middleware that does each request's bookkeeping: id, access line, metrics.

Every request gets an id: the client's X-Request-ID when it is 1-64 characters of
[A-Za-z0-9._-] (a proxy's id ties its logs to ours), a new one otherwise. The id is
returned in X-Request-ID on every response, errors and 500s included, carried by every
log line of the request (src/logs.py) and by the error body's `request_id`.
"""

import logging
import random
import re
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.headers import header_value

if TYPE_CHECKING:
    from src.logs import AccessLog  # src.logs imports this module
    from src.metrics import Metrics  # imported only when metrics are on (src/main.py)

logger = logging.getLogger(__name__)

# The id of the request this code runs for; None outside any request.
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_VALID_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def route_path(scope: Scope) -> str:
    """The route's template (/posts/{post_id}) once routing matched it.

    Metrics and logs use the template: one series per route, no ids or tokens, and a
    client requesting random paths adds no series."""
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "(unmatched)"


class InFlight:
    """The requests running now, and those that finished since the loop-lag probe last ran:
    a request that blocked the loop has often finished by the time the probe wakes up."""

    def __init__(self) -> None:
        self.running: dict[int, Scope] = {}
        # (method, route) only: keeping whole scopes would keep their objects from the
        # young garbage-collector generation (measured: /health at half its throughput).
        self.finished: list[tuple[str, str]] = []

    def names(self) -> list[str]:
        """'METHOD /route' of each request running now or finished since `forget_finished`."""
        running = [(scope["method"], route_path(scope)) for scope in self.running.values()]
        return sorted({f"{method} {route}" for method, route in [*self.finished, *running]})

    def forget_finished(self) -> None:
        self.finished = []


class RequestIdMiddleware:
    """The outermost layer of the app: it wraps Starlette's 500 handler too (src/main.py)."""

    def __init__(
        self,
        app: ASGIApp,
        in_flight: InFlight,
        *,
        access_log: "AccessLog | None",
        metrics: "Metrics | None",
    ) -> None:
        self.app = app
        self.in_flight = in_flight
        self.access_log = access_log
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 128 random bits: unique enough, and 20x cheaper than uuid4 (no system call);
        # `random` is reseeded in each forked worker.
        request_id = _client_id(scope) or f"{random.getrandbits(128):032x}"
        header = (b"x-request-id", request_id.encode())
        status = 500  # what the client gets when no response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = current_request_id.set(request_id)
        key = id(scope)
        self.in_flight.running[key] = scope
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette has answered 500 already (the error body and X-Request-ID sent)
            # and re-raised: logged here, where the line still carries the request id.
            logger.exception("%s %s failed", scope["method"], route_path(scope))
        finally:
            seconds = time.perf_counter() - started
            method, route = scope["method"], route_path(scope)
            if self.access_log is not None:
                self.access_log.write(method, scope["path"], route, status, seconds, request_id)
            if self.metrics is not None:
                self.metrics.request_finished(method, route, status, seconds)
            del self.in_flight.running[key]
            self.in_flight.finished.append((method, route))
            current_request_id.reset(token)


def _client_id(scope: Scope) -> str | None:
    value = header_value(scope, b"x-request-id")
    return value.decode() if _VALID_ID.fullmatch(value) else None
