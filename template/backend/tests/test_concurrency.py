"""The helpers of src/concurrency.py under real threads and processes."""

import functools
import os
import signal
import threading
import time
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import pytest
from blockbuster import BlockingError

from src.concurrency import ProcessPool, ThreadBudget, run_in_process, run_sync
from src.exceptions import (
    CPUJobTimeoutError,
    ExternalServiceTimeoutError,
    WorkerPoolUnavailableError,
)


class Gate:
    """A blocking call that waits until the test opens the gate, counting callers."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.active = self.peak = 0

    def call(self) -> str:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        self.entered.release()
        try:
            self.opened.wait(timeout=10)
            return "done"
        finally:
            with self.lock:
                self.active -= 1

    async def wait_entered(self, count: int) -> None:
        for _ in range(count):
            await anyio.to_thread.run_sync(self.entered.acquire)


async def test_run_sync_caps_concurrency_per_budget() -> None:
    gate, budget = Gate(), ThreadBudget("test", max_concurrency=2, timeout=10)
    results: list[str] = []

    async def one_call() -> None:
        results.append(await run_sync(gate.call, budget=budget))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(one_call)
        await gate.wait_entered(2)
        await anyio.wait_all_tasks_blocked()
        statistics = budget.limiter.statistics()
        assert (statistics.borrowed_tokens, statistics.tasks_waiting) == (2, 3)
        gate.opened.set()
    assert results == ["done"] * 5
    assert gate.peak == 2


async def test_run_sync_times_out_and_keeps_the_slot_until_the_thread_returns() -> None:
    gate, budget = Gate(), ThreadBudget("Slow service", max_concurrency=1, timeout=0.2)
    with pytest.raises(
        ExternalServiceTimeoutError, match=r"Slow service did not answer within 0\.2 s"
    ):
        await run_sync(gate.call, budget=budget)
    # The abandoned thread still runs, so the only slot is taken: the next call times out too.
    with pytest.raises(ExternalServiceTimeoutError):
        await run_sync(str, budget=budget)
    gate.opened.set()
    with anyio.fail_after(5):
        await budget.limiter.acquire()  # freed as soon as the thread returns
    budget.limiter.release()


async def test_run_sync_passes_errors_through() -> None:
    budget = ThreadBudget("test", max_concurrency=1, timeout=5)
    with pytest.raises(ZeroDivisionError):
        await run_sync(functools.partial(divmod, 1, 0), budget=budget)
    assert budget.limiter.borrowed_tokens == 0


def sdk_that_times_out() -> None:
    raise TimeoutError("the SDK gave up on its own")


async def test_run_sync_reports_the_sdk_timeout_as_it_was() -> None:
    budget = ThreadBudget("test", max_concurrency=1, timeout=10)
    with anyio.fail_after(5), pytest.raises(TimeoutError, match="the SDK gave up on its own"):
        await run_sync(sdk_that_times_out, budget=budget)
    assert budget.limiter.borrowed_tokens == 0


@pytest.fixture
async def process_pool() -> AsyncIterator[ProcessPool]:
    pool = await ProcessPool.start(workers=1, job_timeout=10)
    yield pool
    await pool.close()


async def test_run_in_process_runs_in_another_process(process_pool: ProcessPool) -> None:
    worker_pid = await run_in_process(process_pool, os.getpid)
    assert worker_pid != os.getpid()


async def test_a_killed_worker_gives_one_503_then_a_new_pool(process_pool: ProcessPool) -> None:
    worker_pid = await run_in_process(process_pool, os.getpid)
    os.kill(worker_pid, signal.SIGKILL)
    with anyio.fail_after(10):
        while not process_pool.broken:  # noqa: ASYNC110 - set by the executor's own thread
            await anyio.sleep(0.01)
    with pytest.raises(WorkerPoolUnavailableError):
        await run_in_process(process_pool, os.getpid)
    assert not process_pool.broken
    assert await run_in_process(process_pool, os.getpid) not in {worker_pid, os.getpid()}


async def test_a_job_that_exits_its_worker_gives_503(process_pool: ProcessPool) -> None:
    with pytest.raises(WorkerPoolUnavailableError):
        await run_in_process(process_pool, os._exit, 1)
    assert await run_in_process(process_pool, divmod, 7, 2) == (3, 1)


def stuck(seconds: float) -> None:
    """A job that overruns (runs in a worker process, where blockbuster is not active)."""
    time.sleep(seconds)


async def test_a_job_over_its_time_limit_is_killed(process_pool: ProcessPool) -> None:
    worker_pid = await run_in_process(process_pool, os.getpid)  # started within the 10 s
    process_pool.job_timeout = 1
    started = time.monotonic()
    with pytest.raises(CPUJobTimeoutError):
        await run_in_process(process_pool, stuck, 60)
    assert time.monotonic() - started < 6
    with pytest.raises(ProcessLookupError):  # the stuck process is gone, slot and all
        os.kill(worker_pid, 0)
    process_pool.job_timeout = 10  # a new process starts within it, even on a busy machine
    assert await run_in_process(process_pool, os.getpid) != worker_pid


async def test_blocking_call_on_the_event_loop_fails_the_test() -> None:
    with pytest.raises(BlockingError):
        time.sleep(0.001)  # noqa: ASYNC251 - the point of the test
