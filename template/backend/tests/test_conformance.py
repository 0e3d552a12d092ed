"""Every API route follows the documentation rules, including routes added later.

Rules: explicit status code, summary, description and tags; a response model
(return annotation) unless 204; every error status documented with the shared
ErrorResponse schema; 422 documented where the route takes input; every error a
dependency declares with @raises documented; no response_class override (it
loses pydantic-core's direct JSON serialization).
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from src.config import Environment, Settings
from src.exceptions import ErrorResponse
from src.main import create_app

APP = create_app(Settings(_env_file=None, ENVIRONMENT=Environment.TESTING))
# iter_route_contexts resolves included routers the way the OpenAPI generator does.
ROUTES = [
    route for route in iter_route_contexts(APP.routes) if isinstance(route.original_route, APIRoute)
]


def route_id(route: RouteContext) -> str:
    return f"{','.join(sorted(route.methods))} {route.path}"


def dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from dependants(sub)


def declared_raises(route: RouteContext) -> Iterator[Any]:
    for dependant in dependants(route.dependant):
        yield from getattr(dependant.call, "__raises__", ())


def takes_input(route: RouteContext) -> bool:
    return any(
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        for dependant in dependants(route.dependant)
    )


def test_the_app_has_routes() -> None:
    assert len(ROUTES) >= 3


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_is_documented(route: RouteContext) -> None:
    assert route.status_code is not None, "set status_code explicitly"
    assert route.summary, "set summary"
    assert route.description, "set description"
    assert route.tags, "set tags (on the router or the route)"
    if route.status_code != 204:
        assert route.response_model is not None, "annotate the return type"
    assert isinstance(route.response_class, DefaultPlaceholder), (
        "do not set response_class: it bypasses pydantic-core serialization"
    )


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_documents_its_errors(route: RouteContext) -> None:
    documented = {int(code): spec for code, spec in route.responses.items()}
    for code, spec in documented.items():
        if code >= 400:
            assert spec.get("model") is ErrorResponse, f"{code} must use ErrorResponse"
    if takes_input(route):
        assert 422 in documented, "document 422: the route validates input"
    for error in declared_raises(route):
        assert error.status_code in documented, f"a dependency raises {error.__name__}"


def test_openapi_schema_builds() -> None:
    schema = APP.openapi()
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
