"""Helpers shared by the tests (fixtures live in conftest.py).

`running(app)`: an async HTTP client wired to the app in-process, with its lifespan running.
`serve(env, log)`: the project's real server (`fastapi run`) on a free loopback port.
`ancestors(span, spans)`: the spans above `span`, its parent first.
`serving(server)`: a local HTTP server (a vendor's stand-in) answering in a thread.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from http.server import HTTPServer
from pathlib import Path
from typing import TypeVar

import httpx2
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan

BACKEND = Path(__file__).resolve().parents[1]

S = TypeVar("S", bound=HTTPServer)


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


def image_command() -> list[str]:
    """The Dockerfile's CMD: how the image starts the server (on PORT, WEB_CONCURRENCY workers)."""
    for line in (BACKEND / "Dockerfile").read_text("utf-8").splitlines():
        if line.startswith("CMD "):
            command: list[str] = json.loads(line.removeprefix("CMD "))
            return command
    raise AssertionError("the Dockerfile has no CMD line")


@contextmanager
def serve(
    env: Mapping[str, str],
    log: Path,
    *,
    deadline: float = 30,
    entrypoint: str | None = None,
    command: list[str] | None = None,
) -> Iterator[str]:
    """Run `fastapi run` (this project's, from its environment) until the block ends.

    `env` is added to this process's environment; the server's output goes to `log`.
    `entrypoint` replaces src.main:app (a test's app: tests/planted_app.py). `command`
    replaces `fastapi run` altogether (`image_command()`); it is given the port in PORT.
    Yields the base URL once /health answers 200; the server is stopped by its PID, and
    whatever it left running (workers) by its process group.
    """
    port = free_port()
    bin_dir = Path(sys.executable).parent
    if command is None:
        command = [str(bin_dir / "fastapi"), "run", "--host", "127.0.0.1", "--port", str(port)]
        if entrypoint:
            command += ["--entrypoint", entrypoint]
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"  # the command finds this project's fastapi
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - the project's own commands, fixed arguments
            command,
            cwd=BACKEND,
            env={**os.environ, "PATH": path, "PORT": str(port), **env},
            stdout=output,
            stderr=output,
            start_new_session=True,  # its own process group
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
        with suppress(ProcessLookupError):  # nothing left: the usual case
            os.killpg(server.pid, signal.SIGKILL)


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


@contextmanager
def serving(server: S) -> Iterator[S]:
    """`server` answering in a thread of its own until the block ends, then closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
