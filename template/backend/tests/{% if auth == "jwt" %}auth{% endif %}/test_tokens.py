"""Access tokens: every token the app did not issue, or no longer honours, is a 401
in the error schema with `WWW-Authenticate: Bearer`."""

import base64
import json
import time
from typing import Any

import httpx2
import jwt
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from manage.routes import inspection_app
from src.auth.models import UserAccount
from src.config import Settings
from tests.auth.utils import PASSWORD, log_in, register


def assert_unauthorized(response: httpx2.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"code", "message", "details", "request_id"}
    assert body["code"] == "not_authenticated"


def unsigned(header: dict[str, str], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    encoded = [json.dumps(header).encode(), json.dumps(claims).encode(), signature]
    return ".".join(part(item) for item in encoded)


def claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": str(user_id), "iat": now, "exp": now + 300, **changes}


async def me(client: httpx2.AsyncClient, token: str | None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get("/auth/me", headers=headers)


async def test_a_valid_token_names_its_user(client: httpx2.AsyncClient) -> None:
    user_id = await register(client, "Ada@Example.com")
    response = await log_in(client, "ada@EXAMPLE.com")  # e-mails ignore case
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    answer = await me(client, token)
    assert answer.status_code == 200
    assert answer.json()["id"] == user_id
    assert answer.json()["email"] == "ada@example.com"


async def test_an_e_mail_registers_once_whatever_its_case(client: httpx2.AsyncClient) -> None:
    await register(client, "grace@example.com")
    response = await client.post(
        "/auth/register", json={"email": "GRACE@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


async def test_no_token_is_refused(client: httpx2.AsyncClient) -> None:
    assert_unauthorized(await me(client, None))
    assert_unauthorized(await client.get("/auth/me", headers={"Authorization": "Basic eDp5"}))
    assert_unauthorized(await me(client, "not-a-jwt"))


def forged(user_id: int, key: str) -> dict[str, str]:
    """Tokens for `user_id` that the app must refuse, by what is wrong with them."""
    good = jwt.encode(claims(user_id), key, algorithm="HS256")
    head, body, signature = good.split(".")
    tampered_claims = claims(user_id + 1)
    tampered_body = jwt.encode(tampered_claims, key, algorithm="HS256").split(".")[1]
    return {
        "expired": jwt.encode(claims(user_id, exp=int(time.time()) - 1), key, algorithm="HS256"),
        "tampered signature": f"{head}.{body}.{signature[:-4]}AAAA",
        "tampered claims": f"{head}.{tampered_body}.{signature}",
        "other key": jwt.encode(claims(user_id), key + "x", algorithm="HS256"),
        "HS512, same key": jwt.encode(claims(user_id), key, algorithm="HS512"),
        "RS256 header": unsigned({"alg": "RS256", "typ": "JWT"}, claims(user_id), b"sig"),
        "alg none": unsigned({"alg": "none", "typ": "JWT"}, claims(user_id)),
        "no exp": jwt.encode(without(claims(user_id), "exp"), key, algorithm="HS256"),
        "no iat": jwt.encode(without(claims(user_id), "iat"), key, algorithm="HS256"),
        "no sub": jwt.encode(without(claims(user_id), "sub"), key, algorithm="HS256"),
        "sub not a user id": jwt.encode(claims(user_id, sub="admin"), key, algorithm="HS256"),
    }


def without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in claims.items() if key != name}


CASES = list(forged(1, "k" * 64))


@pytest.mark.parametrize("case", CASES)
async def test_a_forged_or_stale_token_is_refused(
    client: httpx2.AsyncClient, settings: Settings, case: str
) -> None:
    user_id = await register(client, "eve@example.com")
    key = settings.SECRET_KEY.get_secret_value()
    assert (
        await me(client, jwt.encode(claims(user_id), key, algorithm="HS256"))
    ).status_code == 200
    assert_unauthorized(await me(client, forged(user_id, key)[case]))


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
async def test_the_token_of_a_gone_user_is_refused(
    client: httpx2.AsyncClient, connection: AsyncConnection, change: str
) -> None:
    user_id = await register(client, "bob@example.com")
    token = (await log_in(client, "bob@example.com")).json()["access_token"]
    assert (await me(client, token)).status_code == 200
    row = UserAccount.__table__.c.id == user_id
    if change == "deactivated":
        await connection.execute(sa.update(UserAccount).where(row).values(is_active=False))
    else:
        await connection.execute(sa.delete(UserAccount).where(row))
    assert_unauthorized(await me(client, token))


def test_the_401_is_documented_with_its_header() -> None:
    responses = inspection_app().openapi()["paths"]["/auth/me"]["get"]["responses"]
    assert responses["401"]["headers"] == {"WWW-Authenticate": {"schema": {"type": "string"}}}
    assert responses["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
