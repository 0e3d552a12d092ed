from typing import Any, Literal
from uuid import UUID

from pydantic import Field, HttpUrl

from src.jobs.constants import PRIMES_MAX_LIMIT
from src.schemas import CustomModel

# Celery's states, plus SENT (queued, set when the API publishes the job).
JobState = Literal["SENT", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]


class PrimesJobCreate(CustomModel):
    limit: int = Field(ge=2, le=PRIMES_MAX_LIMIT, examples=[1_000_000])


class URLCheckJobCreate(CustomModel):
    url: HttpUrl = Field(examples=["https://example.com/"])


class JobRead(CustomModel):
    id: UUID
    state: JobState
    result: dict[str, Any] | None = None  # the job's return value, once SUCCESS
    error: str | None = None  # the exception's type, once FAILURE
