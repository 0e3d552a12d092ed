"""Domain modules: made at copy time and by `uv run manage new-module`, the same way.

A project is rendered with three modules (the copy task creates them), then a fourth
and a fifth (--private) are added with one command each; everything the project checks
stays green. The project has users (auth=jwt, the default): every module's rows have
owners. Refused names change nothing.
"""

import filecmp
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import MODULE_NAME_ERRORS, SUITE_TIMEOUT, Project, copier_copy, run

pytestmark = pytest.mark.xdist_group("modules")  # one project, built once per worker
MODULES = ["posts", "orders", "user_profiles"]


def snapshot(project: Project) -> dict[str, bytes]:
    return {str(path.relative_to(project.root)): path.read_bytes() for path in project.files()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    destination = tmp_path_factory.mktemp("modules") / "shop"
    data = ["--data", f"modules=[{', '.join(MODULES)}]"]
    result = copier_copy(destination, "--trust", "--defaults", *data, timeout=300)
    assert result.returncode == 0, result.stderr
    project = Project(destination)
    project.check("uv", "sync", "--frozen", "--quiet")
    return project


@pytest.fixture(scope="module")
def invoices(project: Project) -> tuple[Project, str]:
    """The project after `uv run manage new-module invoices` (and `receipts --private`),
    and what the first printed."""
    output = project.check("uv", "run", "--frozen", "manage", "new-module", "invoices")
    project.check("uv", "run", "--frozen", "manage", "new-module", "receipts", "--private")
    return project, output


def test_copy_task_created_and_registered_each_module(project: Project) -> None:
    backend = project.backend
    for module in MODULES:
        for part in ("router", "schemas", "models", "service", "dependencies"):
            assert (backend / "src" / module / f"{part}.py").is_file()
        for part in ("exceptions", "constants", "config"):
            assert (backend / "src" / module / f"{part}.py").is_file()
        assert (backend / "tests" / module / f"test_{module}.py").is_file()
        assert (backend / "tests" / module / "test_concurrent_writes.py").is_file()
    registry = (backend / "src" / "registry.py").read_text("utf-8")
    assert '    "posts",\n    "orders",\n    "user_profiles",\n)' in registry
    # One migration per table, chained in the order of the answer, after the auth tables'.
    history = project.check("uv", "run", "--frozen", "alembic", "history")
    assert re.findall(r"create (\w+) tables?\b", history) == [
        "user_profile",
        "order",
        "post",
        "auth",
    ]


def test_new_module_renders_what_the_copy_task_rendered(project: Project, tmp_path: Path) -> None:
    # A copy of the backend without `user_profiles` (the last one made: its migration is
    # the head), then `manage new-module user_profiles` there.
    copy = tmp_path / "backend"
    shutil.copytree(project.backend, copy, ignore=shutil.ignore_patterns(".venv", "*cache*"))
    for part in ("src/user_profiles", "tests/user_profiles"):
        shutil.rmtree(copy / part)
    (migration,) = (copy / "alembic" / "versions").glob("*_create_user_profile_table.py")
    migration.unlink()  # else its table is taken: the new module would create it twice
    registry = copy / "src" / "registry.py"
    registry.write_text(registry.read_text("utf-8").replace('    "user_profiles",\n', ""), "utf-8")
    python = project.backend / ".venv" / "bin" / "python"
    # `python -m` puts the copy first on sys.path: its own manage/ and src/ are used.
    result = run(python, "-m", "manage.cli", "new-module", "user_profiles", cwd=copy)
    assert result.returncode == 0, result.stderr
    for part in ("src/user_profiles", "tests/user_profiles"):
        comparison = filecmp.dircmp(project.backend / part, copy / part, ignore=["__pycache__"])
        assert comparison.left_only == comparison.right_only == [], part
        _, mismatch, errors = filecmp.cmpfiles(
            project.backend / part, copy / part, comparison.common_files, shallow=False
        )
        assert (mismatch, errors) == ([], []), part
    assert registry.read_text("utf-8").endswith('    "orders",\n    "user_profiles",\n)\n')


def test_new_module_says_what_it_made(invoices: tuple[Project, str]) -> None:
    project, output = invoices
    assert "src/invoices/router.py" in output
    assert "tests/invoices/test_invoices.py" in output
    assert "tests/invoices/test_concurrent_writes.py" in output
    assert re.search(r"alembic/versions/\S+_create_invoice_table\.py", output)
    registry = (project.backend / "src" / "registry.py").read_text("utf-8")
    assert '    "invoices",\n    "receipts",\n)' in registry


def test_new_modules_have_owners_behind_the_chain(invoices: tuple[Project, str]) -> None:
    project, _ = invoices
    versions = project.backend / "alembic" / "versions"
    migration = next(versions.glob("*_create_invoice_table.py")).read_text("utf-8")
    assert 'sa.Column("owner_id", sa.Integer(), nullable=False)' in migration
    assert '["user_account.id"],' in migration
    assert 'ondelete="CASCADE"' in migration
    assert 'op.create_index(op.f("invoice_owner_id_idx"), "invoice", ["owner_id"])' in migration
    dependencies = (project.backend / "src" / "invoices" / "dependencies.py").read_text("utf-8")
    # The user first (401 before any lookup), then the row (404), then the check (403).
    assert re.search(
        r"async def valid_owned_invoice\(\s*user: auth_dependencies\.CurrentUser, "
        r"invoice: ValidInvoice\s*\) -> InvoiceRead:",
        dependencies,
    )
    # What the routes document, from the dependencies' @raises (the conformance rules).
    schema = json.loads(project.check("uv", "run", "--frozen", "manage", "openapi"))

    def statuses(path: str, method: str) -> list[str]:
        return sorted(schema["paths"][path][method]["responses"])

    one, private = "/invoices/{invoice_id}", "/receipts/{receipt_id}"
    assert statuses("/invoices", "post") == ["201", "401", "422", "503"]
    assert statuses("/invoices", "get") == ["200", "422", "503"]  # reads are public
    assert statuses(one, "get") == ["200", "404", "422", "503"]
    assert statuses(one, "patch") == ["200", "401", "403", "404", "422", "503"]
    assert statuses(one, "delete") == ["204", "401", "403", "404", "422", "503"]
    assert statuses("/receipts", "get") == ["200", "401", "422", "503"]  # --private
    assert statuses(private, "get") == ["200", "401", "403", "404", "422", "503"]
    unauthorized = schema["paths"][one]["patch"]["responses"]["401"]
    assert "WWW-Authenticate" in unauthorized["headers"]


def test_private_needs_a_table(invoices: tuple[Project, str]) -> None:
    project, _ = invoices
    before = snapshot(project)
    command = ("uv", "run", "--frozen", "manage", "new-module", "notes", "--no-crud", "--private")
    result = project.run(*command)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: --private limits reads to each row's owner: it needs a table (drop --no-crud)"
    )
    assert snapshot(project) == before


def test_with_the_new_module_everything_stays_green(invoices: tuple[Project, str]) -> None:
    project, _ = invoices
    uv = ("uv", "run", "--frozen")
    project.check(*uv, "ruff", "check", ".")
    project.check(*uv, "ruff", "format", "--check", ".")
    project.check(*uv, "mypy")
    project.check(*uv, "manage", "check")
    # receipts' tests run in the whole suite below (this run shows invoices' alone).
    output = project.check(*uv, "pytest", "-q", "-p", "no:cacheprovider", "tests/invoices")
    assert re.search(r"^\d+ passed", output.strip().splitlines()[-1]), output
    output = project.check(*uv, "pytest", "-q", "-p", "no:cacheprovider", timeout=SUITE_TIMEOUT)
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), output
    assert "failed" not in summary, output
    # The migration creates exactly the table the models describe.
    project.check(*uv, "alembic", "upgrade", "head")
    assert "No new upgrade operations detected" in project.check(*uv, "alembic", "check")


def test_routes_shows_the_new_module_documented(invoices: tuple[Project, str]) -> None:
    project, _ = invoices
    output = project.check("uv", "run", "--frozen", "manage", "routes")
    for path in ("/invoices", "/receipts"):
        rows = [line for line in output.splitlines() if path in line]
        assert len(rows) == 5, output
        assert all(row.rstrip().endswith("yes") for row in rows), output
    for module in [*MODULES, "invoices", "receipts"]:
        assert "/" + module.replace("_", "-") in output


def test_an_existing_module_is_refused_and_nothing_changes(invoices: tuple[Project, str]) -> None:
    project, _ = invoices
    before = snapshot(project)
    result = project.run("uv", "run", "--frozen", "manage", "new-module", "invoices")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: src/invoices already exists: choose another name"
    )
    assert snapshot(project) == before


@pytest.mark.parametrize("name", list(MODULE_NAME_ERRORS))
def test_a_bad_name_is_refused_with_copiers_message(
    invoices: tuple[Project, str], name: str
) -> None:
    project, _ = invoices
    before = snapshot(project)
    result = project.run("uv", "run", "--frozen", "manage", "new-module", name)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: {MODULE_NAME_ERRORS[name]}"
    assert snapshot(project) == before
