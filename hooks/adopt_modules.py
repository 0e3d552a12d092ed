"""Update migration: nothing the update deleted from the project's own code stays deleted.

Domain modules (backend/src/<module>/, backend/tests/<module>/) and migrations
(backend/alembic/versions/) are the project's own code. Copier deletes any file that
the old template version rendered and the new one does not, edited or not: up to
0.2.0 the template shipped the `posts` module as template files, so an update from
then deletes it, and a module a future version stops shipping would go the same way.

Runs on every update (copier `_migrations`, stage "after", unversioned), so it cannot
depend on the versions copier computes from tags (an untagged template repository
has none). It decides from the project alone: HEAD is the project before the update,
the working tree is the project after the merge. For every folder HEAD had under
backend/src/ that the new template does not ship, and for backend/alembic/versions/
(the template ships no migration), it writes back, byte for byte, each file of HEAD
that is missing now, and lists the modules it put back in backend/src/registry.py
with the project's own renderer (`python -m manage.skeleton --register`). Nothing
missing: nothing done, so running it again changes nothing.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from project import at_head, dirs_at_head, files_at_head, run_backend_module, say

BACKEND = Path("backend")
JINJA = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")


def shipped(template: Path, subdirectory: str) -> set[str]:
    """The folders the new template renders under backend/src/, whatever the answers
    (`{% if include_sdk_example %}exchange_rates{% endif %}` counts as exchange_rates)."""
    source = template / subdirectory / BACKEND / "src"
    return {JINJA.sub("", path.name) for path in source.iterdir() if path.is_dir()}


def restore(*paths: Path) -> list[Path]:
    """Write back the files of HEAD under `paths` that are missing now; return them."""
    restored = []
    for path in files_at_head(*paths):
        if path.exists() or path.is_symlink():
            continue
        content = at_head(path)
        if content is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        restored.append(path)
    return restored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", required=True, type=Path, help="the new template")
    parser.add_argument("--subdirectory", default="template", help="copier's _subdirectory")
    args = parser.parse_args()
    owned = sorted(dirs_at_head(BACKEND / "src") - shipped(args.template, args.subdirectory))
    adopted = []
    for module in owned:
        restored = restore(BACKEND / "src" / module, BACKEND / "tests" / module)
        if restored:
            say(f"kept your module {module}: put back {len(restored)} files the template dropped")
            adopted.append(module)
    for path in restore(BACKEND / "alembic" / "versions"):
        say(f"kept your migration {path.as_posix()}")
    present = [module for module in adopted if (BACKEND / "src" / module / "router.py").is_file()]
    if not present:
        return
    hint = f"list {', '.join(present)} in backend/src/registry.py by hand"
    run_backend_module("manage.skeleton", "--register", *present, hint=hint)


if __name__ == "__main__":
    main()
