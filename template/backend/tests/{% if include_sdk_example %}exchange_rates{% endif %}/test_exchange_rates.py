"""The blocking SDK example against a real local HTTP server standing in for the vendor."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from src.concurrency import ThreadBudget
from src.config import Settings
from src.exchange_rates.client import RatesClient
from src.exchange_rates.config import exchange_rates_settings
from src.exchange_rates.dependencies import get_rates_budget, get_rates_client
from src.main import create_app
from tests.utils import ancestors, running, serving

RATES = {"EUR": {"USD": 1.08, "GBP": 0.85}}


class Upstream(ThreadingHTTPServer):
    """The exchange-rates service: knows EUR, fails on XXX, answers junk on BAD, hangs on HNG
    until released, and on TRK trickles its answer one byte each 0.2 s."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.release = threading.Event()
        self.traceparents: list[str | None] = []  # the W3C header of each request

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class Handler(BaseHTTPRequestHandler):
    server: Upstream

    def do_GET(self) -> None:
        self.server.traceparents.append(self.headers.get("traceparent"))
        base = parse_qs(urlsplit(self.path).query)["base"][0]
        if base == "HNG":
            self.server.release.wait(timeout=10)
        if base == "TRK":
            self.trickle()
        elif base == "BAD":
            self.send_json(HTTPStatus.OK, {"rates": "none today"})
        elif base == "XXX":
            self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "boom"})
        elif base in RATES:
            self.send_json(
                HTTPStatus.OK, {"base": base, "date": "2026-11-24", "rates": RATES[base]}
            )
        else:
            self.send_json(HTTPStatus.NOT_FOUND, {"message": "not found"})

    def send_json(self, status: HTTPStatus, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def trickle(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "50")
        self.end_headers()
        for _ in range(50):  # 10 s in all, unless the test ends first
            if self.server.release.wait(timeout=0.2):
                return
            self.wfile.write(b" ")
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with serving(Upstream()) as server:
        yield server
        server.release.set()  # a trickling answer stops, so shutting down does not wait


@pytest.fixture
def sdk(app: FastAPI, upstream: Upstream) -> Iterator[RatesClient]:
    client = RatesClient(upstream.url, deadline=5)
    budget = ThreadBudget("Exchange rates service", max_concurrency=2, timeout=0.5)
    app.dependency_overrides[get_rates_client] = lambda: client
    app.dependency_overrides[get_rates_budget] = lambda: budget
    yield client
    client.close()


async def test_latest_rates(client: httpx2.AsyncClient, sdk: RatesClient) -> None:
    response = await client.get("/exchange-rates/EUR")
    assert response.status_code == 200
    assert response.json() == {"base": "EUR", "date": "2026-11-24", "rates": RATES["EUR"]}


async def test_a_call_has_a_client_span_whose_context_reaches_the_vendor(
    settings: Settings,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    upstream: Upstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exchange_rates_settings, "API_URL", upstream.url)  # read by the lifespan
    app = create_app(settings, tracer_provider=provider)
    async with running(app) as client:
        response = await client.get("/exchange-rates/EUR")
    assert response.status_code == 200
    spans = list(exporter.get_finished_spans())
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    [call] = [span for span in spans if span.name == "GET" and span.kind is SpanKind.CLIENT]
    assert server in ancestors(call, spans)
    assert call.attributes is not None
    assert call.attributes["http.response.status_code"] == 200
    assert call.attributes["url.full"] == f"{upstream.url}/latest"  # without its query
    # The vendor received the call's own context: its spans would join this trace.
    context = call.get_span_context()
    assert context is not None
    traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert upstream.traceparents == [traceparent]


@pytest.mark.parametrize(
    ("currency", "status", "code"),
    [
        ("JPY", 404, "currency_not_found"),
        ("XXX", 502, "exchange_rates_unavailable"),
        ("BAD", 502, "exchange_rates_unavailable"),
        ("HNG", 504, "external_service_timeout"),
        ("eur", 422, "validation_error"),
    ],
)
async def test_errors_map_to_documented_statuses(
    client: httpx2.AsyncClient, sdk: RatesClient, currency: str, status: int, code: str
) -> None:
    response = await client.get(f"/exchange-rates/{currency}")
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_unreachable_service_is_502(client: httpx2.AsyncClient, app: FastAPI) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = RatesClient(f"http://127.0.0.1:{port}", deadline=5)
    app.dependency_overrides[get_rates_client] = lambda: dead
    response = await client.get("/exchange-rates/EUR")
    dead.close()
    assert (response.status_code, response.json()["code"]) == (502, "exchange_rates_unavailable")


async def test_a_trickling_vendor_frees_its_slot_at_the_client_deadline(
    client: httpx2.AsyncClient, app: FastAPI, upstream: Upstream
) -> None:
    # One slot; the client's own total deadline (0.6 s) below the budget's (3 s).
    sdk = RatesClient(upstream.url, deadline=0.6)
    budget = ThreadBudget("Exchange rates service", max_concurrency=1, timeout=3)
    app.dependency_overrides[get_rates_client] = lambda: sdk
    app.dependency_overrides[get_rates_budget] = lambda: budget
    started = time.monotonic()
    response = await client.get("/exchange-rates/TRK")
    assert time.monotonic() - started < 1.5
    assert response.json() == {
        "code": "external_service_timeout",
        "message": "Exchange rates service timed out.",
        "details": [],
        "request_id": response.headers["x-request-id"],
    }
    assert budget.limiter.borrowed_tokens == 0  # the thread returned with the answer
    response = await client.get("/exchange-rates/EUR")  # the next caller reaches the vendor
    assert response.status_code == 200
    sdk.close()


async def test_a_5xx_is_logged_once_with_its_cause(
    client: httpx2.AsyncClient, sdk: RatesClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/exchange-rates/XXX?token=secret-value")
    assert response.status_code == 502
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage() == (
        "GET /exchange-rates/XXX answered 502: ExchangeRatesUnavailableError"
    )
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert type(record.exc_info[1].__cause__).__name__ == "RatesClientError"
    assert "secret-value" not in caplog.text
