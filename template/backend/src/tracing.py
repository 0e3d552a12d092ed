"""Tracing (OpenTelemetry) and error tracking (Sentry), both off until configured.

- OpenTelemetry: FastAPI's own telemetry (a span per request, with spans for its
  dependencies, endpoint and serialization) exports over OTLP when the environment sets
  OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), with the other
  standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER...). Each statement of
  `Db` adds a span under the request's. FastAPI flushes and closes its exporters when the
  lifespan ends.
- Sentry: on when SENTRY_DSN is set; each error carries the request id as a tag.

With neither configured, neither SDK is imported: start-up time stays as it was.
"""

from typing import Any

from opentelemetry import trace  # the API only, which FastAPI imports anyway

from src.config import Settings
from src.request_id import current_request_id


def statement_tracer(provider: trace.TracerProvider | None) -> trace.Tracer | None:
    """The tracer of Db's statement spans; None when nothing would record them."""
    provider = provider or trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None  # no SDK set up: a span would cost time and go nowhere
    return provider.get_tracer("src.statements")


def start_sentry(settings: Settings) -> None:
    import sentry_sdk  # here, only when configured: importing it costs start-up time

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.ENVIRONMENT.value,
        release=settings.APP_VERSION,
        send_default_pii=False,  # no user addresses, cookies or headers
        before_send=_tag_request_id,
    )


def _tag_request_id(event: Any, _hint: Any) -> Any:
    request_id = current_request_id.get()
    if request_id is not None:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
