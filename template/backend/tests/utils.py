"""Helpers shared by the tests (fixtures live in conftest.py).

`running(app)`: an async HTTP client wired to the app in-process, with its lifespan running.
`serve(env, log)`: the project's real server (`fastapi run`) on a free loopback port.
`ancestors(span, spans)`: the spans above `span`, its parent first.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx2
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan

BACKEND = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    # httpx's ASGITransport does not run the lifespan; LifespanManager does.
    async with LifespanManager(app) as manager:
        transport = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(
    env: Mapping[str, str], log: Path, *, deadline: float = 30, entrypoint: str | None = None
) -> Iterator[str]:
    """Run `fastapi run` (this project's, from its environment) until the block ends.

    `env` is added to this process's environment; the server's output goes to `log`.
    `entrypoint` replaces src.main:app (a test's app: tests/planted_app.py).
    Yields the base URL once /health answers 200; the server is stopped by its PID.
    """
    port = free_port()
    fastapi = Path(sys.executable).parent / "fastapi"
    command = [str(fastapi), "run", "--host", "127.0.0.1", "--port", str(port)]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - the project's own CLI, fixed arguments
            command, cwd=BACKEND, env={**os.environ, **env}, stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        give_up = time.monotonic() + deadline
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"the server did not start:\n{log.read_text('utf-8')}")
            time.sleep(0.05)  # between two polls of /health, not a wait for it
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/health", timeout=1).status_code == 200
    except httpx2.TransportError:
        return False


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[ReadableSpan]:
    by_id = {s.context.span_id: s for s in spans}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain
