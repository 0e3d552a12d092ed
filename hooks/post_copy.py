"""Copy-time task: finish a freshly rendered project.

Runs on copier's own interpreter (`{{ _copier_python }}`), so it may use only the
standard library: users run copier through `uvx copier` or `pipx run copier`.
The working directory is the new project. Steps, each idempotent:

1. write backend/.env from backend/.env.example with a fresh random secret;
2. lock the backend's dependencies with `uv lock` when uv is installed;
3. `git init` and make the first commit when the project is not inside a repository.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

SECRET_PLACEHOLDER = "SECRET_KEY=change-me"  # noqa: S105 - the line replaced, not a secret


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def write_env(backend: Path) -> None:
    env, example = backend / ".env", backend / ".env.example"
    if env.exists():
        say("backend/.env exists: kept as is")
        return
    text = example.read_text(encoding="utf-8")
    if SECRET_PLACEHOLDER not in text:
        sys.exit(f"error: {example} has no '{SECRET_PLACEHOLDER}' line to fill in")
    text = text.replace(SECRET_PLACEHOLDER, f"SECRET_KEY={secrets.token_urlsafe(48)}")
    env.write_text(text, encoding="utf-8")
    env.chmod(0o600)
    say("wrote backend/.env with a fresh SECRET_KEY")


def lock(backend: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        say("uv not found: install it (https://docs.astral.sh/uv/) and run `uv lock` in backend/")
        return
    result = subprocess.run(
        [uv, "lock", "--quiet"], cwd=backend, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        say(f"`uv lock` failed ({reason}); run it again in backend/ when you are online")
        return
    say("locked dependencies in backend/uv.lock")


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def first_commit(project: Path, author_name: str, author_email: str) -> None:
    if shutil.which("git") is None:
        say("git not found: initialise the repository yourself (copier update needs one)")
        return
    if git("rev-parse", "--is-inside-work-tree", cwd=project).returncode == 0:
        say("already inside a git repository: no commit made")
        return
    git("init", "--quiet", cwd=project)
    git("add", "--all", cwd=project)
    # Fall back to the template answers when the user has no git identity yet.
    identity: list[str] = []
    if not git("config", "user.name", cwd=project).stdout.strip():
        identity += ["-c", f"user.name={author_name}"]
    if not git("config", "user.email", cwd=project).stdout.strip():
        identity += ["-c", f"user.email={author_email}"]
    message = "Initial commit from template"
    result = git(*identity, "commit", "--quiet", "--no-verify", "-m", message, cwd=project)
    if result.returncode != 0:
        say(f"git commit failed: {result.stderr.strip()}")
        return
    say("initialised git and made the first commit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--author-name", required=True)
    parser.add_argument("--author-email", required=True)
    args = parser.parse_args()
    project = Path.cwd()
    backend = project / "backend"
    write_env(backend)
    lock(backend)
    first_commit(project, args.author_name, args.author_email)


if __name__ == "__main__":
    main()
