"""API docs are served only in the environments listed in DOCS_ENVIRONMENTS."""

from src.config import Environment, Settings
from src.main import create_app
from tests.utils import running

DOCS_URLS = ["/docs", "/redoc", "/openapi.json"]


async def fetch_docs(settings: Settings) -> list[int]:
    async with running(create_app(settings)) as client:
        return [(await client.get(url)).status_code for url in DOCS_URLS]


async def test_docs_served_in_listed_environment(settings: Settings) -> None:
    staging = settings.model_copy(
        update={"ENVIRONMENT": Environment.STAGING, "DOCS_ENVIRONMENTS": {Environment.STAGING}}
    )
    assert await fetch_docs(staging) == [200, 200, 200]


async def test_docs_hidden_elsewhere(settings: Settings) -> None:
    production = settings.model_copy(
        update={"ENVIRONMENT": Environment.PRODUCTION, "DOCS_ENVIRONMENTS": {Environment.STAGING}}
    )
    assert await fetch_docs(production) == [404, 404, 404]
