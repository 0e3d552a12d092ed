"""OpenTelemetry, with an in-memory exporter: a request's span has the spans of its SQL
statements below it, `Db`'s and the sessions' alike. Without OTEL_* or SENTRY_DSN, no SDK
is imported (tests/test_operations.py); with SENTRY_DSN, errors reach Sentry (test_sentry.py).
"""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import column, select, table, text
from sqlalchemy.engine import make_url

from src.config import Settings
from src.database import Db, SessionDep
from src.main import create_app
from tests.utils import ancestors, running


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


async def test_a_sessions_statements_have_spans_below_the_request_without_parameters(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    app = create_app(settings, tracer_provider=provider)

    @app.get("/traced/session")
    async def read(session: SessionDep) -> str | None:
        value: str | None = await session.scalar(text("SELECT :word"), {"word": "s3cr3t"})
        return value

    async with running(app) as client:
        response = await client.get("/traced/session")
    assert response.json() == "s3cr3t"
    spans = list(exporter.get_finished_spans())
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    [statement] = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert statement.name == "SELECT"
    assert statement.attributes is not None
    system = make_url(settings.DATABASE_URL).get_backend_name()  # "sqlite", "postgresql"
    assert statement.attributes["db.system.name"] == system
    assert str(statement.attributes["db.query.text"]).startswith("SELECT ")
    assert "s3cr3t" not in str(statement.attributes)
    assert server in ancestors(statement, spans)


async def test_a_failed_statement_span_names_the_error_type_only(
    settings: Settings, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    app = create_app(settings, tracer_provider=provider)

    @app.get("/traced/failure")
    async def fail(db: Db) -> str:
        try:
            await db.all(select(column("id")).select_from(table("no_such_table")))
        except Exception as exc:  # the driver's own, whichever it is
            return type(exc).__name__
        return "no error"

    async with running(app) as client:
        error = (await client.get("/traced/failure")).json()
    assert error != "no error"
    [statement] = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.CLIENT]
    # A driver's message may quote values: neither the status nor an event carries it.
    assert statement.status.status_code is StatusCode.ERROR
    assert statement.status.description == error
    assert statement.events == ()
