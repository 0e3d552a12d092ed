"""Every API route follows the documentation rules, including routes added later.

The rules live in manage/routes.py (shared with `manage routes` and `manage check`):
explicit status code, summary, description and tags; a response model unless 204;
every error status documented with the shared ErrorResponse schema; 422 documented
where the route takes input; every error a dependency declares with @raises
documented; no response_class override.
"""

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import RouteContext

from manage.routes import api_routes, documentation_problems, inspection_app, route_id
from src.exceptions import NotFoundError, raises

APP = inspection_app()
ROUTES = api_routes(APP)


def test_the_app_has_routes() -> None:
    assert len(ROUTES) >= 3


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_is_documented(route: RouteContext) -> None:
    assert documentation_problems(route) == []


def test_the_rules_catch_undocumented_routes() -> None:
    @raises(NotFoundError)
    async def find_item(item_id: int) -> int:
        return item_id

    router = APIRouter()

    @router.get("/bare/{item_id}", response_class=JSONResponse)
    async def bare(item_id: Annotated[int, Depends(find_item)]):  # type: ignore[no-untyped-def]
        return {}

    @router.get(
        "/half",
        status_code=200,
        summary="Half",
        description="Documents one error with the wrong schema.",
        tags=["half"],
        responses={404: {"description": "Missing."}},
    )
    async def half() -> None:
        return None

    app = FastAPI()
    app.include_router(router)
    problems = {route_id(route): documentation_problems(route) for route in api_routes(app)}
    assert problems == {
        "GET /bare/{item_id}": [
            "set status_code explicitly",
            "set summary",
            "set description",
            "set tags (on the router or the route)",
            "annotate the return type (the response model)",
            "do not set response_class: it bypasses pydantic-core serialization",
            "document 422: the route validates input",
            "document 404: a dependency raises NotFoundError (@raises)",
        ],
        "GET /half": [
            "annotate the return type (the response model)",
            "document 404 with ErrorResponse (error_responses())",
        ],
    }


def test_openapi_schema_builds() -> None:
    schema = APP.openapi()
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
