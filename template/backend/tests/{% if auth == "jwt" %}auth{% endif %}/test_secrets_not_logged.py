"""No password, token or SECRET_KEY in the log lines of the real server (production
settings) through the whole account flow, failures included."""

import secrets

import httpx2

from tests.conftest import Server
from tests.test_operations import wait_for_line


def test_the_account_flow_logs_no_secret(planted_server: Server) -> None:
    email = f"{secrets.token_hex(6)}@example.com"
    password = f"pw-{secrets.token_urlsafe(16)}"
    with httpx2.Client(base_url=planted_server.url) as client:
        credentials = {"email": email, "password": password}
        assert client.post("/auth/register", json=credentials).status_code == 201
        form = {"username": email, "password": password}
        first = client.post("/auth/token", data=form).json()
        second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        tokens = second.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get("/auth/me", headers=bearer).status_code == 200
        wrong = {"username": email, "password": f"{password}-wrong"}
        assert client.post("/auth/token", data=wrong).status_code == 401
        # A refresh token used twice: the family is revoked (a security event).
        reused = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert reused.status_code == 401
        client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    wait_for_line(planted_server.log, lambda line: "/auth/logout" in line["message"])
    logged = planted_server.log.read_text("utf-8")
    assert "/auth/refresh" in logged  # the flow is in the log...
    for secret in (
        password,
        first["access_token"],
        first["refresh_token"],
        tokens["access_token"],
        tokens["refresh_token"],
        planted_server.secret_key,
    ):
        assert secret not in logged  # ...its secrets are not
