"""Production packaging: linters on the image and CI files, and the image's steps run for real.

No Docker engine is needed: the Dockerfile's install step (`uv sync --frozen --no-dev`)
and its start command run on this machine in a copy of the build context filtered by
.dockerignore, with the image's environment, and must serve from two worker processes.
"""

import fnmatch
import http.client
import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import (
    ANSWER_SETS,
    IMAGE_SETS,
    Project,
    child_pids,
    clean_env,
    free_port,
    postgres_database,
    request,
    run,
    stop,
)


@dataclass
class Dockerfile:
    """The instructions of the last stage that matter here, and every `uv sync` of the build."""

    syncs: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    user: str = ""

    @classmethod
    def parse(cls, path: Path) -> "Dockerfile":
        text = path.read_text("utf-8").replace("\\\n", " ")
        lines = [line.strip() for line in text.splitlines()]
        result = cls()
        for line in (line for line in lines if line and not line.startswith("#")):
            keyword, _, rest = line.partition(" ")
            if keyword == "FROM":
                result.env, result.user = {}, ""
            elif keyword == "RUN" and "uv sync" in rest:
                words = [word for word in shlex.split(rest) if not word.startswith("--mount=")]
                result.syncs.append(" ".join(words))
            elif keyword == "ENV":
                result.env.update(word.split("=", 1) for word in shlex.split(rest))
            elif keyword == "CMD":
                result.cmd = json.loads(rest)
            elif keyword == "HEALTHCHECK":
                result.healthcheck = json.loads(rest.split(" CMD ", 1)[1])
            elif keyword == "USER":
                result.user = rest
        return result


@pytest.fixture(params=list(ANSWER_SETS))
def project(request: pytest.FixtureRequest, rendered) -> Project:
    return rendered(request.param)


def test_dockerfile_passes_hadolint(project: Project) -> None:
    result = run("hadolint", project.backend / "Dockerfile", cwd=project.backend)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_passes_actionlint(project: Project) -> None:
    result = run("actionlint", "-no-color", cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load((project.root / ".github/workflows/ci.yml").read_text("utf-8"))
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    for command in ("ruff check", "ruff format --check", "mypy", "pytest", "docker build"):
        assert any(command in step for step in steps), command
    services = workflow["jobs"]["test"].get("services", {})
    assert ("postgres" in services) is (project.answers["database"] == "postgresql")
    assert ("redis" in services) is (project.answers["task_queue"] == "celery")


def test_compose_runs_the_chosen_services(project: Project) -> None:
    compose = yaml.safe_load((project.root / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    expected = {"migrate", "api"}
    if project.answers["database"] == "postgresql":
        expected.add("db")
    if project.answers["task_queue"] == "celery":
        expected |= {"worker", "redis"}
    assert set(services) == expected
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on a missing service"
        if "image" in service:  # built services get their healthcheck from the Dockerfile
            assert service["healthcheck"]["test"], name
    assert services["api"]["environment"]["ENVIRONMENT"] == "production"
    assert Dockerfile.parse(project.backend / "Dockerfile").healthcheck


def test_dockerfile_is_multi_stage_locked_and_non_root(project: Project) -> None:
    dockerfile = Dockerfile.parse(project.backend / "Dockerfile")
    assert dockerfile.syncs[-1] == "uv sync --frozen --no-dev"
    assert all("--frozen" in sync and "--no-dev" in sync for sync in dockerfile.syncs)
    assert dockerfile.user not in {"", "root", "0"}
    text = (project.backend / "Dockerfile").read_text("utf-8")
    assert text.count("\nFROM ") == 2
    assert "--workers" in " ".join(dockerfile.cmd)
    assert "WEB_CONCURRENCY" in " ".join(dockerfile.cmd)


def test_pre_commit_hooks_pass(rendered) -> None:
    project = rendered("defaults")
    config = yaml.safe_load((project.root / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= hooks
    result = run("pre-commit", "run", "--all-files", "--color=never", cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert project.check("git", "status", "--porcelain") == ""


# --- the image's steps, outside Docker ---------------------------------------


def build_context(backend: Path, destination: Path) -> Path:
    """Copy backend/ as `docker build` would send it, without what .dockerignore lists."""
    patterns = [
        line.strip().removeprefix("**/").rstrip("/")
        for line in (backend / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(_: str, names: list[str]) -> set[str]:
        return {name for name in names if any(fnmatch.fnmatch(name, p) for p in patterns)}

    shutil.copytree(backend, destination, ignore=ignored)
    return destination


def connection_owner(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """The process holding the server side of a loopback TCP connection (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
            if (local, remote) == (server_port, client_port):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in candidates:
        try:
            if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
        except OSError:
            continue
    return None


@dataclass
class Image:
    app: Path  # the build context after the Dockerfile's install step
    dockerfile: Dockerfile
    env: dict[str, str]  # the container's environment


@pytest.fixture(params=IMAGE_SETS)
def image(request: pytest.FixtureRequest, rendered, tmp_path: Path) -> Iterator[Image]:
    project = rendered(request.param)
    dockerfile = Dockerfile.parse(project.backend / "Dockerfile")
    app = build_context(project.backend, tmp_path / "app")
    assert not {".env", ".venv", "tests", "Dockerfile"} & {path.name for path in app.iterdir()}
    for sync in dockerfile.syncs:
        result = run("sh", "-c", sync, cwd=app)
        assert result.returncode == 0, result.stderr
    venv = app / ".venv" / "bin"
    assert run(venv / "python", "-c", "import pytest", cwd=app).returncode != 0, "dev installed"
    env = {**dockerfile.env, "PATH": f"{venv}:{os.environ['PATH']}", "SECRET_KEY": "k" * 48}
    with ExitStack() as stack:
        if project.answers["database"] == "postgresql":
            env["DATABASE_URL"] = stack.enter_context(postgres_database("image"))
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{app / 'app.db'}"
            env["ALLOW_SQLITE_IN_PRODUCTION"] = "true"
        result = run("alembic", "upgrade", "head", cwd=app, env=clean_env(**env))
        assert result.returncode == 0, result.stderr
        yield Image(app, dockerfile, env)


def test_image_steps_serve_from_two_workers(image: Image) -> None:
    port = free_port()
    env = clean_env(**{**image.env, "PORT": str(port), "WEB_CONCURRENCY": "2"})
    assert env["ENVIRONMENT"] == "production"
    server = subprocess.Popen(
        image.dockerfile.cmd,
        cwd=image.app,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    connections: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 60
        while True:  # poll readiness of the master's socket, not a fixed delay
            assert server.poll() is None, f"server exited:\n{server.stdout.read()}"
            assert time.monotonic() < deadline, "server did not answer within 60 s"
            try:
                if request(f"http://127.0.0.1:{port}/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        health = run(*image.dockerfile.healthcheck, cwd=image.app, env=env, timeout=30)
        assert health.returncode == 0, health.stderr

        # `exec` in the CMD makes the shell the uvicorn master; its children are the workers.
        workers = child_pids(server.pid)
        served_by: set[int] = set()
        deadline = time.monotonic() + 30
        while len(served_by) < 2:  # keep connections open until both workers answered one
            assert time.monotonic() < deadline, f"only {served_by} served of {workers}"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/health/ready")
            connections.append(connection)
            client_port = connection.sock.getsockname()[1]
            response = connection.getresponse()
            assert response.status == 200, response.read()
            response.read()
            # Read again: on a busy machine the second worker may start after the first 200.
            workers = child_pids(server.pid)
            owner = connection_owner(port, client_port, workers)
            if owner is not None:  # None: the server already closed it (a loaded machine)
                served_by.add(owner)
        assert served_by <= workers
    finally:
        for connection in connections:
            connection.close()
        stop(server)
    assert not any(Path(f"/proc/{pid}").exists() for pid in served_by), "workers outlived"
