"""What the update hooks know of the project: its last commit and its working tree.

Copier runs `_migrations` in the project's directory, after the merge and before
anything is committed: HEAD is the project as it was before the update, the working
tree is the project after it. The project may sit anywhere in its repository (a
monorepo's services/api/), so every path given to git here is relative to the
current directory: `HEAD:./path` (a bare `HEAD:path` would be read from the root).
Standard library only: the hooks run on copier's own interpreter.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ANSWERS = ".copier-answers.yml"


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def run_backend_module(module: str, *args: str, hint: str) -> None:
    """`python -m module args` in backend/ on copier's interpreter (it imports the project's
    own `manage` package); its output is said line by line. On failure, exit with its last
    error line and `hint`, what to do by hand."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd="backend",
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        say(line.strip())
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        sys.exit(f"{reason} ({hint})")


def git(
    *args: str, cwd: Path | str = ".", stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def at_head(path: str | Path) -> bytes | None:
    """A file of the project as its last commit has it; None when it had none."""
    result = git("show", f"HEAD:./{Path(path).as_posix()}")
    return result.stdout if result.returncode == 0 else None


def files_at_head(*paths: str | Path) -> list[Path]:
    """Every file under `paths` in the last commit, relative to the project."""
    listed = git("ls-tree", "-r", "--name-only", "-z", "HEAD", "--", *map(str, paths))
    return [Path(name) for name in listed.stdout.decode().split("\0") if name]


def dirs_at_head(path: str | Path) -> set[str]:
    """The names of the folders directly under `path` in the last commit."""
    listed = git("ls-tree", "-d", "--name-only", "-z", "HEAD", "--", f"{Path(path).as_posix()}/")
    return {Path(name).name for name in listed.stdout.decode().split("\0") if name}


def old_template_commit() -> str | None:
    """The template commit the project was last rendered from: `_commit` of the answers
    file in the last commit, a tag (`0.3.0`), a `git describe` (`0.3.0-2-gabc1234`) or,
    from an untagged template repository, a short hash. Each is a valid git revision."""
    answers = at_head(ANSWERS)
    if answers is None:
        return None
    match = re.search(r"^_commit: *['\"]?([^'\"\s]+)", answers.decode("utf-8", "replace"), re.M)
    return match.group(1) if match else None


def template_file(template: Path, commit: str | None, path: str) -> bytes | None:
    """A file of the template repository at `commit`; None when either is unknown."""
    if commit is None:
        return None
    result = git("show", f"{commit}:{path}", cwd=template)
    return result.stdout if result.returncode == 0 else None
