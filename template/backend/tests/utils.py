"""Helpers shared by the tests (fixtures live in conftest.py).

`running(app)`: an async HTTP client wired to the app in-process, with its lifespan running.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from asgi_lifespan import LifespanManager
from fastapi import FastAPI


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    # httpx's ASGITransport does not run the lifespan; LifespanManager does.
    async with LifespanManager(app) as manager:
        transport = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client
