"""Blocking caught in production: how late the event loop runs a timer.

A lifespan task sleeps PROBE_SECONDS again and again; whatever it wakes up late by is
time the loop spent in one callback that never awaited (a blocking call in an `async def`
route, CPU work inline). Each lag goes to the `event_loop_lag_seconds` histogram (with
METRICS_PORT); one over
LOOP_LAG_WARNING_SECONDS is logged with the requests that ran meanwhile: the culprit is
among them. The tests' blockbuster finds blocking calls before they ship; this finds the
ones that shipped.
"""

import asyncio
import logging
from collections.abc import Callable

from src.request_id import InFlight

logger = logging.getLogger(__name__)

# A block that starts while the probe sleeps uses up the rest of that sleep first: the lag
# measured is the block's length minus at most PROBE_SECONDS. Twenty probes a second keep
# that error small, for a timer and a histogram update each (~0.05% of a core).
PROBE_SECONDS = 0.05


async def watch_loop_lag(
    in_flight: InFlight, *, warning_seconds: float, every_probe: Callable[[float], None]
) -> None:
    """Run until cancelled; `every_probe(lag)` records it (src/metrics.py, when on)."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(PROBE_SECONDS)
        lag = max(0.0, loop.time() - started - PROBE_SECONDS)
        if lag > warning_seconds:
            requests = in_flight.names()
            logger.warning(
                "event loop blocked for %.3f s; requests running meanwhile: %s",
                lag,
                ", ".join(requests) or "none",
                extra={"lag_seconds": round(lag, 3), "requests": requests},
            )
        in_flight.forget_finished()
        every_probe(lag)
