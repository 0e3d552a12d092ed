"""A blocking (sync) SDK for the Frankfurter exchange-rates API.

It stands for any vendor SDK without async support (boto3, stripe, ...): every
method blocks its thread, so routes call it through src.concurrency.run_sync.
"""

import json
import time
from typing import Any

import httpx2
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Tracer


class RatesClientError(Exception):
    """The service failed or could not be reached."""


class UnknownCurrencyError(RatesClientError):
    """The service does not know the requested currency."""


class RatesTimeoutError(RatesClientError):
    """The service did not answer within the client's deadline."""


class RatesClient:
    """`deadline`: seconds one call may take in total, the body included.

    httpx's timeouts count per network operation: a server that trickles one byte at a
    time never trips them, so the body is read in chunks against the deadline.

    `tracer`: a client span per call, when traces are recorded (src/tracing.py).
    """

    def __init__(self, base_url: str, *, deadline: float, tracer: Tracer | None = None) -> None:
        self._deadline = deadline
        transport = _TracedTransport(tracer) if tracer is not None else None
        self._http = httpx2.Client(base_url=base_url, timeout=deadline / 2, transport=transport)

    def latest(self, base: str) -> dict[str, Any]:
        expires = time.monotonic() + self._deadline
        try:
            with self._http.stream("GET", "/latest", params={"base": base}) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if time.monotonic() > expires:
                        raise RatesTimeoutError(f"no full answer within {self._deadline:g} s")
        except httpx2.TimeoutException as exc:
            raise RatesTimeoutError(str(exc)) from exc
        except httpx2.HTTPError as exc:
            raise RatesClientError(str(exc)) from exc
        if response.status_code == httpx2.codes.NOT_FOUND:
            raise UnknownCurrencyError(base)
        if response.is_error:
            raise RatesClientError(f"HTTP {response.status_code}")
        try:
            payload: dict[str, Any] = json.loads(body)
        except ValueError as exc:
            raise RatesClientError("the answer is not JSON") from exc
        return payload

    def close(self) -> None:
        self._http.close()


class _TracedTransport(httpx2.HTTPTransport):
    """A client span per request, its context sent along (W3C traceparent): the vendor's
    own traces, if it keeps any, join the caller's."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self._tracer = tracer

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        attributes = {
            "http.request.method": request.method,
            "url.full": str(request.url.copy_with(query=None)),  # the query may name a user
        }
        with self._tracer.start_as_current_span(
            request.method, kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            propagate.inject(request.headers)
            response = super().handle_request(request)
            span.set_attribute("http.response.status_code", response.status_code)
            return response
