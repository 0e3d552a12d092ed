"""Update-time task: re-lock backend/uv.lock when an update changed the dependencies.

Runs as an unversioned copier migration at stage "after": copier runs those once
per `copier update`, in the project itself, after the merge. (`_tasks` would run
three times, twice in copier's temporary copies, and before the user's edits are
merged back, so a lock made there would miss the user's own dependencies.)
Standard library only: it runs on copier's own interpreter.

The lock file belongs to the user: it is never created here, only brought in line
with backend/pyproject.toml when the update changed that file, keeping the pins
that still fit (`uv lock` does not upgrade what it already has).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PYPROJECT, LOCK = Path("backend/pyproject.toml"), Path("backend/uv.lock")


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def changed_by_update(path: Path) -> bool:
    # HEAD is the project before the update: copier never commits.
    result = subprocess.run(
        ["git", "diff", "--quiet", "HEAD", "--", str(path)], capture_output=True, check=False
    )
    return result.returncode == 1  # 0: same, 1: changed, other: not a git work tree


def main() -> None:
    if not PYPROJECT.is_file() or not changed_by_update(PYPROJECT):
        return
    if not LOCK.is_file():
        say(f"{PYPROJECT} changed; there is no {LOCK}: run `uv lock` in backend/ to make one")
        return
    if any(line.startswith("<<<<<<< ") for line in PYPROJECT.read_text("utf-8").splitlines()):
        say(f"{PYPROJECT} has conflicts: resolve them, then run `uv lock` in backend/")
        return
    uv = shutil.which("uv")
    if uv is None:
        say(f"{PYPROJECT} changed: install uv, then run `uv lock` in backend/")
        return
    result = subprocess.run(
        [uv, "lock", "--quiet"], cwd=PYPROJECT.parent, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        say(f"`uv lock` failed ({reason}): fix {PYPROJECT}, then run `uv lock` in backend/")
        return
    say(f"re-locked {LOCK.resolve()} after the dependency change")


if __name__ == "__main__":
    main()
