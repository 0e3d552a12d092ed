"""One error schema for every error response, and the handlers that produce it.

Modules subclass `AppError` in their own exceptions.py; routes document what
they can return with `responses=error_responses(...)`, and dependencies state
what they raise with `@raises(...)`, which the conformance test cross-checks.
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from src.request_id import current_request_id
from src.schemas import CustomModel, error_message

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)


class ErrorDetail(CustomModel):
    field: str
    message: str


class ErrorResponse(CustomModel):
    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    # The X-Request-ID of the request: quote it to find the request's log lines.
    request_id: str | None = Field(default_factory=lambda: current_request_id.get())


class AppError(Exception):
    status_code: ClassVar[int] = status.HTTP_500_INTERNAL_SERVER_ERROR
    code: ClassVar[str] = "internal_error"
    message: ClassVar[str] = "Internal server error."
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str | None = None) -> None:
        self.detail = message or self.message
        super().__init__(self.detail)


class NotFoundError(AppError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Resource not found."


class ValidationFailedError(AppError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    code = "validation_error"
    message = "The request is invalid."


class ConflictError(AppError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "The request conflicts with data already stored."


class ServiceUnavailableError(AppError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    message = "A required service is unavailable."
    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"
    message = "The database is not reachable or too busy; try again shortly."


class ExternalServiceError(AppError):
    status_code = status.HTTP_502_BAD_GATEWAY
    code = "external_service_error"
    message = "An external service failed."


class ExternalServiceTimeoutError(AppError):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    code = "external_service_timeout"
    message = "An external service did not answer in time."


# Rejections made before a route runs (middleware, routing), in the same schema.
class InvalidHostError(AppError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_host"
    message = "The Host header is not one this server answers."


class CORSRejectedError(AppError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "cors_rejected"
    message = "This origin, method or header is not allowed for cross-origin requests."


class RequestTooLargeError(AppError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    code = "request_too_large"
    message = "The request body is larger than this server accepts."


class MethodNotAllowedError(AppError):
    status_code = status.HTTP_405_METHOD_NOT_ALLOWED
    code = "method_not_allowed"
    message = "This path does not accept this method."


# CPU work in the process pool (src/concurrency.py).
class WorkerPoolUnavailableError(ServiceUnavailableError):
    code = "worker_pool_unavailable"
    message = "A worker process died; the pool is being restarted. Retry the request."


class CPUJobTimeoutError(AppError):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    code = "cpu_job_timeout"
    message = "The work did not finish within its time limit."


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status it can return, with the error schema and
    the headers that come with it."""
    documented: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = documented.setdefault(
            error.status_code, {"model": ErrorResponse, "description": error.message}
        )
        if error.message not in entry["description"]:
            entry["description"] += f" Or: {error.message}"
        for header in error.headers:  # WWW-Authenticate on a 401, Retry-After on a 503...
            entry.setdefault("headers", {})[header] = {"schema": {"type": "string"}}
    return documented


def raises(*errors: type[AppError]) -> Callable[[F], F]:
    """Declare the errors a dependency raises; tests check each is in its routes' responses."""

    def mark(func: F) -> F:
        func.__raises__ = errors  # type: ignore[attr-defined]
        return func

    return mark


def _json(error: ErrorResponse, status_code: int) -> Response:
    return Response(error.model_dump_json(), status_code=status_code, media_type="application/json")


def error_response(error: AppError, headers: Mapping[str, str] | None = None) -> Response:
    """The response for `error`, in the one schema (handlers and middleware use it)."""
    response = _json(ErrorResponse(code=error.code, message=error.detail), error.status_code)
    response.headers.update(error.headers)
    response.headers.update(headers or {})
    return response


def log_server_error(request: Request, status_code: int, exc: BaseException) -> None:
    """Log a 5xx once, with its traceback and cause chain.

    The method and path only: a query string or headers can carry tokens.
    """
    logger.error(
        "%s %s answered %d: %s",
        request.method,
        request.url.path,
        status_code,
        type(exc).__name__,
        exc_info=exc,
    )


def _caused_by(error: AppError, cause: Exception) -> AppError:
    error.__cause__ = cause  # logged with the error (log_server_error)
    return error


# Codes of the HTTP errors raised by Starlette itself (routing, body limit).
_HTTP_ERRORS: dict[int, type[AppError]] = {
    error.status_code: error
    for error in (NotFoundError, MethodNotAllowedError, RequestTooLargeError)
}


def register_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def handle_app_error(request: Request, exc: AppError) -> Response:
        if exc.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            log_server_error(request, exc.status_code, exc)
        return error_response(exc)

    @app.exception_handler(DBAPIError)
    async def handle_database_error(request: Request, exc: DBAPIError) -> Response:
        # A unique or foreign-key violation is the client's conflict; a database that is
        # down, restarting or locked past busy_timeout is temporary. Anything else is a bug.
        if isinstance(exc, IntegrityError):
            return await handle_app_error(request, _caused_by(ConflictError(), exc))
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            return await handle_app_error(request, _caused_by(DatabaseUnavailableError(), exc))
        raise exc  # a 500, logged with its traceback

    @app.exception_handler(PoolTimeoutError)
    async def handle_pool_timeout(request: Request, exc: PoolTimeoutError) -> Response:
        # Every pooled connection stayed busy for pool_timeout (30 s): overloaded.
        return await handle_app_error(request, _caused_by(DatabaseUnavailableError(), exc))

    @app.exception_handler(RequestValidationError)
    async def handle_validation_error(_: Request, exc: RequestValidationError) -> Response:
        # Readable 422s: one "field: message" pair per problem, in the shared schema.
        details = [
            ErrorDetail(
                field=".".join(str(part) for part in error["loc"]), message=error_message(error)
            )
            for error in exc.errors()
        ]
        failed = ValidationFailedError
        body = ErrorResponse(code=failed.code, message=failed.message, details=details)
        return _json(body, failed.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http_exception(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, ValueError):
            # A body FastAPI could not decode (not UTF-8): invalid input like any other.
            error = {"loc": ("body",), "msg": "The body is not valid JSON."}
            return await handle_validation_error(request, RequestValidationError([error]))
        # Unknown paths (404), wrong methods (405, with Allow) and bodies over the limit (413)
        # use the same schema as everything else.
        known = _HTTP_ERRORS.get(exc.status_code)
        code = known.code if known else "http_error"
        response = _json(ErrorResponse(code=code, message=str(exc.detail)), exc.status_code)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def handle_unexpected_error(_: Request, _exc: Exception) -> Response:
        # Starlette re-raises the exception after this response; the request-id middleware
        # logs its traceback once (src/request_id.py). The client gets no internals.
        return _json(ErrorResponse(code=AppError.code, message=AppError.message), 500)
