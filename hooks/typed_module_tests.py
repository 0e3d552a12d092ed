"""Update migration: the module tests the skeleton wrote pass strict mypy.

mypy now checks tests/ too. The module skeleton's `test_unknown_id_is_404` set
`body = {}` without a type, which strict mypy refuses ("Need type annotation"). That line,
exactly as the skeleton wrote it, gains the type the new skeleton writes; every other
test is the user's to type.

Runs on every update (unversioned, stage "after"); a rewritten file no longer matches.
"""

from __future__ import annotations

from pathlib import Path

from project import say

TESTS = Path("backend/tests")
UNTYPED = '    body = {} if method == "PATCH" else None\n'
TYPED = '    body: dict[str, str] | None = {} if method == "PATCH" else None\n'


def main() -> None:
    for path in sorted(TESTS.glob("*/test_*.py")) if TESTS.is_dir() else []:
        text = path.read_text("utf-8")
        if UNTYPED in text:
            path.write_text(text.replace(UNTYPED, TYPED), "utf-8")
            say(f"{path.as_posix()}: the body of its 404 test has a type (mypy checks tests/)")


if __name__ == "__main__":
    main()
