"""Jobs run by the Celery workers (src/worker.py), each in a worker process.

Arguments and results travel as JSON through Redis: plain data only. Every job has a
soft time limit (raises inside the job) and a hard one (the worker kills the process).
"""

import os
import time
from typing import Any

import httpx2
from celery.utils.log import get_task_logger

from src.jobs.constants import URL_CHECK_TIMEOUT_SECONDS
from src.jobs.urls import fetch
from src.worker import celery_app

logger = get_task_logger(__name__)


@celery_app.task(soft_time_limit=60, time_limit=90, max_retries=0)
def count_primes(limit: int) -> dict[str, int]:
    """CPU-bound: the primes below `limit` (sieve of Eratosthenes).

    No retry: the same input would fail the same way. `pid` shows which process ran it.
    """
    logger.info("counting the primes below %d", limit)  # with the queuing request's id
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return {"limit": limit, "primes": sum(sieve), "pid": os.getpid()}


@celery_app.task(
    soft_time_limit=60,
    time_limit=90,
    # Network errors are often transient: retry after 1, 2 then 4 s (with jitter).
    autoretry_for=(httpx2.TransportError,),
    retry_backoff=True,
    max_retries=3,
)
def check_url(url: str) -> dict[str, Any]:
    """I/O-bound: fetch `url` and report its status code and response time.

    Public addresses only (src/jobs/urls.py): URLNotAllowedError fails the job otherwise.
    """
    started = time.perf_counter()
    response = fetch(url, timeout=URL_CHECK_TIMEOUT_SECONDS)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return {"url": url, "status_code": response.status_code, "elapsed_ms": elapsed_ms}
