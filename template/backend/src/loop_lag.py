"""Blocking caught in production: how late the event loop runs a timer.

A lifespan task sleeps PROBE_SECONDS again and again; whatever it wakes up late by is
time the loop spent in one callback that never awaited (a blocking call in an `async def`
route, CPU work inline). Each lag goes to the `event_loop_lag_seconds` histogram; one over
LOOP_LAG_WARNING_SECONDS is logged with the requests that ran meanwhile: the culprit is
among them. The tests' blockbuster finds blocking calls before they ship; this finds the
ones that shipped.
"""

import asyncio
import logging
from collections.abc import Callable

from src import metrics
from src.request_id import InFlight

logger = logging.getLogger(__name__)

PROBE_SECONDS = 0.25  # four probes a second: a timer and a histogram update each


async def watch_loop_lag(
    in_flight: InFlight, *, warning_seconds: float, every_probe: Callable[[], None]
) -> None:
    """Run until cancelled; `every_probe` refreshes the pool gauges (src/metrics.py)."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(PROBE_SECONDS)
        lag = max(0.0, loop.time() - started - PROBE_SECONDS)
        metrics.LOOP_LAG.observe(lag)
        if lag > warning_seconds:
            requests = in_flight.names()
            logger.warning(
                "event loop blocked for %.3f s; requests running meanwhile: %s",
                lag,
                ", ".join(requests) or "none",
                extra={"lag_seconds": round(lag, 3), "requests": requests},
            )
        in_flight.forget_finished()
        every_probe()
