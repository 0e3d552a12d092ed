from fastapi import APIRouter, status
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from src.database import SessionDep
from src.exceptions import error_responses
from src.health.exceptions import DatabaseUnavailableError
from src.health.schemas import Liveness, Readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "",
    status_code=status.HTTP_200_OK,
    summary="Liveness probe",
    description="Answers while the process serves requests. Touches no dependency.",
)
async def liveness() -> Liveness:
    return Liveness()


@router.get(
    "/ready",
    status_code=status.HTTP_200_OK,
    summary="Readiness probe",
    description="Answers 200 when the database accepts queries, 503 otherwise.",
    responses=error_responses(DatabaseUnavailableError),
)
async def readiness(session: SessionDep) -> Readiness:
    try:
        await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseUnavailableError from exc
    return Readiness()
