"""Production refuses unsafe settings; allowed hosts and browser origins come from settings."""

from collections.abc import Iterator

import httpx2
import pytest

from src.config import Environment, Settings, get_settings
from src.main import create_app
from tests.client import running

UNSAFE = [
    ("SECRET_KEY", "", "SECRET_KEY must be set to at least 32 characters in production"),
    ("DATABASE_ECHO", "true", "DATABASE_ECHO must be false in production"),
    ("ASYNCIO_DEBUG", "true", "ASYNCIO_DEBUG must be false in production"),
    ("ALLOW_SQLITE_IN_PRODUCTION", "false", "DATABASE_URL is SQLite in production"),
]


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A safe production environment (over backend/.env); each test spoils one setting."""
    for name, value in {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_ECHO": "false",
        "ASYNCIO_DEBUG": "false",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_safe_production_settings_start(production_env: pytest.MonkeyPatch) -> None:
    assert get_settings().ENVIRONMENT is Environment.PRODUCTION


@pytest.mark.parametrize(("name", "value", "line"), UNSAFE, ids=[name for name, *_ in UNSAFE])
def test_unsafe_setting_is_refused_in_one_line(
    production_env: pytest.MonkeyPatch, name: str, value: str, line: str
) -> None:
    production_env.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        get_settings()
    assert str(refused.value).startswith(line)
    assert "\n" not in str(refused.value)


def test_every_unsafe_setting_is_listed(production_env: pytest.MonkeyPatch) -> None:
    for name, value, _ in UNSAFE:
        production_env.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        get_settings()
    lines = str(refused.value).splitlines()
    assert [line.split()[0] for line in lines] == [line.split()[0] for *_, line in UNSAFE]


def test_invalid_value_names_the_setting(production_env: pytest.MonkeyPatch) -> None:
    production_env.setenv("THREADPOOL_TOKENS", "many")
    with pytest.raises(SystemExit, match=r"^THREADPOOL_TOKENS: Input should be a valid integer"):
        get_settings()


async def test_unknown_host_is_refused(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/health")).status_code == 200
    response = await client.get("/health", headers={"Host": "evil.example"})
    assert response.status_code == 400


async def test_no_cross_origin_access_by_default(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_listed_origin_gets_cors_headers(settings: Settings) -> None:
    allowed = settings.model_copy(update={"CORS_ORIGINS": ["https://app.example"]})
    async with running(create_app(allowed)) as client:
        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        response = await client.options("/posts", headers=preflight)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://app.example"
        other = {**preflight, "Origin": "https://evil.example"}
        assert (await client.options("/posts", headers=other)).status_code == 400
