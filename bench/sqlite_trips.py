"""Trips to the SQLite connection's thread per request, counted in the driver.

    python sqlite_trips.py MODULE:APP REQUESTS   # run from a rendered backend/, its venv

Every aiosqlite call (execute, fetch, commit, rollback...) queues a function for the
connection's own thread through `Connection._execute` and waits for it: this counts
those calls while REQUESTS list, POST and PATCH requests go through the app in process
(httpx2's ASGITransport, lifespan running). Prints one JSON object: trips per request.
"""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any

import aiosqlite
import httpx2
from asgi_lifespan import LifespanManager

trips = 0
_execute: Any = aiosqlite.Connection._execute  # untyped in aiosqlite


async def _counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
    global trips
    trips += 1
    return await _execute(self, fn, *args, **kwargs)


aiosqlite.Connection._execute = _counted  # type: ignore[method-assign]


async def main(target: str, requests: int) -> dict[str, float]:
    module, name = target.split(":")
    app = getattr(import_module(module), name)
    calls: dict[str, Callable[[httpx2.AsyncClient, int], Awaitable[httpx2.Response]]] = {
        "list": lambda client, _: client.get("/posts"),
        "post": lambda client, n: client.post("/posts", json={"name": f"Trip {n}"}),
        "patch": lambda client, n: client.patch(f"/posts/{n % 50 + 1}", json={"name": "Tripped"}),
    }
    per_request: dict[str, float] = {}
    async with (
        LifespanManager(app) as manager,
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=manager.app), base_url="http://127.0.0.1"
        ) as client,
    ):
        global trips
        for kind, call in calls.items():
            (await call(client, 0)).raise_for_status()  # first use: connect, configure
            trips = 0
            for n in range(requests):
                (await call(client, n)).raise_for_status()
            per_request[kind] = trips / requests
    return per_request


if __name__ == "__main__":
    sys.path.insert(0, ".")
    print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
