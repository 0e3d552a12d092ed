"""Failed logins, limited per account and per client address within a window.

Counted in the database, the one state every server worker and machine shares, the same
way on SQLite and PostgreSQL: a counter in a process's memory would multiply the limit
by the number of workers.
"""

import math
from datetime import datetime, timedelta

import sqlalchemy as sa

from src.auth.config import auth_settings
from src.auth.exceptions import TooManyLoginAttemptsError
from src.auth.models import LoginAttempt
from src.models import utcnow
from src.statements import Database

# Failed logins within the window, for one account and for one client address.
FAILURES = sa.select(
    sa.func.count().label("failures"), sa.func.min(LoginAttempt.attempted_at).label("oldest")
)
RECENT = LoginAttempt.attempted_at > sa.bindparam("since")
FOR_EMAIL = FAILURES.where(LoginAttempt.email == sa.bindparam("key"), RECENT)
FROM_ADDRESS = FAILURES.where(LoginAttempt.client_address == sa.bindparam("key"), RECENT)
RECORD = sa.insert(LoginAttempt)
FORGET = sa.delete(LoginAttempt).where(LoginAttempt.attempted_at <= sa.bindparam("since"))


async def check(db: Database, *, email: str, address: str) -> datetime:
    """Refuse a login (429) once its account or its address used up its failures.

    Returns the start of the window, for record_failure.
    """
    now = utcnow()
    window = timedelta(seconds=auth_settings.LOGIN_WINDOW_SECONDS)
    since = now - window
    limits = (
        (FOR_EMAIL, email, auth_settings.LOGIN_ATTEMPTS_PER_ACCOUNT),
        (FROM_ADDRESS, address, auth_settings.LOGIN_ATTEMPTS_PER_ADDRESS),
    )
    for statement, key, limit in limits:
        row = await db.one(statement, key=key, since=since)
        if row is not None and row["failures"] >= limit:
            # Until the oldest failure leaves the window.
            retry_after = (row["oldest"] + window - now).total_seconds()
            raise TooManyLoginAttemptsError(retry_after=max(1, math.ceil(retry_after)))
    return since


async def record_failure(db: Database, *, email: str, address: str, since: datetime) -> None:
    """Count a failed login, and forget those that left the window."""
    await db.execute(RECORD, email=email, client_address=address, attempted_at=utcnow())
    await db.execute(FORGET, since=since)
