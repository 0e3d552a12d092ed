"""Migration to 0.3.0: the domain modules of a project become its own code.

Up to 0.2.0 the template shipped the example `posts` module as template files
(backend/src/posts/, backend/tests/posts/ and its migration). From 0.3.0 the copy
task creates domain modules and the template never ships them, so `copier update`
deletes those files from the project, edited or not. This script runs after the
merge (copier `_migrations`, stage "after"; HEAD is still the project as it was),
on copier's own interpreter: it puts back, byte for byte, every file HEAD had in
those modules and in backend/alembic/versions/ that the update removed, then lists
the modules in backend/src/registry.py with the project's own renderer
(`python -m manage.skeleton --register`), which the app now reads.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def say(message: str) -> None:
    print(f"  {message}", flush=True)


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], capture_output=True, check=False)


def restore(paths: list[str]) -> list[str]:
    """Write back the files of HEAD under `paths` that are missing; return them."""
    listed = git("ls-tree", "-r", "--name-only", "-z", "HEAD", "--", *paths)
    restored = []
    for name in filter(None, listed.stdout.decode().split("\0")):
        target = Path(name)
        if target.exists() or target.is_symlink():
            continue
        content = git("show", f"HEAD:{name}")
        if content.returncode != 0:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.stdout)
        restored.append(name)
    return restored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", action="append", default=[], help="a module to keep")
    args = parser.parse_args()
    for module in args.module:
        restored = restore([f"backend/src/{module}", f"backend/tests/{module}"])
        if restored:
            say(f"kept your module {module}: put back {len(restored)} files the template dropped")
    migrations = restore(["backend/alembic/versions"])
    for name in migrations:
        say(f"kept your migration {name}")
    backend = Path("backend")
    present = [module for module in args.module if (backend / "src" / module / "router.py").is_file()]
    if not present:
        return
    result = subprocess.run(
        [sys.executable, "-m", "manage.skeleton", "--register", *present],
        cwd=backend,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        say(line.strip())
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        sys.exit(f"{reason} (list {', '.join(present)} in backend/src/registry.py by hand)")


if __name__ == "__main__":
    main()
