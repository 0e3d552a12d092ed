"""The benchmark's PostgreSQL chores, run with a venv that has asyncpg.

    python pg_admin.py create|drop DB
    python pg_admin.py log DB on|off          # log_statement='all' for new connections
    python pg_admin.py count DB BASE REQUESTS  # statements per list, POST and PATCH

Connects as BENCH_POSTGRES (user:password@host:port). `count` sends REQUESTS of each
kind to the server at BASE, one at a time, and counts the statements the server logged
for DB meanwhile; it prints JSON, or {"error": ...} when the log cannot be read.
"""

import asyncio
import json
import os
import re
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs

SERVER = os.environ.get("BENCH_POSTGRES", "postgres:postgres@127.0.0.1:5432")


async def connect(database: str = "postgres") -> asyncpg.Connection:
    return await asyncpg.connect(f"postgresql://{SERVER}/{database}")


async def log_file(admin: asyncpg.Connection) -> str:
    """The server's current log: the logging collector's, or the Debian cluster's file."""
    path = await admin.fetchval("SELECT pg_current_logfile()")
    if path:
        directory = await admin.fetchval("SHOW data_directory")
        return str(path) if path.startswith("/") else f"{directory}/{path}"
    cluster = (await admin.fetchval("SHOW cluster_name")).replace("/", "-")
    return f"/var/log/postgresql/postgresql-{cluster}.log"


def call(base: str, method: str, path: str, body: dict[str, Any] | None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        response.read()


async def count(database: str, base: str, requests: int) -> dict[str, Any]:
    admin = await connect()
    try:
        path = await log_file(admin)
        # Read through the server (a superuser may): the file is often not ours to read.
        await admin.fetchval("SELECT pg_read_file($1, 0, 1)", path)
    except asyncpg.PostgresError as exc:
        return {"error": f"the statement log cannot be read: {exc}"}
    kinds: dict[str, Callable[[int], None]] = {
        "list": lambda n: call(base, "GET", "/posts", None),
        "post": lambda n: call(base, "POST", "/posts", {"name": f"Logged {n}"}),
        "patch": lambda n: call(base, "PATCH", f"/posts/{n % 50 + 1}", {"name": "Logged"}),
    }
    statement = re.compile(
        rf"^\S+ \S+ \S+ \[\d+\] \S*@{re.escape(database)} LOG:  (statement|execute)"
    )
    per_request: dict[str, Any] = {"log": path}
    try:
        for kind, send in kinds.items():
            for n in range(3):  # warm-up: connections opened, statements prepared
                send(n)
            start = await admin.fetchval("SELECT (pg_stat_file($1)).size", path)
            for n in range(requests):
                send(n)
            # The marker is logged after every statement of the requests above: once
            # it is in the file, so are they.
            marker = f"bench-marker-{uuid.uuid4().hex}"
            target = await connect(database)
            await target.fetchval(f"SELECT '{marker}'")
            await target.close()
            deadline = time.monotonic() + 10
            while True:
                text = await admin.fetchval("SELECT pg_read_file($1, $2, 100000000)", path, start)
                if marker in text or time.monotonic() > deadline:
                    break
            lines = [line for line in text.splitlines() if statement.match(line)]
            statements = [line for line in lines if marker not in line]
            per_request[kind] = len(statements) / requests
    finally:
        await admin.close()
    return per_request


async def main(command: str, database: str, *args: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        sys.exit(f"error: {database!r} is not a database name this script creates")
    if command == "count":
        print(json.dumps(await count(database, args[0], int(args[1]))))
        return
    admin = await connect()
    try:
        if command == "create":
            await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {database}")
        elif command == "drop":
            await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        elif command == "log":
            setting = "SET log_statement = 'all'" if args[0] == "on" else "RESET log_statement"
            await admin.execute(f"ALTER DATABASE {database} {setting}")
    finally:
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
