from pathlib import Path

import httpx2

from src.config import Settings
from src.main import create_app
from tests.utils import running


async def test_liveness(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_the_database(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_readiness_fails_without_database(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "app.db"
    unreachable = settings.model_copy(update={"DATABASE_URL": f"sqlite+aiosqlite:///{missing}"})
    async with running(create_app(unreachable)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
