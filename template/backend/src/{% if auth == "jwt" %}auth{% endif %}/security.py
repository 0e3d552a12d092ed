"""Passwords and tokens, without the database.

Argon2 is CPU work of ~50 ms per hash. It runs in threads, not in the process pool:
argon2-cffi releases the GIL while it hashes, so threads use every core without the
pickling and start-up of processes; its own ThreadBudget (lifespan key
`password_budget`) caps how many run at once, so logins never take the threads that
`def` routes share, and the event loop never waits for a hash.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from src.auth.constants import JWT_ALGORITHM
from src.concurrency import ThreadBudget, run_sync
from src.models import MAX_INTEGER

_hasher = PasswordHash((Argon2Hasher(),))


@cache  # made at the first unknown e-mail, in its thread: a hash costs start-up ~100 ms
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify_unknown(password: str) -> None:
    # Checked when the e-mail is unknown, so that answer takes as long as a wrong password.
    _hasher.verify(password, _dummy_hash())


async def hash_password(password: str, budget: ThreadBudget) -> str:
    return await run_sync(_hasher.hash, password, budget=budget)


async def verify_password(
    password: str, password_hash: str | None, budget: ThreadBudget
) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses outdated parameters)."""
    if password_hash is None:
        await run_sync(_verify_unknown, password, budget=budget)
        return False, None
    return await run_sync(_hasher.verify_and_update, password, password_hash, budget=budget)


def create_access_token(user_id: int, *, key: str, lifetime: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def access_token_subject(token: str, *, key: str) -> int | None:
    """The user id of a valid access token; None for any token this app did not sign
    with JWT_ALGORITHM, or that is expired or lacks exp, iat or sub."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.InvalidTokenError:
        return None
    subject = claims["sub"]
    if not (subject.isascii() and subject.isdigit()) or int(subject) > MAX_INTEGER:
        return None
    return int(subject)


def new_refresh_token() -> tuple[str, str]:
    """An opaque refresh token for the client, and the hash that is stored instead."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_family_id() -> str:
    return secrets.token_hex(16)
