"""Keep the auth tables in the migration history in step with the `auth` answer.

The tables of src/auth/ are made by a migration of the project's own history, written
here at its head like a module's: `..._create_auth_tables.py` when src/auth/ exists and
the history does not create them yet, `..._drop_auth_tables.py` when src/auth/ is gone
(`copier update --data auth=none`) and the history still creates them. Otherwise it does
nothing, so it runs on every copy and update. The copy task and an update migration run
it on copier's interpreter: standard library and Jinja2 only, like manage/skeleton.py.

    python -m manage.auth_tables   (from backend/)
"""

from __future__ import annotations

import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path

from manage.skeleton import VERSIONS, ModuleError, _environment, migration_head

CREATE, DROP = "create_auth_tables", "drop_auth_tables"
TEMPLATE = Path(__file__).resolve().parent / "auth_migration.py.j2"


def auth_tables_created(backend: Path) -> bool:
    """Whether the history, as it stands, ends with the auth tables created."""
    names = [path.stem for path in (backend / VERSIONS).glob("*.py")]
    return sum(n.endswith(CREATE) for n in names) > sum(n.endswith(DROP) for n in names)


def render(backend: Path, *, create: bool, now: datetime) -> tuple[Path, str]:
    revision = secrets.token_hex(6)
    slug = CREATE if create else DROP
    text = (
        _environment()
        .from_string(TEMPLATE.read_text(encoding="utf-8"))
        .render(
            message=slug.replace("_", " "),
            create=create,
            revision=revision,
            down_revision=migration_head(backend),
            create_date=now.isoformat(sep=" ", timespec="seconds"),
        )
    )
    stamp = now.strftime("%Y_%m_%d_%H%M")  # alembic.ini's file_template
    return VERSIONS / f"{stamp}-{revision}_{slug}.py", text


def sync(backend: Path) -> Path | None:
    """Write the migration the answer needs, if any; its path relative to `backend`."""
    wanted = (backend / "src" / "auth" / "models.py").is_file()
    if wanted == auth_tables_created(backend):
        return None
    now = datetime.now(timezone.utc)  # noqa: UP017 - copier may run on Python 3.10
    path, text = render(backend, create=wanted, now=now)
    (backend / path).parent.mkdir(parents=True, exist_ok=True)
    (backend / path).write_text(text, encoding="utf-8", newline="\n")
    return path


def main() -> int:
    try:
        path = sync(Path.cwd())
    except ModuleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if path is not None:
        action = "creates" if path.stem.endswith(CREATE) else "drops"
        print(f"  wrote {path.as_posix()}: it {action} the auth tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
