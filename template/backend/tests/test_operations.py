"""The operations layer on the real server (`fastapi run`, production settings): JSON log
lines that carry the request id, the loop-lag warning naming a route that blocked, /metrics
on its own port, several workers' metrics summed, and a graceful shutdown that answers the
request in flight.

The server runs tests/planted_app.py (the app plus routes that misbehave on purpose), or
the Dockerfile's start command.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import Server, production, server_env
from tests.utils import BACKEND, image_command, serve


@pytest.fixture(scope="module")
def server_to_stop(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    # Module-scoped: started before the test's blockbuster. Its routes do not write.
    with production(tmp_path_factory.mktemp("stopped"), database_url) as server:
        yield server


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The server's JSON log lines (uvicorn's start-up banner comes before logging is set)."""
    lines = log.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def wait_for_line(log: Path, matches: Any, deadline: float = 5) -> dict[str, Any]:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        for line in json_lines(log):
            if matches(line):
                return line
        time.sleep(0.05)  # between two reads of the log, not a wait for the server
    raise AssertionError(f"no such log line in:\n{log.read_text('utf-8')}")


def test_a_blocking_route_is_named_in_a_loop_lag_warning(planted_server: Server) -> None:
    response = httpx2.get(
        f"{planted_server.url}/planted/blocking", headers={"X-Request-ID": "blocker"}
    )
    assert response.status_code == 200
    warning = wait_for_line(
        planted_server.log,
        lambda line: (
            line["logger"] == "src.loop_lag" and "GET /planted/blocking" in line["requests"]
        ),
    )
    assert warning["level"] == "WARNING"
    assert warning["lag_seconds"] >= 0.2  # of the 0.3 s the route slept


def test_every_log_line_of_a_request_carries_its_id(planted_server: Server) -> None:
    response = httpx2.get(f"{planted_server.url}/planted/blocking?token=s3cr3t")
    request_id = response.headers["x-request-id"]
    access = wait_for_line(
        planted_server.log,
        lambda line: line["logger"] == "access" and line["request_id"] == request_id,
    )
    own = [line for line in json_lines(planted_server.log) if line.get("request_id") == request_id]
    assert {line["logger"] for line in own} >= {"tests.planted_app", "access"}
    assert access["message"] == "GET /planted/blocking 200"
    assert access["route"] == "/planted/blocking"
    assert access["duration_ms"] >= 300  # the route sleeps 0.3 s
    assert "s3cr3t" not in planted_server.log.read_text("utf-8")  # access lines drop the query
    assert "uvicorn.access" not in {line["logger"] for line in json_lines(planted_server.log)}


def test_an_access_line_stays_one_json_line_whatever_the_path(planted_server: Server) -> None:
    response = httpx2.get(f"{planted_server.url}/no-such/%22%5C%0A%E2%9C%93?token=s3cr3t")
    request_id = response.headers["x-request-id"]
    access = wait_for_line(
        planted_server.log,
        lambda line: line["logger"] == "access" and line["request_id"] == request_id,
    )
    assert access["path"] == '/no-such/"\\\n✓'
    assert (access["route"], access["status"]) == ("(unmatched)", 404)


def test_metrics_are_served_on_their_own_port_only(planted_server: Server) -> None:
    httpx2.get(f"{planted_server.url}/health")
    httpx2.get(f"{planted_server.url}/no-such-path/123456789")  # not a route: one series
    metrics = httpx2.get(planted_server.metrics_url).text
    assert 'http_request_duration_seconds_count{method="GET",route="/health",status="200"}' in (
        metrics
    )
    assert 'route="(unmatched)",status="404"' in metrics
    assert "123456789" not in metrics
    for name in ("http_requests_in_flight", "event_loop_lag_seconds_bucket"):
        assert name in metrics
    assert 'db_connections_in_use{pool="sessions"}' in metrics
    assert 'process_pool_jobs{state="queued"}' in metrics
    assert httpx2.get(f"{planted_server.url}/metrics").status_code == 404


def test_tracing_and_sentry_are_off_unless_configured(planted_server: Server) -> None:
    response = httpx2.get(f"{planted_server.url}/planted/telemetry")
    assert response.json() == {
        "tracer_provider": "ProxyTracerProvider",  # the API's no-op: nothing recorded
        "exporters": [],
        "instrumentations": [],
        "sentry_active": False,
    }


def test_sigterm_lets_the_request_in_flight_finish(server_to_stop: Server) -> None:
    server = server_to_stop
    with ThreadPoolExecutor(1) as client:
        pid = httpx2.get(f"{server.url}/planted/pid").json()["pid"]
        answer = client.submit(httpx2.get, f"{server.url}/planted/slow", timeout=10)
        while "http_requests_in_flight 1.0" not in httpx2.get(server.metrics_url).text:
            time.sleep(0.01)  # between two scrapes, until the server is inside the request
        os.kill(pid, signal.SIGTERM)  # what docker stop and Kubernetes send
        assert answer.result().status_code == 200
        wait_for_line(server.log, lambda line: line["message"] == "Application shutdown complete.")


def leave_stale_metrics(directory: Path) -> None:
    """The files of a previous run's worker, killed while it answered GET /health/ready."""
    killed = (
        "from src.metrics import IN_FLIGHT, REQUESTS\n"
        "IN_FLIGHT.inc()\n"
        "REQUESTS.labels('GET', '/health/ready', '200').observe(0.01)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", killed], cwd=BACKEND, env=env, check=True)  # noqa: S603


def ready_counts(directory: Path) -> list[float]:
    """The GET /health/ready requests counted in each process's file of `directory`."""
    counts = []
    for path in directory.glob("histogram_*.db"):
        metrics = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        counts.append(
            sum(
                sample.value
                for metric in metrics
                for sample in metric.samples
                if sample.name == "http_request_duration_seconds_count"
                and sample.labels["route"] == "/health/ready"
            )
        )
    return counts


def scrape(url: str) -> dict[str, float]:
    """/metrics as {series: value}, each series as written: `name{label="value",...}`."""
    lines = httpx2.get(url).text.splitlines()
    return {
        series: float(value)
        for series, value in (line.rsplit(" ", 1) for line in lines if not line.startswith("#"))
    }


def ready_requests(metrics: dict[str, float]) -> float:
    return sum(
        value
        for series, value in metrics.items()
        if series.startswith("http_request_duration_seconds_count{")
        and 'route="/health/ready"' in series
    )


def test_several_workers_metrics_are_summed(tmp_path: Path, database_url: str) -> None:
    """The image's start command with 2 workers and PROMETHEUS_MULTIPROC_DIR: the worker that
    holds METRICS_PORT serves every worker's requests, and none of a previous run's."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    leave_stale_metrics(directory)
    env = {
        **server_env(database_url),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    metrics_url = f"http://127.0.0.1:{env['METRICS_PORT']}/metrics"
    with serve(env, tmp_path / "server.log", command=image_command()) as url:

        def ready(_: int) -> int:  # /health/ready: serve() polled /health to see it start
            return httpx2.get(f"{url}/health/ready").status_code  # a new connection each time

        # The workers accept from one socket: requests until both have answered some.
        sent = 0
        give_up = time.monotonic() + 10
        with ThreadPoolExecutor(4) as clients:
            while sent < 40 or len([n for n in ready_counts(directory) if n]) < 2:
                assert time.monotonic() < give_up, f"one worker answered: {ready_counts(directory)}"
                assert set(clients.map(ready, range(8))) == {200}
                sent += 8
        # A worker counts a request just after answering it, and samples the requests in
        # flight twenty times a second (src/metrics.py).
        while (
            ready_requests(metrics := scrape(metrics_url)) < sent
            or metrics["http_requests_in_flight"] != 0
        ):
            assert time.monotonic() < give_up, (
                f"{ready_requests(metrics)} of {sent} counted,"
                f" {metrics['http_requests_in_flight']} in flight"
            )
            time.sleep(0.05)  # between two scrapes, not a wait for the server
        assert ready_requests(metrics) == sent  # the previous run's request is not summed in
        assert metrics["http_requests_in_flight"] == 0
