"""Prometheus metrics, served on their own port (METRICS_PORT), never by the API itself.
Unset, nothing is recorded and this module is not even imported.

Several server workers (`--workers N`, WEB_CONCURRENCY): set PROMETHEUS_MULTIPROC_DIR to
an empty directory of this deployment. Each worker then writes its values there and the
worker that holds METRICS_PORT serves the sum of all; without it, each worker counts alone
and only the one holding the port is seen.
"""

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

if TYPE_CHECKING:  # src.concurrency imports src.exceptions, which imports this module's users
    from src.concurrency import ProcessPool, ThreadBudget

logger = logging.getLogger(__name__)

# Gauges of several workers add up (livesum: the workers alive now).
REQUESTS = Histogram(
    "http_request_duration_seconds",
    "Requests by route template, method and status, and how long they took.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge(
    "http_requests_in_flight",
    "Requests being answered (sampled 20 times a second).",
    multiprocess_mode="livesum",
)
LOOP_LAG = Histogram(
    "event_loop_lag_seconds",
    "How late the event loop ran a timer: time it spent blocked by one callback.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
DB_CONNECTIONS = Gauge(
    "db_connections_in_use",
    "Database connections lent out, by pool (sessions: SQLAlchemy's; statements: Db's).",
    ["pool"],
    multiprocess_mode="livesum",
)
THREADS_IN_USE = Gauge(
    "thread_budget_in_use",
    "Threads of a ThreadBudget running a blocking call.",
    ["service"],
    multiprocess_mode="livesum",
)
THREADS_WAITING = Gauge(
    "thread_budget_waiting",
    "Calls waiting for a ThreadBudget slot.",
    ["service"],
    multiprocess_mode="livesum",
)
PROCESS_JOBS = Gauge(
    "process_pool_jobs",
    "Jobs of the process pool, running or queued.",
    ["state"],
    multiprocess_mode="livesum",
)


class Metrics:
    """What the app records, and the server of /metrics (src/main.py imports this module
    only when METRICS_PORT is set: prometheus-client costs start-up ~50 ms)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server: MetricsServer | None = None
        # labels() takes a lock: each series is looked up once.
        self._series: dict[tuple[str, str, int], Any] = {}
        self._sample: Callable[[], None] = lambda: None

    def start(
        self,
        *,
        in_flight: Callable[[], int],
        connections_in_use: Callable[[], Mapping[str, int]],
        process_pool: "ProcessPool",
        budgets: Sequence["ThreadBudget"],
    ) -> None:
        """Serve /metrics (blocking: binds a port); the pools' gauges follow these."""
        self._sample = Sampler(in_flight, connections_in_use, process_pool, budgets)
        self._sample()  # the gauges have values from the start
        self.server = MetricsServer(self.port)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._series.get((method, route, status))
        if series is None:
            series = self._series[method, route, status] = REQUESTS.labels(
                method, route, str(status)
            )
        series.observe(seconds)

    def loop_probed(self, lag: float) -> None:
        LOOP_LAG.observe(lag)
        self._sample()


@dataclass
class Sampler:
    """Sets the gauges (after each loop-lag probe, 20 times a second: in multiprocess mode a
    value must be written, it cannot be read at scrape time; and a request pays nothing)."""

    in_flight: Callable[[], int]
    connections_in_use: Callable[[], Mapping[str, int]]
    process_pool: "ProcessPool"
    budgets: Sequence["ThreadBudget"]

    def __call__(self) -> None:
        IN_FLIGHT.set(self.in_flight())
        for pool, count in self.connections_in_use().items():
            DB_CONNECTIONS.labels(pool).set(count)
        for budget in self.budgets:
            THREADS_IN_USE.labels(budget.service).set(budget.limiter.borrowed_tokens)
            THREADS_WAITING.labels(budget.service).set(budget.limiter.statistics().tasks_waiting)
        slots = self.process_pool.slots
        PROCESS_JOBS.labels("running").set(slots.borrowed_tokens)
        PROCESS_JOBS.labels("queued").set(slots.statistics().tasks_waiting)


class MetricsServer:
    """The /metrics endpoint on `port`, in a thread of its own (prometheus-client's)."""

    def __init__(self, port: int) -> None:
        self.server: Any = None
        self.multiprocess = "PROMETHEUS_MULTIPROC_DIR" in os.environ
        registry = REGISTRY
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        try:
            self.server, _thread = start_http_server(port, registry=registry)
        except OSError:
            if self.multiprocess:  # another worker holds the port and serves everyone's
                logger.debug("metrics port %d served by another worker", port)
            else:  # this worker still serves requests; its metrics are not seen
                logger.warning(
                    "METRICS_PORT %d is taken: this worker's metrics are not served"
                    " (several workers need PROMETHEUS_MULTIPROC_DIR)",
                    port,
                )

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.multiprocess:  # this worker's gauges stop counting
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
