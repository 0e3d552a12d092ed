"""Jobs through a real Redis broker and a real Celery worker (in a thread of this process).

The worker listens only to this run's queue (tests/conftest.py sets CELERY_QUEUE), so a
worker of the running app never takes the tests' jobs, nor the other way round.
"""

import ipaddress
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx2
import pytest
from celery.contrib.testing.worker import start_worker

from src.jobs import urls
from src.worker import celery_app
from tests.utils import serving


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


async def test_cpu_job_runs_on_a_worker(
    client: httpx2.AsyncClient, worker: None, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        "/jobs/primes", json={"limit": 100}, headers={"X-Request-ID": "queued-by-me"}
    )
    assert response.status_code == 202
    queued = response.json()
    assert queued["state"] == "SENT"
    job = await finished(client, queued["id"])
    assert job["state"] == "SUCCESS"
    assert (job["result"]["limit"], job["result"]["primes"]) == (100, 25)
    # The job's log line carries the id of the request that queued it.
    [line] = [r for r in caplog.records if r.getMessage() == "counting the primes below 100"]
    assert line.request_id == "queued-by-me"  # type: ignore[attr-defined]


class Site(BaseHTTPRequestHandler):
    """A local site: 204 on /, a redirect to the address in the path on /to/<address>."""

    def do_GET(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        if self.path.startswith("/to/"):
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", f"http://{self.path.removeprefix('/to/')}/")
        else:
            self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class LocalSite(ThreadingHTTPServer):
    hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with serving(LocalSite(("127.0.0.1", 0), Site)) as server:
        yield server


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the URL check reach the local site (the worker runs in this process)."""
    monkeypatch.setattr(urls, "is_public", lambda address: address.is_loopback)


async def test_io_job_fetches_the_url(
    client: httpx2.AsyncClient, worker: None, site: LocalSite, loopback_is_public: None
) -> None:
    response = await client.post("/jobs/url-checks", json={"url": site.url})
    assert response.status_code == 202
    job = await finished(client, response.json()["id"])
    assert job["state"] == "SUCCESS"
    assert (job["result"]["url"], job["result"]["status_code"]) == (site.url, 204)


async def test_io_job_refuses_a_local_address(
    client: httpx2.AsyncClient, worker: None, site: LocalSite
) -> None:
    response = await client.post("/jobs/url-checks", json={"url": site.url})
    job = await finished(client, response.json()["id"])
    assert (job["state"], job["error"]) == ("FAILURE", "URLNotAllowedError")
    assert site.hits == 0


async def test_io_job_does_not_follow_a_redirect_to_a_private_address(
    client: httpx2.AsyncClient, worker: None, site: LocalSite, loopback_is_public: None
) -> None:
    response = await client.post("/jobs/url-checks", json={"url": f"{site.url}to/10.0.0.1"})
    job = await finished(client, response.json()["id"])
    assert (job["state"], job["error"]) == ("FAILURE", "URLNotAllowedError")
    assert site.hits == 1  # the redirect was read, and not followed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",  # a name that resolves to loopback
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.100.100.200/",  # shared address space (a cloud's metadata too)
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "ftp://example.com/",
    ],
)
def test_url_check_refuses_non_public_addresses(url: str) -> None:
    with pytest.raises(urls.URLNotAllowedError):  # refused before any connection is made
        urls.fetch(url, timeout=1)


def test_public_addresses_pass() -> None:
    assert urls.is_public(ipaddress.ip_address("93.184.215.14"))
    assert urls.is_public(ipaddress.ip_address("2606:4700::6810:85e5"))


async def test_unknown_job_is_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/jobs/00000000-0000-4000-8000-000000000000")
    assert (response.status_code, response.json()["code"]) == (404, "job_not_found")


async def test_bad_input_is_422(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/jobs/not-a-uuid")).status_code == 422
    assert (await client.post("/jobs/primes", json={"limit": 1})).status_code == 422
    assert (await client.post("/jobs/url-checks", json={"url": "nope"})).status_code == 422
