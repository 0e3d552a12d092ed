"""Accounts and logins: register, log in, refresh, log out. One function per use case.

Statements are built once, at import; those that stand alone run through `Db`, one
driver call each (src/statements.py). A refresh reads, spends and issues tokens in one
session transaction, so a token can be spent once only.
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from src.auth import limits, security
from src.auth.config import auth_settings
from src.auth.constants import EMAIL_MAX_LENGTH, TOKEN_TYPE
from src.auth.exceptions import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
)
from src.auth.models import RefreshToken, UserAccount
from src.auth.schemas import TokenPair, UserCreate, UserRead
from src.concurrency import ThreadBudget
from src.exceptions import ConflictError
from src.models import utcnow
from src.statements import Database

# The columns UserRead is made of.
COLUMNS = (
    UserAccount.id,
    UserAccount.email,
    UserAccount.is_active,
    UserAccount.created_at,
    UserAccount.updated_at,
)
ACTIVE_USER = sa.select(*COLUMNS).where(UserAccount.id == sa.bindparam("id"), UserAccount.is_active)
LOGIN = sa.select(UserAccount.id, UserAccount.password_hash, UserAccount.is_active).where(
    UserAccount.email == sa.bindparam("email")
)
CREATE = sa.insert(UserAccount).returning(*COLUMNS)
SET_PASSWORD_HASH = sa.update(UserAccount).where(UserAccount.id == sa.bindparam("user_id"))
ISSUE_REFRESH = sa.insert(RefreshToken)
REVOKE_FAMILY = (
    sa.update(RefreshToken)
    .where(RefreshToken.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("now"))
    .execution_options(synchronize_session=False)
)
REVOKE_FAMILY_BY_ID = REVOKE_FAMILY.where(RefreshToken.family_id == sa.bindparam("family"))
REVOKE_FAMILY_OF_TOKEN = REVOKE_FAMILY.where(
    RefreshToken.family_id
    == sa.select(RefreshToken.family_id)
    .where(RefreshToken.token_hash == sa.bindparam("hash"))
    .scalar_subquery()
)


async def get_active_user(db: Database, user_id: int) -> UserRead | None:
    row = await db.one(ACTIVE_USER, id=user_id)
    return UserRead.model_validate(row) if row is not None else None


async def register(db: Database, data: UserCreate, *, budget: ThreadBudget) -> UserRead:
    password_hash = await security.hash_password(data.password, budget)
    try:
        row = await db.one(CREATE, email=data.email, password_hash=password_hash)
    except ConflictError as exc:  # the unique e-mail: registered already
        raise EmailTakenError from exc
    return UserRead.model_validate(row)


async def login(
    db: Database,
    email: str,
    password: str,
    *,
    address: str,
    budget: ThreadBudget,
    key: str,
) -> TokenPair:
    # Compared as stored (lowercase); never longer than the column or holding a NUL.
    email = email.strip().lower()[:EMAIL_MAX_LENGTH].replace("\x00", "")
    since = await limits.check(db, email=email, address=address)
    user = await db.one(LOGIN, email=email)
    # Unknown e-mails are checked against a dummy hash: the same time, the same 401.
    matches, new_hash = await security.verify_password(
        password, user["password_hash"] if user else None, budget
    )
    if user is None or not matches or not user["is_active"]:
        await limits.record_failure(db, email=email, address=address, since=since)
        raise InvalidCredentialsError
    if new_hash is not None:  # stored with older Argon2 parameters: upgraded now
        await db.execute(SET_PASSWORD_HASH, user_id=user["id"], password_hash=new_hash)
    row, pair = _next_tokens(user["id"], security.new_family_id(), key=key)
    await db.execute(ISSUE_REFRESH, **row)
    return pair


async def refresh(session: AsyncSession, token: str, *, key: str) -> TokenPair:
    """Spend `token` and issue the next of its family; refuse it (and revoke its family)
    when it was spent already, revoked, expired or its user is no longer active."""
    now = utcnow()
    spent = await session.scalar(
        sa.select(RefreshToken)
        .where(RefreshToken.token_hash == security.hash_refresh_token(token))
        .with_for_update()  # a concurrent refresh of the same token waits, then is reuse
    )
    if spent is None:
        raise InvalidRefreshTokenError
    active = await session.scalar(
        sa.select(UserAccount.is_active).where(UserAccount.id == spent.user_id)
    )
    if spent.used_at or spent.revoked_at or spent.expires_at <= now or not active:
        # A spent token shown again was stolen, or is being replayed: end the family.
        await session.execute(REVOKE_FAMILY_BY_ID, {"family": spent.family_id, "now": now})
        await session.commit()
        raise InvalidRefreshTokenError
    spent.used_at = now
    row, pair = _next_tokens(spent.user_id, spent.family_id, key=key)
    await session.execute(ISSUE_REFRESH, row)
    await session.commit()
    return pair


async def logout(db: Database, token: str) -> None:
    """Revoke every token of `token`'s family (nothing to do for an unknown token)."""
    await db.execute(REVOKE_FAMILY_OF_TOKEN, hash=security.hash_refresh_token(token), now=utcnow())


def _next_tokens(user_id: int, family_id: str, *, key: str) -> tuple[dict[str, Any], TokenPair]:
    """The row of a new refresh token (for ISSUE_REFRESH) and the pair the client gets."""
    token, token_hash = security.new_refresh_token()
    now = utcnow()
    row = {
        "user_id": user_id,
        "family_id": family_id,
        "token_hash": token_hash,
        "created_at": now,
        "expires_at": now + timedelta(days=auth_settings.REFRESH_TOKEN_DAYS),
    }
    lifetime = timedelta(minutes=auth_settings.ACCESS_TOKEN_MINUTES)
    return row, TokenPair(
        access_token=security.create_access_token(user_id, key=key, lifetime=lifetime),
        refresh_token=token,
        token_type=TOKEN_TYPE,
        expires_in=int(lifetime.total_seconds()),
    )
