"""Boot the rendered backend as real `fastapi run` processes and talk to them over HTTP.

Each database answer is booted against a real server: SQLite in the project's
directory, PostgreSQL in a database created for the module and dropped after it.
"""

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from tests.conftest import (
    BOOT_SETS,
    Project,
    clean_env,
    free_port,
    postgres_database,
    request,
    stop,
)

DOCS_URLS = ["/docs", "/redoc", "/openapi.json"]
# Production over the local backend/.env (which turns ASYNCIO_DEBUG on); safe but for SQLite.
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "s" * 48,
    "ASYNCIO_DEBUG": "false",
    "ALLOW_SQLITE_IN_PRODUCTION": "true",
}
UNSAFE_PRODUCTION = [
    ("SECRET_KEY", "", "SECRET_KEY must be set to at least 32 characters in production"),
    ("DATABASE_ECHO", "true", "DATABASE_ECHO must be false in production"),
    ("ASYNCIO_DEBUG", "true", "ASYNCIO_DEBUG must be false in production"),
    ("ALLOW_SQLITE_IN_PRODUCTION", "false", "DATABASE_URL is SQLite in production"),
]


@pytest.fixture(scope="module", params=BOOT_SETS)
def project(request: pytest.FixtureRequest, rendered) -> Iterator[Project]:
    """The project with its database migrated (a fresh PostgreSQL database when chosen)."""
    project = rendered(request.param)
    with ExitStack() as stack:
        if project.answers["database"] == "postgresql":
            url = stack.enter_context(postgres_database("boot"))
            project = Project(project.root, project.answers, {**project.env, "DATABASE_URL": url})
        project.check("uv", "run", "--frozen", "alembic", "upgrade", "head")
        yield project


def test_migrations_match_models_and_revert(project: Project) -> None:
    alembic = ("uv", "run", "--frozen", "alembic")
    assert "No new upgrade operations detected" in project.check(*alembic, "check")
    project.check(*alembic, "downgrade", "base")
    assert project.check(*alembic, "current").strip() == ""
    project.check(*alembic, "upgrade", "head")
    assert "(head)" in project.check(*alembic, "current")
    assert "No new upgrade operations detected" in project.check(*alembic, "check")


@contextmanager
def server(project: Project, *args: str, **env: str) -> Iterator[str]:
    """`fastapi run` on a free loopback port; stopped by PID when the block ends."""
    port = free_port()
    fastapi = project.backend / ".venv" / "bin" / "fastapi"
    process = subprocess.Popen(
        [fastapi, "run", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=project.backend,
        env=clean_env(**{**project.env, **env}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # poll readiness: the condition, not a fixed delay
            assert process.poll() is None, f"server exited:\n{process.stdout.read()}"
            assert time.monotonic() < deadline, "server did not answer within 60 s"
            try:
                if request(base + "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        stop(process)


def test_local_serves_docs_and_persists_posts(project: Project) -> None:
    docs = 200 if "local" in project.answers["docs_environments"] else 404
    with server(project, ENVIRONMENT="local") as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [docs, docs, docs]
        status, body = request(base + "/posts", "POST", {"title": "Over HTTP", "body": "a b a"})
        assert status == 201, body
        post_id = json.loads(body)["id"]
        assert request(base + "/health/ready") == (200, b'{"status":"ok","database":"ok"}')
        status, body = request(f"{base}/posts/{post_id}/stats")  # runs in a worker process
        assert (status, json.loads(body)["top_words"][0]) == (200, {"word": "a", "count": 2})
    with server(project, ENVIRONMENT="local") as base:  # the row outlives the process
        status, body = request(f"{base}/posts/{post_id}")
        assert (status, json.loads(body)["title"]) == (200, "Over HTTP")


def test_production_hides_docs(project: Project) -> None:
    with server(project, **PRODUCTION) as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [404, 404, 404]
        assert request(base + "/health")[0] == 200


@pytest.mark.parametrize(
    ("name", "value", "line"), UNSAFE_PRODUCTION, ids=[name for name, *_ in UNSAFE_PRODUCTION]
)
def test_production_refuses_an_unsafe_setting(rendered, name: str, value: str, line: str) -> None:
    project = rendered("defaults")
    result = project.run(
        project.backend / ".venv" / "bin" / "fastapi",
        "run",
        "--port",
        str(free_port()),
        env=clean_env(**{**PRODUCTION, name: value}),
        timeout=60,
    )
    assert result.returncode != 0
    refusal = result.stderr.strip().splitlines()[-1]
    assert refusal.startswith(line), result.stderr
    assert "Traceback" not in result.stderr
