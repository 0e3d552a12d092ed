"""Logging in: one answer for every wrong credential, and refresh tokens that work once."""

import statistics
import time

import httpx2
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src.auth.models import UserAccount
from tests.auth.test_tokens import assert_unauthorized, me
from tests.auth.utils import PASSWORD, log_in, register


def assert_wrong_credentials(response: httpx2.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Wrong e-mail or password.",
        "details": [],
        "request_id": response.headers["x-request-id"],
    }


async def test_wrong_password_and_unknown_e_mail_look_the_same(
    client: httpx2.AsyncClient,
) -> None:
    await register(client, "ada@example.com")
    timings: dict[str, list[float]] = {"wrong password": [], "unknown e-mail": []}
    for _ in range(4):  # 8 failures: under the per-address limit, 4 per account
        for case, email in (("wrong password", "ada@example.com"), ("unknown e-mail", "x@y.z")):
            started = time.perf_counter()
            response = await log_in(client, email, "wrong password!")
            timings[case].append(time.perf_counter() - started)
            assert_wrong_credentials(response)
    wrong, unknown = (statistics.median(times) for times in timings.values())
    # Both verify an Argon2 hash (tens of ms); skipping it would make one ~50x faster.
    assert 0.33 < unknown / wrong < 3, timings


async def test_a_deactivated_account_can_neither_log_in_nor_refresh(
    client: httpx2.AsyncClient, connection: AsyncConnection
) -> None:
    user_id = await register(client, "old@example.com")
    tokens = (await log_in(client, "old@example.com")).json()
    deactivate = sa.update(UserAccount).where(UserAccount.id == user_id).values(is_active=False)
    await connection.execute(deactivate)
    assert_wrong_credentials(await log_in(client, "old@example.com"))
    refused = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_refresh_token"


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_family(
    production_server: str,
) -> None:
    """The whole life of a login, over HTTP on the real server with production settings."""
    async with httpx2.AsyncClient(base_url=production_server) as client:
        created = await client.post(
            "/auth/register", json={"email": "flow@example.com", "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        login = await log_in(client, "flow@example.com")
        assert login.status_code == 200, login.text
        first = login.json()
        assert first["token_type"] == "bearer"  # noqa: S105 - the OAuth2 type
        assert (await me(client, first["access_token"])).json()["email"] == "flow@example.com"

        refreshed = await client.post(
            "/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        second = refreshed.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert (await me(client, second["access_token"])).status_code == 200

        # The spent token again: refused, and the family's current token dies with it.
        reused = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert reused.status_code == 401
        assert reused.json()["code"] == "invalid_refresh_token"
        assert reused.headers["www-authenticate"] == "Bearer"
        after = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert after.status_code == 401

        # A new login starts a new family; logging out revokes it.
        third = (await log_in(client, "flow@example.com")).json()
        out = await client.post("/auth/logout", json={"refresh_token": third["refresh_token"]})
        assert out.status_code == 204
        again = await client.post("/auth/refresh", json={"refresh_token": third["refresh_token"]})
        assert again.status_code == 401
        assert_unauthorized(await me(client, None))
