"""A queued job runs in the trace of the request that queued it: the API's spans go to an
in-memory exporter, those of a real `celery worker` process (set up from OTEL_* as in
production) over OTLP to a local collector.

The worker listens to this run's queue only (tests/conftest.py sets CELERY_QUEUE).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from src.config import Settings
from src.main import create_app
from tests.utils import BACKEND, ancestors, running, serving


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP receiver of traces: keeps the spans it is sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Receiver)
        self.spans: list[Span] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class Receiver(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope in resource.scope_spans:
                self.server.spans.extend(scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def collector() -> Iterator[Collector]:
    with serving(Collector()) as server:
        yield server


@pytest.fixture
def traced_worker(collector: Collector, tmp_path: Path) -> Iterator[Path]:
    """`celery worker` as deployed (a forked pool process), traces to `collector`; its log."""
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "worker",
        "OTEL_BSP_SCHEDULE_DELAY": "50",  # milliseconds between two exports
    }
    celery = Path(sys.executable).parent / "celery"
    command = [str(celery), "--app", "src.worker", "worker", "--concurrency", "1"]
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(  # noqa: S603 - the project's own CLI, fixed arguments
            command, cwd=BACKEND, env=env, stdout=output, stderr=output
        )
    try:
        yield log
    finally:
        worker.terminate()  # a warm shutdown: the job in progress ends first
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def test_a_jobs_spans_join_the_trace_of_the_request_that_queued_it(
    settings: Settings,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    collector: Collector,
    traced_worker: Path,
) -> None:
    app = create_app(settings, tracer_provider=provider)
    async with running(app) as client:
        response = await client.post("/jobs/primes", json={"limit": 100})
    assert response.status_code == 202
    spans = list(exporter.get_finished_spans())
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    [queued] = [span for span in spans if span.kind is SpanKind.PRODUCER]
    assert queued.name == "apply_async/src.jobs.tasks.count_primes"
    assert server in ancestors(queued, spans)
    run: list[Span] = []
    with anyio.move_on_after(30):
        while True:
            run = [span for span in collector.spans if span.kind == Span.SPAN_KIND_CONSUMER]
            if run:
                break
            await anyio.sleep(0.05)  # between two looks at what the collector received
    log = await anyio.Path(traced_worker).read_text()
    assert run, f"no span of the job reached the collector; the worker's log:\n{log}"
    [job] = run
    assert job.name == "run/src.jobs.tasks.count_primes"
    assert int.from_bytes(job.trace_id) == server.context.trace_id
    assert int.from_bytes(job.parent_span_id) == queued.context.span_id
