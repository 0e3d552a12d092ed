"""Request ids: accepted when well-formed, generated otherwise, on every response (errors
from middleware and 500s included), in the error body and in the request's log lines."""

import logging
import re

import httpx2
import pytest
from fastapi import FastAPI

from src.config import Settings
from src.logs import JSONFormatter
from src.main import create_app
from tests.utils import running

GENERATED = re.compile(r"[0-9a-f]{32}")


async def test_a_well_formed_id_is_kept(client: httpx2.AsyncClient) -> None:
    for request_id in ("a", "proxy-7.Z_9", "x" * 64):
        response = await client.get("/health", headers={"X-Request-ID": request_id})
        assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("request_id", ["", "x" * 65, "has space", "new\tline", "é", "a/b"])
async def test_a_malformed_id_is_replaced(client: httpx2.AsyncClient, request_id: str) -> None:
    # Raw bytes: a header httpx would refuse to encode still reaches the server.
    header = [(b"x-request-id", request_id.encode())]
    response = await client.get("/health", headers=header)
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_each_request_gets_its_own_id(client: httpx2.AsyncClient) -> None:
    ids = {(await client.get("/health")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(GENERATED.fullmatch(request_id) for request_id in ids)


async def test_errors_of_middleware_and_routing_carry_the_id(client: httpx2.AsyncClient) -> None:
    rejected_host = await client.get("/health", headers={"Host": "evil.example"})
    unknown_path = await client.get("/no-such-path", headers={"X-Request-ID": "mine"})
    for response, status in ((rejected_host, 400), (unknown_path, 404)):
        assert response.status_code == status
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert unknown_path.headers["x-request-id"] == "mine"


async def test_a_500_carries_the_id_and_its_log_line_too(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    async with running(app) as client:
        response = await client.get("/broken", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "trace-me"
    assert response.json() == {
        "code": "internal_error",
        "message": "Internal server error.",
        "details": [],
        "request_id": "trace-me",
    }
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    line = JSONFormatter().format(record)
    assert '"request_id": "trace-me"' in line
    assert "RuntimeError: a bug" in line  # the traceback, once


@pytest.mark.parametrize("access_log", [True, False])
async def test_each_request_ends_with_one_access_line_unless_turned_off(
    settings: Settings, caplog: pytest.LogCaptureFixture, access_log: bool
) -> None:
    app = create_app(settings.model_copy(update={"ACCESS_LOG": access_log}))
    with caplog.at_level(logging.INFO):
        async with running(app) as client:
            response = await client.get("/health?token=s3cr3t")
    lines = [record for record in caplog.records if record.name == "access"]
    if not access_log:
        assert lines == []
        return
    [line] = lines  # uvicorn's own access line is off
    assert line.getMessage().startswith("GET /health 200 ")  # then the duration
    assert getattr(line, "request_id", None) == response.headers["x-request-id"]
    assert "s3cr3t" not in caplog.text
