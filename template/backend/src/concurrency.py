"""Where blocking and CPU-bound work goes, so the event loop never waits.

- Non-blocking I/O: `async def` and `await` (the default for routes here).
- A blocking SDK: `await run_sync(client.method, arg, budget=...)` with the
  client's own `ThreadBudget`, so one slow vendor cannot take all the threads
  that `def` routes and sync dependencies share, and a hung call ends in a 504.
- CPU-bound work: `await run_in_process(pool, func, arg)` on the `ProcessPool`
  owned by the lifespan; threads do not help there because of the GIL.
"""

import asyncio
import contextlib
import math
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request

from src.exceptions import (
    CPUJobTimeoutError,
    ExternalServiceTimeoutError,
    WorkerPoolUnavailableError,
)

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
    slot until the call really returns: give the SDK its own total deadline, shorter than
    `budget.timeout`. Errors of `func`, its own TimeoutError included, pass through.
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

    # Only this scope's own expiry is reported as the deadline, not a TimeoutError of func.
    with anyio.move_on_after(budget.timeout):
        await budget.limiter.acquire_on_behalf_of(borrower)
        try:
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True, limiter=_UNCAPPED)
        except BaseException:
            if not started.is_set():
                release()
            raise
    raise ExternalServiceTimeoutError(
        f"{budget.service} did not answer within {budget.timeout:g} s."
    )


def _new_executor(max_workers: int) -> ProcessPoolExecutor:
    # "spawn": forking a process that runs threads can deadlock the child.
    return ProcessPoolExecutor(max_workers, mp_context=multiprocessing.get_context("spawn"))


def _kill(executor: ProcessPoolExecutor) -> None:
    for process in list((executor._processes or {}).values()):
        process.kill()
    executor.shutdown(wait=True, cancel_futures=True)


class ProcessPool:
    """The lifespan's worker processes, replaced when one dies or a job overruns its limit.

    Build it with `await ProcessPool.start(...)`: creating processes touches the disk.
    """

    def __init__(self, executor: ProcessPoolExecutor, *, workers: int, job_timeout: float) -> None:
        self.executor = executor
        self.workers = workers
        self.job_timeout = job_timeout
        # One job per worker: a job's time limit starts when a worker is free for it.
        self.slots = anyio.CapacityLimiter(workers)
        self._replacing = anyio.Lock()

    @classmethod
    async def start(cls, *, workers: int, job_timeout: float) -> "ProcessPool":
        executor = await anyio.to_thread.run_sync(_new_executor, workers)
        return cls(executor, workers=workers, job_timeout=job_timeout)

    @property
    def broken(self) -> bool:
        """True once a worker died: the executor then refuses every job."""
        return self.executor._broken is not False

    async def replace(self, old: ProcessPoolExecutor) -> None:
        """Swap in a new executor and kill `old`'s processes (once, however many callers)."""
        async with self._replacing:
            if self.executor is old:
                self.executor = await anyio.to_thread.run_sync(_new_executor, self.workers)
                await anyio.to_thread.run_sync(_kill, old)

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.executor.shutdown)


async def get_process_pool(request: Request) -> ProcessPool:
    pool: ProcessPool = request.state.process_pool
    return pool


ProcessPoolDep = Annotated[ProcessPool, Depends(get_process_pool)]
# What run_in_process can raise: list them in the route's error_responses(...).
PROCESS_POOL_ERRORS = (WorkerPoolUnavailableError, CPUJobTimeoutError)


async def run_in_process(pool: ProcessPool, func: Callable[..., T], /, *args: Any) -> T:
    """Run CPU-bound `func(*args)` in a worker process, within `pool.job_timeout` seconds
    (counted from submission: the first job of a new pool also starts its process, ~0.4 s).

    `func` and its arguments are pickled: use a module-level function and plain data.
    A dead worker (crash, kill -9, os._exit) gives `WorkerPoolUnavailableError` (503) and a
    new pool; a job over its limit gives `CPUJobTimeoutError` (504), and its process is
    killed with the pool, since a running job cannot be stopped otherwise (jobs running
    beside it at that moment get the 503).
    """
    async with pool.slots:
        executor = pool.executor
        try:
            # Submitting may start a worker process, so it happens off the event loop.
            future = await anyio.to_thread.run_sync(executor.submit, func, *args)
        except RuntimeError as exc:  # broken, or shut down by a replacement meanwhile
            await pool.replace(executor)
            raise WorkerPoolUnavailableError from exc
        try:
            with anyio.move_on_after(pool.job_timeout):
                return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            await pool.replace(executor)
            raise WorkerPoolUnavailableError from exc
        await pool.replace(executor)
        raise CPUJobTimeoutError(f"The work did not finish within {pool.job_timeout:g} s.")
