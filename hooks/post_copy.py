"""Copy-time task: finish a freshly rendered project.

Runs on copier's own interpreter (`{{ _copier_python }}`), so it may use only the
standard library: users run copier through `uvx copier` or `pipx run copier`.
The working directory is the new project. Steps:

1. write the auth tables' migration when src/auth/ was rendered (auth=jwt), then
   create the domain modules of the `modules` answer, with the project's own renderers,
   backend/manage/auth_tables.py and skeleton.py (standard library and Jinja2, which
   copier has), the ones the update migration and `uv run manage new-module` use;
2. write backend/.env from backend/.env.example with a fresh random secret;
3. lock the backend's dependencies with `uv lock` when uv is installed;
4. `git init` and make the first commit when the project is not inside a repository.

What the steps need is checked before any of them writes: when it is missing, the
hook prints one `error:` line and exits 1 having written nothing, and copier then
removes the destination if it created it. Steps 2 and 3 only say what to do by hand
when uv or git is missing or fails: the project works without them.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

SECRET_PLACEHOLDER = "SECRET_KEY=change-me"  # noqa: S105 - the line the hook replaces


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def env_problem(backend: Path) -> str | None:
    """Why backend/.env cannot be written, or None."""
    env, example = backend / ".env", backend / ".env.example"
    if env.exists():
        return None
    if not example.is_file():
        return (
            "backend/.env.example is missing (excluded with --exclude?): the copy task "
            "writes backend/.env from it; copy again without excluding it, or with --skip-tasks"
        )
    if SECRET_PLACEHOLDER not in example.read_text(encoding="utf-8"):
        return f"backend/.env.example has no '{SECRET_PLACEHOLDER}' line to fill in"
    return None


def write_env(backend: Path) -> None:
    env, example = backend / ".env", backend / ".env.example"
    if env.exists():
        say("backend/.env exists: kept as is")
        return
    text = example.read_text(encoding="utf-8")
    text = text.replace(SECRET_PLACEHOLDER, f"SECRET_KEY={secrets.token_urlsafe(48)}")
    # Readable by the owner only from the start (the secret is never world-readable).
    fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    say("wrote backend/.env with a fresh SECRET_KEY")


def create_modules(backend: Path, names: list[str]) -> None:
    # The auth tables first: the modules' migrations follow them in the history.
    manage(backend, "manage.auth_tables")
    if names:
        manage(backend, "manage.skeleton", *names)


def manage(backend: Path, module: str, *args: str) -> None:
    # A child process run from backend/ imports the project's `manage` package as is.
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=backend,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        sys.exit(reason if reason.startswith("error: ") else f"error: {reason}")
    for line in result.stdout.splitlines():
        say(line.strip())


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
    result = git(
        *identity,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        "Initial commit from template",
        cwd=project,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        say(f"git commit failed ({reason}): everything is staged, commit it yourself")
        return
    say("initialised git and made the first commit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--author-name", required=True)
    parser.add_argument("--author-email", required=True)
    parser.add_argument("--modules", default="", help="module names, separated by spaces")
    args = parser.parse_args()
    project = Path.cwd()
    backend = project / "backend"
    problem = env_problem(backend)
    if problem:
        sys.exit(f"error: {problem}")
    create_modules(backend, args.modules.split())
    write_env(backend)
    lock(backend)
    first_commit(project, args.author_name, args.author_email)


if __name__ == "__main__":
    main()
