"""Boot the rendered backend as a real `fastapi run` process and talk to it over HTTP."""

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import Project, clean_env, free_port

DOCS_URLS = ["/docs", "/redoc", "/openapi.json"]
STRONG_SECRET = "s" * 48

pytestmark = pytest.mark.xdist_group("rendered-defaults")  # shares the default project


@pytest.fixture(scope="module")
def project(rendered) -> Project:
    project = rendered("defaults")
    project.check("uv", "run", "--frozen", "alembic", "upgrade", "head")
    return project


def test_migrations_match_models_and_revert(project: Project) -> None:
    alembic = ("uv", "run", "--frozen", "alembic")
    assert "No new upgrade operations detected" in project.check(*alembic, "check")
    project.check(*alembic, "downgrade", "base")
    assert project.check(*alembic, "current").strip() == ""
    project.check(*alembic, "upgrade", "head")
    assert "(head)" in project.check(*alembic, "current")


def request(url: str, method: str = "GET", body: object = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def server(project: Project, **env: str) -> Iterator[str]:
    """`fastapi run` on a free loopback port; stopped by PID when the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [
            project.backend / ".venv" / "bin" / "fastapi",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=project.backend,
        env=clean_env(**env),
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
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def test_local_serves_docs_and_persists_posts(project: Project) -> None:
    with server(project, ENVIRONMENT="local") as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [200, 200, 200]
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
    with server(project, ENVIRONMENT="production", SECRET_KEY=STRONG_SECRET) as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [404, 404, 404]
        assert request(base + "/health")[0] == 200


def test_production_refuses_to_start_without_a_secret(project: Project) -> None:
    # backend/.env holds a secret; an explicit empty value overrides it.
    result = project.run(
        project.backend / ".venv" / "bin" / "fastapi",
        "run",
        "--port",
        str(free_port()),
        env=clean_env(ENVIRONMENT="production", SECRET_KEY=""),
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 32 characters in production" in result.stderr
