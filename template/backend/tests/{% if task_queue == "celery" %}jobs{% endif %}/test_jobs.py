"""Jobs through a real Redis broker and a real Celery worker (in a thread of this process).

The worker listens only to this run's queue (tests/conftest.py sets CELERY_QUEUE), so a
worker of the running app never takes the tests' jobs, nor the other way round.
"""

import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx2
import pytest
from celery.contrib.testing.worker import start_worker

from src.worker import celery_app


@pytest.fixture(scope="module")
def worker() -> Iterator[None]:
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


async def finished(client: httpx2.AsyncClient, job_id: str) -> dict[str, Any]:
    """Poll the status route until the job ends (bounded by a deadline)."""
    with anyio.fail_after(30):
        while True:
            response = await client.get(f"/jobs/{job_id}")
            assert response.status_code == 200, response.text
            job: dict[str, Any] = response.json()
            if job["state"] in {"SUCCESS", "FAILURE"}:
                return job
            await anyio.sleep(0.05)


async def test_cpu_job_runs_on_a_worker(client: httpx2.AsyncClient, worker: None) -> None:
    response = await client.post("/jobs/primes", json={"limit": 100})
    assert response.status_code == 202
    queued = response.json()
    assert queued["state"] == "SENT"
    job = await finished(client, queued["id"])
    assert job["state"] == "SUCCESS"
    assert (job["result"]["limit"], job["result"]["primes"]) == (100, 25)


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_io_job_fetches_the_url(client: httpx2.AsyncClient, worker: None, site: str) -> None:
    response = await client.post("/jobs/url-checks", json={"url": site})
    assert response.status_code == 202
    job = await finished(client, response.json()["id"])
    assert job["state"] == "SUCCESS"
    assert (job["result"]["url"], job["result"]["status_code"]) == (site, 204)


async def test_unknown_job_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/jobs/00000000-0000-4000-8000-000000000000")
    assert (response.status_code, response.json()["code"]) == (404, "job_not_found")


async def test_bad_input_is_422(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/jobs/not-a-uuid")).status_code == 422
    assert (await client.post("/jobs/primes", json={"limit": 1})).status_code == 422
    assert (await client.post("/jobs/url-checks", json={"url": "nope"})).status_code == 422
