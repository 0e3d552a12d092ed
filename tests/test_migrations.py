"""Migrations of generated projects on real databases, run as a user runs them
(`alembic` in the project's environment), on a private copy of a rendered project:

- a batch migration that rebuilds a parent table keeps every child row, on SQLite
  (foreign keys off for the run, checked before commit) and on PostgreSQL;
- a migration that leaves a dangling reference fails, names the table, commits nothing;
- the project's own tests catch a planted defect: a downgrade that does nothing, a
  model change without its migration, a migration importing the app;
- autogenerate writes static migrations, and a revision needs a message.
"""

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Project, clean_env, postgres_database, run

SQLITE, POSTGRESQL = "defaults", "unicode-name-postgresql-celery"  # both have posts

COMMENT = '''"""comment table: a child of post, deleted with it

Revision ID: c0ffee000001
Revises: {down}
"""

import sqlalchemy as sa

from alembic import op

revision = "c0ffee000001"
down_revision = "{down}"


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "post_id", sa.Integer(), sa.ForeignKey("post.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("comment")
'''
WIDEN = '''"""widen post.name: SQLite rebuilds the table (copy, drop, rename)

Revision ID: c0ffee000002
Revises: c0ffee000001
"""

import sqlalchemy as sa

from alembic import op

revision = "c0ffee000002"
down_revision = "c0ffee000001"


def upgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.alter_column("name", type_=sa.String(400), existing_type=sa.String(200))


def downgrade() -> None:
    with op.batch_alter_table("post") as batch:
        batch.alter_column("name", type_=sa.String(200), existing_type=sa.String(400))
'''
DANGLING = '''"""a comment of a post that does not exist

Revision ID: c0ffee000003
Revises: c0ffee000002
"""

from alembic import op

revision = "c0ffee000003"
down_revision = "c0ffee000002"


def upgrade() -> None:
    op.execute("INSERT INTO comment (post_id, body) VALUES (999, 'orphan')")


def downgrade() -> None:
    op.execute("DELETE FROM comment WHERE post_id = 999")
'''


def private_copy(project: Project, destination: Path) -> Project:
    """A copy of a rendered project with its own environment: tests may change its files."""
    ignore = shutil.ignore_patterns(".venv", "__pycache__", ".*_cache", "*.db")
    shutil.copytree(project.root, destination, ignore=ignore)
    copy = Project(destination, project.answers, dict(project.env))
    copy.check("uv", "sync", "--frozen", "--quiet")
    return copy


@pytest.fixture(scope="module")
def projects(
    rendered: Callable[[str], Project], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Project]:
    cache: dict[str, Project] = {}

    def project(name: str) -> Project:
        if name not in cache:
            cache[name] = private_copy(rendered(name), tmp_path_factory.mktemp(name) / "project")
        return cache[name]

    return project


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the answer set's kind, for one test."""
    if request.param == SQLITE:
        yield f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    else:
        with postgres_database("migrations") as url:
            yield url


def query(url: str, sql: str) -> list[tuple[str, ...]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as connection:
            return [tuple(map(str, row)) for row in connection.execute(sql)]
    result = run("psql", url.replace("+asyncpg", ""), "-Atc", sql, cwd=Path.cwd(), timeout=60)
    assert result.returncode == 0, result.stderr
    return [tuple(line.split("|")) for line in result.stdout.splitlines()]


def comments(url: str) -> int:
    return int(query(url, "SELECT count(*) FROM comment")[0][0])


def alembic(project: Project, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(**{**project.env, "DATABASE_URL": url})
    return project.run("uv", "run", "--frozen", "alembic", *args, env=env)


def migrate(project: Project, url: str, *args: str) -> str:
    result = alembic(project, url, *args)
    assert result.returncode == 0, f"alembic {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def head(project: Project) -> str:
    """The revision of the project's own (posts) migration."""
    [migration] = (project.backend / "alembic" / "versions").glob("*_create_post_table.py")
    match = re.search(r'^revision: str = "(\w+)"', migration.read_text("utf-8"), re.M)
    assert match, migration
    return match.group(1)


@pytest.fixture
def with_comments(
    projects: Callable[[str], Project], database: str, request: pytest.FixtureRequest
) -> Iterator[tuple[Project, str]]:
    """The project at the `comment` migration, with one post and its 3 comments; the
    migration that widens post.name is written, not applied."""
    project = projects(request.node.callspec.params["database"])
    versions = project.backend / "alembic" / "versions"
    written = [versions / "c0ffee000001_comment.py", versions / "c0ffee000002_widen.py"]
    written[0].write_text(COMMENT.format(down=head(project)), "utf-8")
    written[1].write_text(WIDEN, "utf-8")
    try:
        migrate(project, database, "upgrade", "c0ffee000001")
        # The post's owner: the answer sets that run this have users (auth=jwt).
        user = "INSERT INTO user_account (id, email, password_hash) VALUES (1, 'a@b.example', 'x')"
        query(database, user)
        post = "INSERT INTO post (id, name, description, owner_id) VALUES (1, 'first', '', 1)"
        query(database, post)
        query(database, "INSERT INTO comment (post_id, body) VALUES (1, 'a'), (1, 'b'), (1, 'c')")
        yield project, database
    finally:
        for path in written:
            path.unlink()


BOTH = pytest.mark.parametrize("database", [SQLITE, POSTGRESQL], indirect=True)


def name_length(url: str) -> int:
    if url.startswith("sqlite"):
        sql = query(url, "SELECT sql FROM sqlite_master WHERE name = 'post'")[0][0]
        match = re.search(r"name VARCHAR\((\d+)\)", sql)
        assert match, sql
        return int(match.group(1))
    sql = (
        "SELECT character_maximum_length FROM information_schema.columns "
        "WHERE table_name = 'post' AND column_name = 'name'"
    )
    return int(query(url, sql)[0][0])


@BOTH
def test_batch_migration_keeps_child_rows(with_comments: tuple[Project, str]) -> None:
    project, url = with_comments
    assert (comments(url), name_length(url)) == (3, 200)
    migrate(project, url, "upgrade", "head")
    assert (comments(url), name_length(url)) == (3, 400)
    migrate(project, url, "downgrade", "-1")
    assert (comments(url), name_length(url)) == (3, 200)
    migrate(project, url, "upgrade", "head")
    assert (comments(url), name_length(url)) == (3, 400)
    # The references still hold, and still cascade when the app deletes a post.
    assert query(url, "SELECT DISTINCT post_id FROM comment") == [("1",)]


@BOTH
def test_dangling_reference_fails_and_commits_nothing(with_comments: tuple[Project, str]) -> None:
    project, url = with_comments
    migrate(project, url, "upgrade", "head")
    dangling = project.backend / "alembic" / "versions" / "c0ffee000003_dangling.py"
    dangling.write_text(DANGLING, "utf-8")
    try:
        result = alembic(project, url, "upgrade", "head")
    finally:
        dangling.unlink()
    assert result.returncode != 0
    if url.startswith("sqlite"):
        # alembic prints the reason as "FAILED: <reason>" (and logs it once more)
        assert (
            "FAILED: foreign key check failed, nothing committed: comment row 4 refers to "
            "a missing post row (1 broken reference(s) in all)\n"
        ) in result.stdout + result.stderr
    else:  # PostgreSQL enforces the reference inside the migration's transaction
        assert 'insert or update on table "comment" violates foreign key constraint' in (
            result.stderr
        )
    assert query(url, "SELECT version_num FROM alembic_version") == [("c0ffee000002",)]
    assert comments(url) == 3


def project_tests(project: Project) -> subprocess.CompletedProcess[str]:
    """The project's own migration tests, as its CI runs them."""
    command = (
        "uv",
        "run",
        "--frozen",
        "pytest",
        "tests/test_migrations.py",
        "-p",
        "no:cacheprovider",
    )
    return project.run(*command, "-q", "-rf")


PLANTS = {
    # file (in backend/), text, replacement, the project's test that must fail, and why
    "downgrade does nothing": (
        "alembic/versions/*_create_post_table.py",
        '    op.drop_table("post")\n',
        "    pass\n",
        "test_every_migration_reverts",
        "'post'",
    ),
    "unique=True without a migration": (
        "src/posts/models.py",
        "mapped_column(String(NAME_MAX_LENGTH))",
        "mapped_column(String(NAME_MAX_LENGTH), unique=True)",
        "test_models_have_their_migrations",
        "add_constraint",
    ),
    "migration imports the app": (
        "alembic/versions/*_create_post_table.py",
        "from alembic import op\n",
        "import src.models\nfrom alembic import op\n",
        "test_migrations_import_no_application_code",
        "imports src.models",
    ),
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_project_tests_catch_a_planted_defect(
    projects: Callable[[str], Project], plant: str
) -> None:
    project = projects(SQLITE)
    pattern, old, new, failing, reason = PLANTS[plant]
    [path] = project.backend.glob(pattern)
    original = path.read_text("utf-8")
    assert original.count(old) == 1, f"{path}: {old!r}"
    path.write_text(original.replace(old, new), "utf-8")
    try:
        result = project_tests(project)
    finally:
        path.write_text(original, "utf-8")
    assert result.returncode == 1, result.stdout
    failed = re.findall(r"^FAILED tests/test_migrations\.py::(\w+)", result.stdout, re.M)
    assert failed == [failing], result.stdout
    assert reason in result.stdout, result.stdout


def test_project_tests_pass_with_an_autogenerated_migration(
    projects: Callable[[str], Project], tmp_path: Path
) -> None:
    project = projects(SQLITE)
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    versions = project.backend / "alembic" / "versions"
    before = set(versions.iterdir())
    migrate(project, url, "upgrade", "head")
    refused = alembic(project, url, "revision")
    assert refused.returncode != 0
    assert (
        'FAILED: a revision needs a message: alembic revision -m "add post slug"\n'
    ) in refused.stdout + refused.stderr
    assert set(versions.iterdir()) == before  # no file written

    models = project.backend / "src" / "posts" / "models.py"
    original = models.read_text("utf-8")
    column = "    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)\n"
    edited = "from datetime import datetime\n\n" + original.replace(
        "from src.models import Base, TimestampMixin\n",
        "from src.models import Base, TimestampMixin, UTCDateTime\n",
    )
    models.write_text(edited + column, "utf-8")
    try:
        migrate(project, url, "revision", "--autogenerate", "-m", "post published at")
        [made] = set(versions.iterdir()) - before
        text = made.read_text("utf-8")
        assert made.name.endswith("_post_published_at.py")
        assert '"published_at", sa.DateTime(timezone=True), nullable=True' in text
        assert "src" not in text
        result = project_tests(project)
        assert result.returncode == 0, result.stdout
        assert "3 passed" in result.stdout
    finally:
        models.write_text(original, "utf-8")
        for path in set(versions.iterdir()) - before:
            path.unlink()
