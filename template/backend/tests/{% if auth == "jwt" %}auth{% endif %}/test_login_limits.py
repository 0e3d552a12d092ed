"""Failed logins are limited per account and per client address, across processes.

Two real servers (`fastapi run`, production settings) share one database, as the
worker processes of one deployment do; the requests alternate between them, so a
limit kept in one process's memory would let twice as many through.
"""

import secrets
from collections.abc import Iterator
from itertools import cycle

import httpx2
import pytest

from tests.auth.utils import PASSWORD
from tests.conftest import fresh_database
from tests.utils import serve

PER_ACCOUNT = 3
PER_ADDRESS = 5
WINDOW = 120


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    directory = tmp_path_factory.mktemp("limits")
    with fresh_database(directory) as url:
        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(36),
            "DATABASE_URL": url,
            "ALLOW_SQLITE_IN_PRODUCTION": "true",
            "ASYNCIO_DEBUG": "false",
            "AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT": str(PER_ACCOUNT),
            "AUTH_LOGIN_ATTEMPTS_PER_ADDRESS": str(PER_ADDRESS),
            "AUTH_LOGIN_WINDOW_SECONDS": str(WINDOW),
        }
        with (
            serve(env, directory / "first.log") as first,
            serve(env, directory / "second.log") as second,
        ):
            yield [first, second]


def log_in(server: str, email: str, password: str) -> httpx2.Response:
    return httpx2.post(
        f"{server}/auth/token", data={"username": email, "password": password}, timeout=30
    )


def assert_limited(response: httpx2.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "too_many_login_attempts"
    assert 1 <= int(response.headers["retry-after"]) <= WINDOW


def test_failed_logins_are_limited_across_processes(two_servers: list[str]) -> None:
    servers = cycle(two_servers)
    created = httpx2.post(
        f"{two_servers[0]}/auth/register",
        json={"email": "target@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert created.status_code == 201, created.text

    # Per account: PER_ACCOUNT failures, then even the right password waits.
    for _ in range(PER_ACCOUNT):
        assert log_in(next(servers), "target@example.com", "guess!guess").status_code == 401
    assert_limited(log_in(next(servers), "target@example.com", "guess!guess"))
    assert_limited(log_in(next(servers), "target@example.com", PASSWORD))

    # Per address: the failures so far count too; other accounts fill the address's quota.
    for index in range(PER_ADDRESS - PER_ACCOUNT):
        assert log_in(next(servers), f"other{index}@example.com", "guess").status_code == 401
    assert_limited(log_in(next(servers), "someone@example.com", "guess"))
    assert_limited(log_in(next(servers), "someone@example.com", "guess"))
