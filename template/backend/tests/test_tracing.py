"""OpenTelemetry, with an in-memory exporter: a request's span has its statements' spans
below it. Without OTEL_* or SENTRY_DSN, no SDK is imported (tests/test_operations.py)."""

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from src.config import Settings
from src.main import create_app
from tests.utils import running


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    by_id = {s.context.span_id: s for s in spans}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    # Built outside the event loop: the SDK detects its resource with blocking calls.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


async def test_a_request_span_has_its_statement_spans_below_it(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    app = create_app(settings, tracer_provider=provider)
    async with running(app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200
    spans = list(exporter.get_finished_spans())
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/health/ready"
    statements = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert statements
    for statement in statements:
        assert statement.attributes is not None
        assert str(statement.attributes["db.query.text"]).startswith("SELECT")
        assert server in ancestors(statement, spans)
