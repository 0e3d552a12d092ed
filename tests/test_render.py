"""Every answer set renders a backend that is clean, typed and passes its own suite."""

import json
import re

import pytest
import yaml

from tests.conftest import ANSWER_SETS, SUITE_TIMEOUT, Project, psql

pytestmark = pytest.mark.parametrize("answer_set", list(ANSWER_SETS))


@pytest.fixture
def project(rendered, answer_set: str) -> Project:
    return rendered(answer_set)


def test_no_template_syntax_left(project: Project) -> None:
    skeleton = project.backend / "manage" / "module_template"  # Jinja2 of the project's own
    auth_migration = project.backend / "manage" / "auth_migration.py.j2"  # the same
    leftovers = [
        str(path.relative_to(project.root))
        for path in project.files()
        if path.suffix not in {".lock", ".db", ".db-wal", ".db-shm"}
        and not path.is_relative_to(skeleton)
        and path != auth_migration
        and re.search(r"(?<!\$)\{\{|\{%", path.read_text("utf-8"))  # ${{ }} is GitHub's
    ]
    assert leftovers == []
    assert (skeleton / "src" / "router.py.j2").is_file()  # copied verbatim, not rendered
    assert not any(path.name.endswith(".jinja") for path in project.files())


def test_answers_file_allows_updates(project: Project, answer_set: str) -> None:
    answers = yaml.safe_load((project.root / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_src_path"]
    assert answers["_commit"]
    for question, answer in ANSWER_SETS[answer_set].items():
        assert answers[question] == answer


def test_copy_tasks_ran(project: Project) -> None:
    env = (project.backend / ".env").read_text("utf-8")
    secret = re.search(r"^SECRET_KEY=(.+)$", env, re.MULTILINE)
    assert secret is not None
    assert secret.group(1) != "change-me"
    assert len(secret.group(1)) >= 32
    assert (project.backend / "uv.lock").is_file()
    status = project.check("git", "status", "--porcelain")
    assert status == "", "the first commit holds everything but ignored files"
    assert "backend/.env" not in project.check("git", "ls-files")


def test_lint_format_and_types(project: Project) -> None:
    project.check("uv", "run", "--frozen", "ruff", "check", ".")
    project.check("uv", "run", "--frozen", "ruff", "format", "--check", ".")
    project.check("uv", "run", "--frozen", "mypy")


def test_rendered_suite_passes(project: Project) -> None:
    output = project.check(
        "uv",
        "run",
        "--frozen",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-rA",
        timeout=SUITE_TIMEOUT,
    )
    summary = output.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed >= 30, summary
    assert not re.search(r"skipped|xfail|error", summary), summary
    # The fuzzer ran on every answer set, and each module's concurrent writes on a real server.
    ran = set(re.findall(r"^PASSED (tests/\S+?)::", output, re.MULTILINE))
    assert "tests/test_api_fuzz.py" in ran, output
    for module in project.answers["modules"]:
        assert f"tests/{module}/test_concurrent_writes.py" in ran, output
    if project.answers["database"] == "postgresql":  # it ran on its own database, now dropped
        prefix = project.env["DATABASE_URL"].rsplit("/", 1)[1]
        databases = psql("SELECT datname FROM pg_database").split()
        assert [name for name in databases if name.startswith(prefix)] == []


def test_settings_follow_answers(project: Project) -> None:
    answers = project.answers
    script = (
        "import json; from src.config import Settings; s = Settings(_env_file=None, "
        "ENVIRONMENT='testing'); print(json.dumps([s.APP_NAME, sorted(s.DOCS_ENVIRONMENTS)]))"
    )
    name, docs = json.loads(project.check("uv", "run", "--frozen", "python", "-c", script))
    assert name == answers["project_name"]
    assert docs == sorted(answers["docs_environments"])
    pyproject = (project.backend / "pyproject.toml").read_text("utf-8")
    assert f'requires-python = ">={answers["python_version"]}"' in pyproject


def test_sdk_example_is_optional(project: Project) -> None:
    present = project.answers["include_sdk_example"]
    assert (project.backend / "src" / "exchange_rates" / "router.py").exists() is present
    assert (project.backend / "tests" / "exchange_rates").exists() is present
    env_example = (project.backend / ".env.example").read_text("utf-8")
    assert ("EXCHANGE_RATES_API_URL" in env_example) is present
    main = (project.backend / "src" / "main.py").read_text("utf-8")
    assert ("exchange_rates" in main) is present


def test_database_follows_answers(project: Project) -> None:
    postgresql = project.answers["database"] == "postgresql"
    pyproject = (project.backend / "pyproject.toml").read_text("utf-8")
    assert ('"asyncpg' in pyproject, '"aiosqlite' in pyproject) == (postgresql, not postgresql)
    env_example = (project.backend / ".env.example").read_text("utf-8")
    assert ("DATABASE_URL=postgresql+asyncpg://" in env_example) is postgresql
    config = (project.backend / "src" / "config.py").read_text("utf-8")
    assert ("DATABASE_POOL_SIZE" in config) is postgresql
    assert ("ALLOW_SQLITE_IN_PRODUCTION" in config) is not postgresql


def test_task_queue_follows_answers(project: Project) -> None:
    celery = project.answers["task_queue"] == "celery"
    assert (project.backend / "src" / "worker.py").exists() is celery
    assert (project.backend / "src" / "jobs" / "tasks.py").exists() is celery
    assert (project.backend / "tests" / "jobs" / "test_jobs.py").exists() is celery
    pyproject = (project.backend / "pyproject.toml").read_text("utf-8")
    assert ('"celery[redis]' in pyproject) is celery
    config = (project.backend / "src" / "config.py").read_text("utf-8")
    assert ("CELERY_BROKER_URL" in config) is celery
    readme = (project.root / "README.md").read_text("utf-8")
    assert ("celery --app src.worker worker" in readme) is celery


def test_auth_follows_answers(project: Project) -> None:
    jwt = project.answers["auth"] == "jwt"
    backend = project.backend
    assert (backend / "src" / "auth" / "dependencies.py").exists() is jwt
    assert (backend / "tests" / "auth" / "test_tokens.py").exists() is jwt
    pyproject = (backend / "pyproject.toml").read_text("utf-8")
    assert ('"pyjwt' in pyproject, '"pwdlib[argon2]' in pyproject) == (jwt, jwt)
    assert ("auth_router" in (backend / "src" / "main.py").read_text("utf-8")) is jwt
    assert ("AUTH_LOGIN_WINDOW_SECONDS" in (backend / ".env.example").read_text("utf-8")) is jwt
    # The copy task wrote the auth tables' migration first: the modules' come after it.
    migrations = sorted(path.name for path in (backend / "alembic" / "versions").glob("*.py"))
    created = [name for name in migrations if name.endswith("_create_auth_tables.py")]
    assert len(created) == int(jwt)
    if jwt:
        text = (backend / "alembic" / "versions" / created[0]).read_text("utf-8")
        assert "down_revision: str | None = None\n" in text
