from typing import ClassVar

from fastapi import status

from src.exceptions import AppError, ConflictError


class UnauthorizedError(AppError):
    """No valid access token: every route behind CurrentUser can answer it."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    message = "A valid access token is required (Authorization: Bearer <token>)."
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class ForbiddenError(AppError):
    """A valid user who may not do this: another user's row (the modules' valid_owned_*
    dependencies). A role check subclasses it with its own code and message."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    message = "Only the owner may do this."


class InvalidCredentialsError(UnauthorizedError):
    # The same answer for an unknown e-mail, a wrong password and an inactive account.
    code = "invalid_credentials"
    message = "Wrong e-mail or password."


class InvalidRefreshTokenError(UnauthorizedError):
    code = "invalid_refresh_token"
    message = "The refresh token is unknown, expired or revoked; log in again."


class EmailTakenError(ConflictError):
    code = "email_taken"
    message = "An account with this e-mail address exists already."


class TooManyLoginAttemptsError(AppError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_login_attempts"
    message = "Too many failed logins; try again later."
    headers: ClassVar[dict[str, str]] = {"Retry-After": "60"}  # each answer sets its own

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.headers = {"Retry-After": str(retry_after)}  # type: ignore[misc]
