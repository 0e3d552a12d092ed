"""Where blocking and CPU-bound work goes, so the event loop never waits.

- Non-blocking I/O: `async def` and `await` (the default for routes here).
- A blocking SDK: `await run_sync(client.method, arg, budget=...)` with the
  client's own `ThreadBudget`, so one slow vendor cannot take all the threads
  that `def` routes and sync dependencies share, and a hung call ends in a 504.
- CPU-bound work: `await run_in_process(pool, func, arg)` on the process pool
  owned by the lifespan; threads do not help there because of the GIL.
"""

import asyncio
import contextlib
import math
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request

from src.exceptions import ExternalServiceTimeoutError

T = TypeVar("T")

# Threads for SDK calls come from here; their count is capped by each ThreadBudget.
_UNCAPPED = anyio.CapacityLimiter(math.inf)


class ThreadBudget:
    """Thread capacity and a deadline reserved for one blocking SDK client."""

    def __init__(self, service: str, *, max_concurrency: int, timeout: float) -> None:
        self.service = service
        self.limiter = anyio.CapacityLimiter(max_concurrency)
        self.timeout = timeout


async def run_sync(func: Callable[..., T], /, *args: Any, budget: ThreadBudget) -> T:
    """Run a blocking call in a worker thread within `budget`.

    Waiting for a free slot counts toward the deadline. On timeout the caller gets
    `ExternalServiceTimeoutError` at once; the thread cannot be killed, so it keeps its
    slot until the call really returns (give the SDK its own timeout too).
    """
    loop = asyncio.get_running_loop()
    borrower = object()
    started = threading.Event()

    def release() -> None:
        with contextlib.suppress(RuntimeError):  # already released by the other path
            budget.limiter.release_on_behalf_of(borrower)

    def call() -> T:
        started.set()
        try:
            return func(*args)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(release)

    try:
        with anyio.fail_after(budget.timeout):
            await budget.limiter.acquire_on_behalf_of(borrower)
            try:
                return await anyio.to_thread.run_sync(
                    call, abandon_on_cancel=True, limiter=_UNCAPPED
                )
            except BaseException:
                if not started.is_set():
                    release()
                raise
    except TimeoutError as exc:
        raise ExternalServiceTimeoutError(
            f"{budget.service} did not answer within {budget.timeout:g} s."
        ) from exc


async def get_process_pool(request: Request) -> ProcessPoolExecutor:
    pool: ProcessPoolExecutor = request.state.process_pool
    return pool


ProcessPoolDep = Annotated[ProcessPoolExecutor, Depends(get_process_pool)]


async def run_in_process(pool: ProcessPoolExecutor, func: Callable[..., T], /, *args: Any) -> T:
    """Run CPU-bound `func(*args)` in a worker process.

    `func` and its arguments are pickled: use a module-level function and plain data.
    Submitting may start a worker process, so it happens off the event loop.
    """
    future = await anyio.to_thread.run_sync(pool.submit, func, *args)
    return await asyncio.wrap_future(future)
