"""Helpers for tests of logins over HTTP: register, log in, both at once, anonymous calls.

A test that needs a user rather than a login takes conftest's `log_in_new_user` (faster).
"""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account's
# conftest's `log_in_new_user`: an e-mail in, a new user's `Authorization` header out.
LogIn = Callable[[str], Awaitable[dict[str, str]]]


async def register(client: httpx2.AsyncClient, email: str) -> int:
    response = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


async def log_in(client: httpx2.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    return await client.post("/auth/token", data={"username": email, "password": password})


async def register_and_log_in(client: httpx2.AsyncClient, email: str) -> dict[str, str]:
    """A new account's `Authorization` header: pass it as `headers=` to act as that user."""
    await register(client, email)
    response = await log_in(client, email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def anonymous(
    client: httpx2.AsyncClient, method: str, url: str, **kwargs: Any
) -> httpx2.Response:
    """The request without the `Authorization` header that `client` sends by default."""
    request = client.build_request(method, url, **kwargs)
    del request.headers["Authorization"]
    return await client.send(request)
