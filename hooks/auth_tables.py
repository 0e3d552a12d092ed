"""Update migration: the auth tables follow the `auth` answer.

After the merge, src/auth/ exists exactly when the project answers auth=jwt. The
project's own `python -m manage.auth_tables` then writes the migration that makes the
history agree, at its head: it creates the tables when auth is new to the project (an
update from before the question, or --data auth=jwt) and drops them after --data
auth=none. Nothing to do: nothing written, so it is safe on every update.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from project import say

BACKEND = Path("backend")


def main() -> None:
    if not (BACKEND / "manage" / "auth_tables.py").is_file():
        return  # a project whose manage/ predates it, or was removed by its user
    result = subprocess.run(
        [sys.executable, "-m", "manage.auth_tables"],
        cwd=BACKEND,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        say(line.strip())
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        sys.exit(f"{reason} (then run `python -m manage.auth_tables` in backend/)")


if __name__ == "__main__":
    main()
