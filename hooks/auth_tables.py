"""Update migration: the auth tables follow the `auth` answer when it changes.

It acts only when the update changes the answer: from none (or from before the
question existed) to jwt, or from jwt to none. After the merge src/auth/ exists
exactly when the answer is jwt, and the project's own `python -m manage.auth_tables`
writes the migration that makes the history agree, at its head: one that creates the
tables, or one that drops them. An unchanged answer, or a history that agrees already:
nothing written, so it is safe on every update.

Turning auth off while domain modules' rows have owners (a foreign key to the users'
table) would leave modules that import src/auth/ and point at a dropped table: refused
with one line. `--before` runs it before the update writes anything (the answer given
with --data); after the merge it catches an answer changed at the prompt.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from project import ANSWERS, at_head, run_backend_module


def auth_answer(answers: bytes | None) -> str | None:
    """The `auth` answer in an answers file; None without one (before the question)."""
    match = re.search(rb"^auth: *['\"]?(\w+)", answers or b"", re.M)
    return match.group(1).decode() if match else None


def owned_modules() -> list[str]:
    """Domain modules whose model has an owner column (a key to the users' table)."""
    return sorted(
        path.parent.name
        for path in Path("backend/src").glob("*/models.py")
        if path.parent.name != "auth" and '"user_account.id"' in path.read_text("utf-8")
    )


def refuse_owned_modules(undo: str) -> None:
    owned = owned_modules()
    if owned:
        sys.exit(
            f"auth=none refused: the rows of module(s) {', '.join(owned)} have owners "
            f"(owner_id -> user_account); remove ownership first (README: Protecting a "
            f"route){undo}"
        )


def main() -> None:
    if sys.argv[1:] == ["--before"]:
        refuse_owned_modules(undo="")  # nothing is written yet
        return
    if not Path("backend/manage/auth_tables.py").is_file():
        return  # a project whose manage/ predates it, or was removed by its user
    answers = Path(ANSWERS)
    now = auth_answer(answers.read_bytes() if answers.is_file() else None)
    if now == auth_answer(at_head(ANSWERS)):
        return  # unchanged: the tables are as the user left them
    if now == "none":
        refuse_owned_modules(undo="; undo this update: git reset --hard && git clean -fd")
    hint = "then run `python -m manage.auth_tables` in backend/"
    run_backend_module("manage.auth_tables", hint=hint)


if __name__ == "__main__":
    main()
