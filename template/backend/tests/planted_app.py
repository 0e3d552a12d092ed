"""The app with routes planted for tests/test_operations.py and test_sentry.py: never part
of src/."""

import asyncio
import logging
import os
import sys
import time

from opentelemetry import trace
from pydantic import BaseModel

from src.main import create_app

app = create_app()
logger = logging.getLogger(__name__)


@app.get("/planted/blocking")
async def blocking() -> dict[str, str]:
    logger.info("about to block the event loop")
    time.sleep(0.3)  # noqa: ASYNC251 - the mistake the loop-lag probe must name
    return {"status": "done"}


@app.get("/planted/slow")
async def slow() -> dict[str, str]:
    await asyncio.sleep(1)
    return {"status": "done"}


@app.get("/planted/pid")
async def pid() -> dict[str, int]:
    return {"pid": os.getpid()}  # fastapi run without --workers: the server's own


@app.get("/planted/telemetry")
async def telemetry() -> dict[str, object]:
    """Whether traces are recorded, which OTLP exporters and instrumentations are loaded,
    whether Sentry is on.

    (Libraries load SDK modules of their own: `fastapi run` imports sentry_sdk for
    fastapi-cloud-cli, redis-py the OpenTelemetry SDK. Neither switches anything on.)
    """
    sentry = sys.modules.get("sentry_sdk")
    return {
        "tracer_provider": type(trace.get_tracer_provider()).__name__,
        "exporters": sorted(m for m in sys.modules if m.startswith("opentelemetry.exporter")),
        "instrumentations": sorted(
            m for m in sys.modules if m.startswith("opentelemetry.instrumentation")
        ),
        "sentry_active": sentry is not None and sentry.get_client().is_active(),
    }


class LogIn(BaseModel):
    email: str
    password: str


@app.post("/planted/error")
async def error(data: LogIn) -> None:
    """Fails with a password in its arguments, as a login route might."""
    raise RuntimeError("planted failure")
