"""The route documentation rules, in one place: `manage routes`, `manage check` and
tests/test_conformance.py all use them.

Rules: explicit status code, summary, description and tags; a response model (return
annotation) unless 204; every error status documented with the shared ErrorResponse
schema; 422 documented where the route takes input; every error a dependency declares
with @raises documented; no response_class override (it loses pydantic-core's direct
JSON serialization).
"""

import inspect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from manage.checks.findings import Finding, relative
from src.exceptions import ErrorResponse

RULE = "route-docs"


def inspection_app() -> FastAPI:
    """The app as the code defines it, with testing settings: no secret, no database.

    src.main builds its module-level app from the environment when imported, so the
    environment is set to testing first (as the test suite does).
    """
    os.environ["ENVIRONMENT"] = "testing"
    from src.config import Environment, Settings
    from src.main import create_app

    return create_app(Settings(_env_file=None, ENVIRONMENT=Environment.TESTING))


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every API route, included routers resolved the way the OpenAPI generator does."""
    return [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
    ]


def route_id(route: RouteContext) -> str:
    return f"{','.join(sorted(route.methods or ()))} {route.path}"


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


def documentation_problems(route: RouteContext) -> list[str]:
    """The rules this route breaks, in rule order; empty when it is fully documented."""
    problems = []
    if route.status_code is None:
        problems.append("set status_code explicitly")
    if not route.summary:
        problems.append("set summary")
    if not route.description:
        problems.append("set description")
    if not route.tags:
        problems.append("set tags (on the router or the route)")
    if route.status_code != 204 and route.response_model is None:
        problems.append("annotate the return type (the response model)")
    if not isinstance(route.response_class, DefaultPlaceholder):
        problems.append("do not set response_class: it bypasses pydantic-core serialization")
    documented = {int(code): spec for code, spec in route.responses.items()}
    for code, spec in sorted(documented.items()):
        if code >= 400 and spec.get("model") is not ErrorResponse:
            problems.append(f"document {code} with ErrorResponse (error_responses())")
    if takes_input(route) and 422 not in documented:
        problems.append("document 422: the route validates input")
    for error in declared_raises(route):
        if error.status_code not in documented:
            problems.append(
                f"document {error.status_code}: a dependency raises {error.__name__} (@raises)"
            )
    return problems


def endpoint_location(route: RouteContext, backend: Path) -> tuple[str, int] | None:
    """Where the route's endpoint is written: (path relative to the backend, line)."""
    endpoint = inspect.unwrap(route.endpoint) if route.endpoint else None
    try:
        source = inspect.getsourcefile(endpoint) if endpoint else None
        line = inspect.getsourcelines(endpoint)[1] if source and endpoint else 0
    except (OSError, TypeError):
        return None
    return (relative(Path(source), backend), line) if source else None


def route_findings(app: FastAPI, backend: Path) -> list[Finding]:
    findings = []
    for route in api_routes(app):
        problems = documentation_problems(route)
        if not problems:
            continue
        path, line = endpoint_location(route, backend) or ("<unknown>", 0)
        message = f"{route_id(route)}: {'; '.join(problems)}"
        findings.append(Finding(path, line, RULE, message))
    return findings


@dataclass(frozen=True)
class RouteRow:
    method: str
    path: str
    status: str
    response_model: str
    documented: str


def route_rows(app: FastAPI) -> list[RouteRow]:
    rows = []
    for route in api_routes(app):
        problems = documentation_problems(route)
        rows.append(
            RouteRow(
                method=",".join(sorted(route.methods or ())),
                path=str(route.path),
                status=str(route.status_code or "-"),
                response_model=type_name(route.response_model),
                documented=f"no: {problems[0]}" if problems else "yes",
            )
        )
    return rows


def type_name(annotation: Any) -> str:
    """`list[PostRead]` rather than `list[src.posts.schemas.PostRead]`."""
    if annotation is None:
        return "-"
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", str(annotation))
