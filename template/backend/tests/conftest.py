"""Test infrastructure: a migrated SQLite file, the app with its lifespan, an async client.

Each test gets its own copy of a database migrated once per run, so tests never
see each other's rows. blockbuster fails any test that blocks the event loop.
"""

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest
from alembic.config import Config
from blockbuster import BlockBuster, blockbuster_ctx
from fastapi import FastAPI

from alembic import command

os.environ["ENVIRONMENT"] = "testing"  # before src reads its settings

from src.config import Environment, Settings
from src.main import create_app
from tests.utils import running

BACKEND = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    # Any blocking call made on the event loop raises BlockingError: the test fails.
    with blockbuster_ctx() as bb:
        yield bb


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "migrated.db"
    config = Config(BACKEND / "alembic.ini")
    config.attributes["database_url"] = f"sqlite+aiosqlite:///{path}"
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    database = tmp_path / "test.db"
    shutil.copyfile(migrated_database, database)
    return Settings(
        _env_file=None,
        ENVIRONMENT=Environment.TESTING,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        PROCESS_POOL_WORKERS=1,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with running(app) as client:
        yield client
