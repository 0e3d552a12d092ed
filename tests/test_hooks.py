"""The copy tasks on a copier installed alone (as `uvx copier` / `pipx run copier` do).

The hooks may use only the standard library and what copier itself installs,
so they run here on an interpreter that has copier and nothing else.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clean_env, copier_copy, run
from tests.releases import install_copier, min_copier_version

pytestmark = pytest.mark.xdist_group("lone-copier")


@pytest.fixture(scope="module")
def lone_copier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copier = install_copier(tmp_path_factory.mktemp("lone-copier"))
    freeze = run("uv", "pip", "freeze", "--python", copier.parent / "python", cwd=copier.parent)
    assert not re.search(r"^(typer|pytest|fastapi)==", freeze.stdout, re.MULTILINE)
    return copier


@pytest.fixture(scope="module")
def oldest_copier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The oldest copier copier.yml accepts (_min_copier_version), alone."""
    copier = install_copier(tmp_path_factory.mktemp("oldest-copier"), min_copier_version())
    version = run(copier, "--version", cwd=copier.parent).stdout.split()
    assert version == ["copier", min_copier_version()]
    return copier


def copy(
    copier: Path, destination: Path, path: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return copier_copy(
        destination,
        "--trust",
        "--defaults",
        *options,
        copier=copier,
        env=clean_env(PATH=path),
        timeout=300,
    )


@pytest.mark.parametrize("copier", ["lone_copier", "oldest_copier"])
def test_copy_with_uv_and_git(copier: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    destination = tmp_path / "project"
    result = copy(request.getfixturevalue(copier), destination, os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    assert "locked dependencies in backend/uv.lock" in result.stdout
    assert "initialised git and made the first commit" in result.stdout
    assert (destination / "backend" / "uv.lock").is_file()
    env = destination / "backend" / ".env"
    assert oct(env.stat().st_mode & 0o777) == "0o600"
    assert "SECRET_KEY=change-me" not in env.read_text("utf-8")
    log = run("git", "log", "--format=%s", cwd=destination).stdout.splitlines()
    assert log == ["Initial commit from template"]
    assert run("git", "status", "--porcelain", cwd=destination).stdout == ""
    # The message after copy: the next commands, runnable as printed.
    steps = [line.strip() for line in result.stderr.splitlines()]
    start = steps.index("My API is ready. Next:")
    assert steps[start + 2 : start + 5] == [
        f"cd {destination}/backend",
        "uv run alembic upgrade head && uv run fastapi dev   # http://127.0.0.1:8000/docs",
        "uv run pytest                                         # the project's own tests",
    ]


def test_copy_without_uv_prints_a_hint_and_carries_on(lone_copier: Path, tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None
    tools = tmp_path / "bin"  # git, and nothing else: no uv
    tools.mkdir()
    (tools / "git").symlink_to(git)
    destination = tmp_path / "project"
    result = copy(lone_copier, destination, f"{tools}:/bin")
    assert result.returncode == 0, result.stderr
    assert "uv not found: install it" in result.stdout
    assert not (destination / "backend" / "uv.lock").exists()
    assert (destination / "backend" / ".env").is_file()
    assert run("git", "rev-parse", "HEAD", cwd=destination).returncode == 0


def test_copy_into_an_existing_repository_makes_no_commit(
    lone_copier: Path, tmp_path: Path
) -> None:
    assert run("git", "init", "--quiet", cwd=tmp_path).returncode == 0
    destination = tmp_path / "services" / "api"
    destination.parent.mkdir()
    result = copy(lone_copier, destination, os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    assert "already inside a git repository: no commit made" in result.stdout
    assert not (destination / ".git").exists()
    assert run("git", "rev-parse", "--verify", "HEAD", cwd=tmp_path).returncode != 0


MISSING_EXAMPLE = (
    "error: backend/.env.example is missing (excluded with --exclude?): the copy task writes "
    "backend/.env from it; copy again without excluding it, or with --skip-tasks"
)
TASK_FAILED = re.compile(r"Task \[.*/hooks/post_copy\.py.*\] returned non-zero exit status 1\.")


def test_failing_task_leaves_no_new_destination(lone_copier: Path, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    result = copy(lone_copier, destination, os.environ["PATH"], "--exclude", "backend/.env.example")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-2] == MISSING_EXAMPLE
    assert TASK_FAILED.fullmatch(lines[-1])
    assert "Traceback" not in result.stderr
    assert not destination.exists()


def test_failing_task_in_an_existing_directory_writes_nothing_of_its_own(
    lone_copier: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "project"
    destination.mkdir()
    result = copy(lone_copier, destination, os.environ["PATH"], "--exclude", "backend/.env.example")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2] == MISSING_EXAMPLE
    # copier removes only a directory it created: the rendered files stay (README).
    assert (destination / "backend" / "pyproject.toml").is_file()
    # The hook checked before writing: no .env, no lock, no repository.
    assert not (destination / "backend" / ".env").exists()
    assert not (destination / "backend" / "uv.lock").exists()
    assert not (destination / ".git").exists()
