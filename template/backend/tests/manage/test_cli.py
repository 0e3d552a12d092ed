"""The `manage` commands, run as a user runs them: in a subprocess, on this backend or on
a copy of it with problems planted (never in the real src/).

Sync tests on purpose: they wait for subprocesses, which must not happen on an event loop.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from src.config import Environment, Settings
from src.main import create_app

BACKEND = Path(__file__).resolve().parents[2]
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<rule>[\w-]+): (?P<message>.+)$")

HELPER = """\
import time


def wait() -> None:
    time.sleep(0.01)
"""
ROUTES = """

import time

from src.health import helpers


@router.get("/undocumented")  # <- undocumented
async def undocumented() -> Liveness:
    return Liveness()


@router.get("/slow", status_code=200, summary="Slow", description="Waits, blocking.")
async def slow() -> Liveness:
    time.sleep(0.01)  # <- sleep
    helpers.wait()  # <- helper
    time.sleep(0.01)  # noqa: ASYNC251 (silenced by its code)
    helpers.wait()  # noqa: MNG102
    return Liveness()
"""


def manage(
    *args: str, cwd: Path = BACKEND, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "manage.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def line_of(path: Path, mark: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.endswith(mark))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the backend with an undocumented route, a time.sleep in an async route
    and a blocking helper called from it."""
    root = tmp_path_factory.mktemp("planted")
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("src", "manage"):
        shutil.copytree(BACKEND / name, root / name, ignore=ignore)
    shutil.copy(BACKEND / "pyproject.toml", root)  # ruff's settings
    (root / "src/health/helpers.py").write_text(HELPER, encoding="utf-8")
    with (root / "src/health/router.py").open("a", encoding="utf-8") as router:
        router.write(ROUTES)
    return root


def test_check_passes_on_the_project() -> None:
    result = manage("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")


def test_check_reports_each_planted_problem_at_its_line(planted: Path) -> None:
    result = manage("check", cwd=planted)
    assert result.returncode == 1, result.stderr
    findings = [FINDING.match(line) for line in result.stdout.splitlines()]
    assert all(findings), result.stdout
    router = planted / "src/health/router.py"
    found = {(m["path"], int(m["line"]), m["rule"]): m["message"] for m in findings if m}
    sleep = ("src/health/router.py", line_of(router, "# <- sleep"), "ASYNC251")
    helper = ("src/health/router.py", line_of(router, "# <- helper"), "blocking-helper")
    route = ("src/health/router.py", line_of(router, "# <- undocumented"), "route-docs")
    assert set(found) == {sleep, helper, route}
    assert "src.health.helpers.wait()" in found[helper]
    assert "time.sleep (src/health/helpers.py:5)" in found[helper]
    assert found[route].startswith("GET /health/undocumented: set status_code explicitly")
    assert result.stderr.strip() == "3 finding(s) (2 silenced by # noqa)"


def test_check_says_in_one_line_why_the_app_does_not_import(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("src", "manage"):
        shutil.copytree(BACKEND / name, tmp_path / name, ignore=ignore)
    shutil.copy(BACKEND / "pyproject.toml", tmp_path)
    with (tmp_path / "src/health/schemas.py").open("a", encoding="utf-8") as schemas:
        schemas.write("\nraise RuntimeError('Table post is already defined')\n")
    result = manage("check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: the app does not import: RuntimeError: Table post is already defined\n"
    )


def test_check_lists_its_rules() -> None:
    result = manage("check", "--list")
    assert result.returncode == 0, result.stderr
    rules = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines()}
    assert rules["blocking-call"] == "MNG101"
    assert {"cpu-bound", "naming-convention", "route-docs", "cross-domain-import"} <= set(rules)


def test_routes_lists_the_documented_app() -> None:
    result = manage("routes")
    assert result.returncode == 0, result.stdout + result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["METHOD", "PATH", "STATUS", "RESPONSE", "MODEL", "DOCUMENTED"]
    assert any(row.split()[:2] == ["GET", "/health"] for row in rows)
    assert all(row.endswith(" yes") for row in rows)


def test_routes_fails_on_an_undocumented_route(planted: Path) -> None:
    result = manage("routes", cwd=planted)
    assert result.returncode == 1
    [row] = [row for row in result.stdout.splitlines() if "/health/undocumented" in row]
    assert row.split()[2:4] == ["-", "Liveness"]
    assert row.endswith("no: set status_code explicitly")


def test_openapi_exports_the_schema_where_docs_are_hidden(tmp_path: Path) -> None:
    secret = secrets.token_hex(32)
    production = Settings(
        _env_file=None,
        ENVIRONMENT=Environment.PRODUCTION,
        DOCS_ENVIRONMENTS=set(),  # whatever the project's default
        SECRET_KEY=secret,
        ALLOW_SQLITE_IN_PRODUCTION=True,  # ignored where the database is not SQLite
    )
    app = create_app(production)
    assert app.openapi_url is None  # the premise: production serves no schema
    # A CI job: production, docs hidden, and no secret or .env (run from tmp_path).
    env = {
        **{name: value for name, value in os.environ.items() if name != "SECRET_KEY"},
        "PYTHONPATH": str(BACKEND),
        "ENVIRONMENT": "production",
        "DOCS_ENVIRONMENTS": "[]",
    }
    output = tmp_path / "openapi.json"
    written = manage("openapi", "--output", str(output), cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    assert json.loads(output.read_text("utf-8")) == app.openapi()
    printed = manage("openapi", cwd=tmp_path, env=env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == output.read_text("utf-8")
    assert printed.stdout.endswith("}\n")
