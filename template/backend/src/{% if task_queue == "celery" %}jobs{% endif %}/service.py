"""Publishing jobs and reading their state: blocking broker calls, run in threads.

Celery's AsyncResult objects never leave those threads: dropping one talks to Redis
(it unsubscribes from the job's result channel), which would block the event loop.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from celery.result import AsyncResult
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from src.concurrency import ThreadBudget, run_sync
from src.jobs import tasks
from src.jobs.exceptions import BrokerUnavailableError, JobNotFoundError
from src.jobs.schemas import JobRead
from src.worker import celery_app


@contextmanager
def broker_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, RedisError) as exc:  # the broker, or the result backend
        raise BrokerUnavailableError from exc
    except RuntimeError as exc:  # Celery's result consumer could not reconnect to Redis
        if isinstance(exc.__cause__, RedisError):
            raise BrokerUnavailableError from exc
        raise


def _publish_primes(limit: int) -> str:
    return tasks.count_primes.delay(limit).id


def _publish_url_check(url: str) -> str:
    return tasks.check_url.delay(url).id


async def enqueue_primes(limit: int, budget: ThreadBudget) -> JobRead:
    with broker_errors():
        job_id = await run_sync(_publish_primes, limit, budget=budget)
    return JobRead(id=UUID(job_id), state="SENT")


async def enqueue_url_check(url: str, budget: ThreadBudget) -> JobRead:
    with broker_errors():
        job_id = await run_sync(_publish_url_check, url, budget=budget)
    return JobRead(id=UUID(job_id), state="SENT")


def _read_state(job_id: str) -> tuple[str, Any]:
    result: AsyncResult[Any] = AsyncResult(job_id, app=celery_app)
    return result.state, result.result


async def get_job(job_id: UUID, budget: ThreadBudget) -> JobRead:
    with broker_errors():
        state, value = await run_sync(_read_state, str(job_id), budget=budget)
    if state == "PENDING":  # Celery's answer for an id it never saw, or an expired one
        raise JobNotFoundError
    job = {"id": job_id, "state": state}
    if state == "SUCCESS":
        job["result"] = value
    elif state == "FAILURE":
        job["error"] = type(value).__name__  # the type only: no internals in responses
    return JobRead.model_validate(job)
