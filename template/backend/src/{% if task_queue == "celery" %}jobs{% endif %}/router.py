"""HTTP routes of the jobs module: queue work for the Celery workers, then poll its state.

Publishing to Redis is a blocking call: it runs in a thread from the broker's own
ThreadBudget (run_sync), so a slow broker answers 504 instead of stalling the event loop.
"""

from uuid import UUID

from fastapi import APIRouter, status

from src.exceptions import ExternalServiceTimeoutError, ValidationFailedError, error_responses
from src.jobs import service
from src.jobs.dependencies import BrokerBudgetDep
from src.jobs.exceptions import BrokerUnavailableError, JobNotFoundError
from src.jobs.schemas import JobRead, PrimesJobCreate, URLCheckJobCreate

router = APIRouter(prefix="/jobs", tags=["jobs"])

BROKER_ERRORS = (BrokerUnavailableError, ExternalServiceTimeoutError)


@router.post(
    "/primes",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Count primes in the background",
    description=(
        "Queues a CPU-bound job (count the primes below `limit`) for the Celery workers and "
        "returns its id at once. Poll `GET /jobs/{job_id}` for the result."
    ),
    responses=error_responses(ValidationFailedError, *BROKER_ERRORS),
)
async def enqueue_primes(data: PrimesJobCreate, budget: BrokerBudgetDep) -> JobRead:
    return await service.enqueue_primes(data.limit, budget)


@router.post(
    "/url-checks",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Check a URL in the background",
    description=(
        "Queues an I/O-bound job (fetch `url`, retried on network errors) for the Celery "
        "workers and returns its id at once. Poll `GET /jobs/{job_id}` for the result. "
        "Only public addresses are fetched: a URL or redirect that leads to a loopback, "
        "private, link-local or other reserved address fails with `URLNotAllowedError`."
    ),
    responses=error_responses(ValidationFailedError, *BROKER_ERRORS),
)
async def enqueue_url_check(data: URLCheckJobCreate, budget: BrokerBudgetDep) -> JobRead:
    return await service.enqueue_url_check(str(data.url), budget)


@router.get(
    "/{job_id}",
    status_code=status.HTTP_200_OK,
    summary="State of a job",
    description=(
        "SENT (queued), STARTED, RETRY, SUCCESS with its `result`, or FAILURE with the "
        "`error` type. Results expire after CELERY_RESULT_EXPIRES_SECONDS; then 404."
    ),
    responses=error_responses(JobNotFoundError, ValidationFailedError, *BROKER_ERRORS),
)
async def get_job(job_id: UUID, budget: BrokerBudgetDep) -> JobRead:
    return await service.get_job(job_id, budget)
