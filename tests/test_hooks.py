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

from tests.conftest import ROOT, clean_env, run

pytestmark = pytest.mark.xdist_group("lone-copier")


@pytest.fixture(scope="module")
def lone_copier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("lone-copier") / "venv"
    for command in (
        ["uv", "venv", "--quiet", "--python", "3.11", venv],
        ["uv", "pip", "install", "--quiet", "--python", venv / "bin" / "python", "copier"],
    ):
        result = run(*command, cwd=venv.parent)
        assert result.returncode == 0, result.stderr
    freeze = run("uv", "pip", "freeze", "--python", venv / "bin" / "python", cwd=venv.parent)
    assert not re.search(r"^(typer|pytest|fastapi)==", freeze.stdout, re.MULTILINE)
    return venv / "bin" / "copier"


def copy(copier: Path, destination: Path, path: str) -> subprocess.CompletedProcess[str]:
    return run(
        copier,
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref",
        "HEAD",
        ROOT,
        destination,
        cwd=destination.parent,
        env=clean_env(PATH=path),
        timeout=300,
    )


def test_copy_with_uv_and_git(lone_copier: Path, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    result = copy(lone_copier, destination, os.environ["PATH"])
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
