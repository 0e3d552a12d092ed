"""HTTP routes of accounts and logins; `CurrentUser` (dependencies.py) protects others."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from src.auth import service
from src.auth.dependencies import CurrentUser, PasswordBudget, SigningKey
from src.auth.exceptions import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    TooManyLoginAttemptsError,
    UnauthorizedError,
)
from src.auth.schemas import RefreshRequest, TokenPair, UserCreate, UserRead
from src.database import Db, SessionDep
from src.exceptions import (
    DatabaseUnavailableError,
    ExternalServiceTimeoutError,
    ValidationFailedError,
    error_responses,
)

router = APIRouter(prefix="/auth", tags=["auth"])
# Every route uses the database; all but /me validate a body.
ERRORS = (ValidationFailedError, DatabaseUnavailableError)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    description=(
        "Creates an active account for an e-mail address (compared case-insensitively) "
        "and a password of 8 to 128 characters, stored as an Argon2 hash. "
        "Log in with POST /auth/token afterwards."
    ),
    responses=error_responses(EmailTakenError, ExternalServiceTimeoutError, *ERRORS),
)
async def register(data: UserCreate, db: Db, budget: PasswordBudget) -> UserRead:
    return await service.register(db, data, budget=budget)


@router.post(
    "/token",
    status_code=status.HTTP_200_OK,
    summary="Log in",
    description=(
        "OAuth2 password flow (the Authorize button of /docs): the e-mail as `username` "
        "and the password, form-encoded. Returns a short-lived access token for the "
        "`Authorization: Bearer` header and a refresh token for POST /auth/refresh. "
        "Failed logins are limited per account and per client address within a window: "
        "past the limit the answer is 429 with Retry-After."
    ),
    responses=error_responses(
        InvalidCredentialsError,
        TooManyLoginAttemptsError,
        ExternalServiceTimeoutError,
        *ERRORS,
    ),
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    db: Db,
    budget: PasswordBudget,
    key: SigningKey,
) -> TokenPair:
    # The peer address: behind a proxy, run uvicorn with --forwarded-allow-ips so that
    # it is the client's and not the proxy's.
    address = request.client.host if request.client else "unknown"
    return await service.login(
        db, form.username, form.password, address=address, budget=budget, key=key
    )


@router.post(
    "/refresh",
    status_code=status.HTTP_200_OK,
    summary="Refresh the tokens",
    description=(
        "Spends a refresh token and returns a new access token and a new refresh token. "
        "Each refresh token works once: presenting a spent one again revokes every token "
        "issued since its login (its family), so a stolen token stops working for both."
    ),
    responses=error_responses(InvalidRefreshTokenError, *ERRORS),
)
async def refresh(data: RefreshRequest, session: SessionDep, key: SigningKey) -> TokenPair:
    return await service.refresh(session, data.refresh_token, key=key)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    description=(
        "Revokes the refresh token and every token of its family. Access tokens already "
        "issued stay valid until they expire (minutes). An unknown token changes nothing."
    ),
    responses=error_responses(*ERRORS),
)
async def log_out(data: RefreshRequest, db: Db) -> None:
    await service.logout(db, data.refresh_token)


@router.get(
    "/me",
    status_code=status.HTTP_200_OK,
    summary="The current user",
    description="The account of the access token in the Authorization header.",
    responses=error_responses(UnauthorizedError, DatabaseUnavailableError),
)
async def read_me(user: CurrentUser) -> UserRead:
    return user
