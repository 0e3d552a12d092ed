"""Render the template with real copier and give tests a handle on the result.

Renders are expensive (copier + `uv lock` + `uv sync`), so each answer set is
rendered once per test worker and shared by the tests that only read it.
"""

import json
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "py311-postgresql-no-docs-no-sdk": {
        "python_version": "3.11",
        "auth": "none",
        "docs_environments": [],
        "modules": [],
        "include_sdk_example": False,
        "database": "postgresql",
    },
    "py313-celery-docs-everywhere": {
        "python_version": "3.13",
        "docs_environments": ["local", "staging", "production"],
        "modules": ["posts", "orders", "user_profiles"],
        "task_queue": "celery",
    },
    "unicode-name-postgresql-celery": {
        "project_name": 'Café d\u2019Été "Quoted" \u2013 東京',  # RUF001 look-alikes
        "docs_environments": ["local"],
        "include_sdk_example": False,
        "include_cpu_example": False,
        "database": "postgresql",
        "task_queue": "celery",
    },
}
# Module names the template refuses, with the message: copier.yml's validator (a list
# answer after posts) and `manage new-module` (one name, in a project with posts) print
# the same one. tests/test_module_names.py tries many more without a process each.
NOT_A_MODULE_NAME = (
    "is not a module name: use lowercase letters, digits and single underscores, "
    "starting with a letter (example: user_profiles)"
)
MODULE_NAME_ERRORS: dict[str, str] = {
    "Class": f'"Class" {NOT_A_MODULE_NAME}',
    "class": '"class" is a Python keyword: choose another (example: class_items)',
    "1abc": f'"1abc" {NOT_A_MODULE_NAME}',
    "health": '"health" is taken by the project skeleton: choose another',
    "a-b": f'"a-b" {NOT_A_MODULE_NAME}',
    "user__profiles": f'"user__profiles" {NOT_A_MODULE_NAME}',
    "a" * 31: f'"{"a" * 31}" is 31 characters long: 30 at most',
    "statements": '"statements" is taken by the project skeleton: choose another',
    # Beside posts (both tests have it); auth's tables are reserved even without auth.
    "post": '"post" would make table "post", already used by module "posts": choose another name',
    "user_accounts": (
        '"user_accounts" would make table "user_account", already used by module "auth": '
        "choose another name"
    ),
}
# The four sets cover database x task_queue: each is booted against real servers.
BOOT_SETS = list(ANSWER_SETS)
# The image's steps differ by database only: one set of each.
IMAGE_SETS = ["defaults", "py311-postgresql-no-docs-no-sdk"]

# Time limit of a rendered project's whole test suite (fuzzing, real servers): about
# 2.5 min alone on 2 cores, twice that beside the other renders of a parallel run.
SUITE_TIMEOUT = 600

# The PostgreSQL server of the tests (.ci/run starts one there): user:password@host:port.
POSTGRES = os.environ.get("TEMPLATE_TEST_POSTGRES", "postgres:postgres@127.0.0.1:5432")


def pytest_configure(config: pytest.Config) -> None:
    config.option.template = str(ROOT)  # pytest-copie renders this repository


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for commands run inside a rendered project."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "ENVIRONMENT"}}
    env.update(extra)
    return env


def run(
    *command: str | Path, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def copier_copy(
    destination: Path, *options: str | Path, copier: str | Path = "copier", **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """`copier copy [options] <this template at HEAD> <destination>`, as a user runs it."""
    command = [copier, "copy", "--vcs-ref", "HEAD", *options, ROOT, destination]
    return run(*command, cwd=destination.parent, **kwargs)


def psql(sql: str) -> str:
    result = run("psql", f"postgresql://{POSTGRES}/postgres", "-Atc", sql, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def postgres_url(database: str) -> str:
    return f"postgresql+asyncpg://{POSTGRES}/{database}"


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database with a unique name; dropped when the block ends."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def request(
    url: str, method: str = "GET", body: object = None, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        url, data=data, method=method, headers=sent
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def log_in(base: str, email: str) -> dict[str, str]:
    """Register `email` on a booted auth=jwt server and log in (the OAuth2 password form):
    the Authorization header of its access token."""
    password = "correct horse battery staple"  # noqa: S105 - a test account's
    status, body = request(base + "/auth/register", "POST", {"email": email, "password": password})
    assert status == 201, body
    form = urllib.parse.urlencode({"username": email, "password": password}).encode()
    token = urllib.request.Request(base + "/auth/token", data=form, method="POST")  # noqa: S310
    with urllib.request.urlopen(token, timeout=60) as response:  # noqa: S310
        return {"Authorization": f"Bearer {json.load(response)['access_token']}"}


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a process started by a test, by its PID: SIGTERM, then SIGKILL after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def child_pids(parent: int) -> set[int]:
    """The processes whose parent is `parent` (from /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == parent:
            children.add(int(stat.parent.name))
    return children


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Project:
    root: Path
    answers: dict[str, Any] = field(default_factory=dict)
    # Environment of every command run in the project (e.g. its DATABASE_URL).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def backend(self) -> Path:
        return self.root / "backend"

    def run(self, *command: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("env", clean_env(**self.env))
        return run(*command, cwd=self.backend, **kwargs)

    def check(self, *command: str | Path, **kwargs: Any) -> str:
        result = self.run(*command, **kwargs)
        shown = " ".join(map(str, command))
        assert result.returncode == 0, f"{shown}:\n{result.stdout}{result.stderr}"
        return result.stdout

    def files(self) -> list[Path]:
        skip = {".git", ".venv", "__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}
        return [
            path
            for path in self.root.rglob("*")
            if path.is_file() and not skip.intersection(path.relative_to(self.root).parts)
        ]


@pytest.fixture(scope="session")
def rendered(copie_session: Any) -> Callable[[str], Project]:
    """Render an answer set once (with its copy tasks) and install its backend with uv."""
    cache: dict[str, Project] = {}

    def render(name: str) -> Project:
        if name not in cache:
            result = copie_session.copy(extra_answers=ANSWER_SETS[name])
            assert result.exit_code == 0, result.exception
            project = Project(result.project_dir, result.answers)
            if project.answers["database"] == "postgresql":
                # Not created: the project's own tests make `<name>_test_<hex>` on this server.
                project.env["DATABASE_URL"] = postgres_url(f"t{secrets.token_hex(4)}")
            project.check("uv", "sync", "--frozen", "--quiet")
            cache[name] = project
        return cache[name]

    return render


@pytest.fixture(scope="session")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """This template as a git repository tagged with an old version and the newest one."""
    from tests.releases import build  # here: tests.releases imports this module

    return build(tmp_path_factory.mktemp("releases") / "template")
