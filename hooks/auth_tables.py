"""Update migration: the auth tables follow the `auth` answer.

After the merge, src/auth/ exists exactly when the project answers auth=jwt. The
project's own `python -m manage.auth_tables` then writes the migration that makes the
history agree, at its head: it creates the tables when auth is new to the project (an
update from before the question, or --data auth=jwt) and drops them after --data
auth=none. Nothing to do: nothing written, so it is safe on every update.
"""

from __future__ import annotations

from pathlib import Path

from project import run_backend_module


def main() -> None:
    if not Path("backend/manage/auth_tables.py").is_file():
        return  # a project whose manage/ predates it, or was removed by its user
    hint = "then run `python -m manage.auth_tables` in backend/"
    run_backend_module("manage.auth_tables", hint=hint)


if __name__ == "__main__":
    main()
