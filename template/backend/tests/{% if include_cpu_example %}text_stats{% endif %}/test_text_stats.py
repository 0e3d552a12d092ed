import json
import multiprocessing
import os
import signal

import anyio
import httpx2

from src.config import Settings
from src.text_stats import service
from src.text_stats.constants import TEXT_MAX_LENGTH


async def test_counts_words_in_a_worker_process(client: httpx2.AsyncClient) -> None:
    response = await client.post("/text-stats", json={"text": "The cat and the hat and the bat"})
    assert response.status_code == 200
    stats = response.json()
    assert (stats["words"], stats["unique_words"]) == (8, 5)
    assert stats["top_words"][0] == {"word": "the", "count": 3}


def test_apostrophes_stay_inside_words() -> None:
    stats = service.text_statistics("Don't stop, don't")
    assert (stats.words, stats.top_words[0].word) == (3, "don't")


async def test_missing_text_is_422(client: httpx2.AsyncClient) -> None:
    response = await client.post("/text-stats", json={})
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == ["body.text"]


def kill_workers() -> list[int]:
    """kill -9 the app's worker processes (the only children this test has)."""
    pids = [process.pid for process in multiprocessing.active_children() if process.pid]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


async def test_a_killed_worker_costs_one_503(client: httpx2.AsyncClient) -> None:
    text = {"text": "a b a"}
    assert (await client.post("/text-stats", json=text)).status_code == 200
    assert kill_workers()
    response = await client.post("/text-stats", json=text)
    assert (response.status_code, response.json()["code"]) == (503, "worker_pool_unavailable")
    assert (await client.post("/text-stats", json=text)).status_code == 200


async def test_readiness_reports_a_broken_pool_and_heals_it(client: httpx2.AsyncClient) -> None:
    assert (await client.post("/text-stats", json={"text": "a"})).status_code == 200
    assert kill_workers()
    with anyio.fail_after(10):
        # Until the pool notices its dead worker (its own thread does).
        while (response := await client.get("/health/ready")).status_code == 200:  # noqa: ASYNC110
            await anyio.sleep(0.01)
    assert (response.status_code, response.json()["code"]) == (503, "worker_pool_unavailable")
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.post("/text-stats", json={"text": "a"})).status_code == 200


def test_the_longest_text_fits_the_body_limit(settings: Settings) -> None:
    longest = json.dumps({"text": "\U0001f600" * TEXT_MAX_LENGTH})  # 12 bytes a character
    assert len(longest.encode()) <= settings.MAX_REQUEST_BODY_BYTES
