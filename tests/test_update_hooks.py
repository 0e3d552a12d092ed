"""The update hooks on their own, with real git, in the branches a clean update never
reaches: a clash in the moved file, an unknown template commit, a conflicted
pyproject.toml, a project without a lock file.

Each test sets the scene copier leaves behind: HEAD is the project before the
update, the working tree is the project after the merge.
"""

import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copier_copy, run
from tests.releases import commit_all, git, published

OLD, NEW = "backend/tests/client.py", "backend/tests/utils.py"
OWN_TEST = "backend/tests/test_mine.py"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")


@pytest.fixture
def template(tmp_path: Path) -> Path:
    root = tmp_path / "template"
    write(root, {f"template/{OLD}": "a\nb\nc\n"})
    commit_all(root, "0.1.0")
    git("tag", "0.1.0", cwd=root)
    return root


def moved(
    tmp_path: Path, template: Path, user: str, ref: str = "0.1.0", own: dict[str, str] | None = None
) -> tuple[Path, str]:
    """A project whose user had `user` in the old file, after copier rendered the new one;
    and what the migration said."""
    project = tmp_path / "project"
    write(project, {OLD: user, OWN_TEST: "from tests.client import running\n", **(own or {})})
    commit_all(project, "Before the update")
    (project / OLD).unlink()  # copier deletes what the new version no longer has
    write(project, {NEW: "A\nb\nc\n"})  # and renders the new file
    result = run(
        sys.executable, ROOT / "hooks" / "follow_move.py", f"--template={template}",
        f"--from={ref}", f"--old={OLD}", f"--new={NEW}", "--module=tests.client:tests.utils",
        cwd=project,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return project, result.stdout


def test_untouched_file_is_replaced(tmp_path: Path, template: Path) -> None:
    project, output = moved(tmp_path, template, user="a\nb\nc\n")
    assert (project / NEW).read_text("utf-8") == "A\nb\nc\n"
    assert not (project / OLD).exists()
    assert (project / OWN_TEST).read_text("utf-8") == "from tests.utils import running\n"
    assert "had no edits of yours" in output


def test_clash_is_a_recorded_conflict_with_the_users_side_first(
    tmp_path: Path, template: Path
) -> None:
    project, output = moved(tmp_path, template, user="a-user\nb\nc\nd-user\n")
    assert (project / NEW).read_text("utf-8") == (
        "<<<<<<< before updating\na-user\n=======\nA\n>>>>>>> after updating\nb\nc\nd-user\n"
    )
    assert git("diff", "--name-only", "--diff-filter=U", cwd=project).split() == [NEW]
    assert not (project / OLD).exists()
    assert "CONFLICT: your edits of" in output


def test_unknown_template_commit_keeps_the_users_file(tmp_path: Path, template: Path) -> None:
    project, output = moved(tmp_path, template, user="a\nb-user\nc\n", ref="no-such-tag")
    assert (project / OLD).read_text("utf-8") == "a\nb-user\nc\n"
    assert (project / NEW).read_text("utf-8") == "A\nb\nc\n"
    assert (project / OWN_TEST).read_text("utf-8") == "from tests.client import running\n"
    assert "the template version it came from is unknown" in output


def test_users_own_file_at_the_new_path_keeps_both(tmp_path: Path, template: Path) -> None:
    project, output = moved(tmp_path, template, user="a\nb-user\nc\n", own={NEW: "mine\n"})
    assert (project / OLD).read_text("utf-8") == "a\nb-user\nc\n"
    assert (project / NEW).read_text("utf-8") == "A\nb\nc\n"  # left as copier made it
    assert (project / OWN_TEST).read_text("utf-8") == "from tests.client import running\n"
    assert f"{NEW} was already a file of yours" in output


def relock(project: Path) -> str:
    result = run(sys.executable, ROOT / "hooks" / "relock.py", cwd=project)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_relock_leaves_a_conflicted_pyproject_to_the_user(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"\nversion = "0"\ndependencies = []\n'
    write(tmp_path, {"backend/pyproject.toml": pyproject, "backend/uv.lock": "lock\n"})
    commit_all(tmp_path, "Before the update")
    conflicted = "<<<<<<< before updating\nA\n=======\nB\n>>>>>>> after updating\n"
    write(tmp_path, {"backend/pyproject.toml": pyproject + conflicted})
    assert "has conflicts: resolve them, then run `uv lock`" in relock(tmp_path)
    assert (tmp_path / "backend" / "uv.lock").read_text("utf-8") == "lock\n"


def test_relock_never_creates_a_lock(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"\nversion = "0"\ndependencies = []\n'
    write(tmp_path, {"backend/pyproject.toml": pyproject})
    commit_all(tmp_path, "Before the update")
    write(tmp_path, {"backend/pyproject.toml": pyproject.replace("[]", '["anyio"]')})
    assert "there is no backend/uv.lock" in relock(tmp_path)
    assert not (tmp_path / "backend" / "uv.lock").exists()


def run_hook(name: str, project: Path, *args: str) -> str:
    result = run(sys.executable, ROOT / "hooks" / name, *args, cwd=project)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_move_is_merged_from_the_commit_of_the_answers_file(tmp_path: Path, template: Path) -> None:
    # An untagged template: copier records a commit hash, and no --from is given.
    commit = git("rev-parse", "--short", "HEAD", cwd=template).strip()
    project = tmp_path / "monorepo" / "services" / "api"  # nested: paths from the project
    write(project, {".copier-answers.yml": f"_commit: {commit}\n", OLD: "a\nb\nc\nd-user\n"})
    commit_all(project.parents[1], "Before the update")
    (project / OLD).unlink()
    write(project, {NEW: "A\nb\nc\n"})
    args = (f"--template={template}", f"--old={OLD}", f"--new={NEW}")
    output = run_hook("follow_move.py", project, *args)
    assert (project / NEW).read_text("utf-8") == "A\nb\nc\nd-user\n"
    assert f"moved your edits of {OLD} to {NEW}" in output
    run_hook("follow_move.py", project, *args)  # run twice: the same result
    assert (project / NEW).read_text("utf-8") == "A\nb\nc\nd-user\n"
    commit_all(project.parents[1], "After the update")
    assert run_hook("follow_move.py", project, *args) == ""  # the next update: nothing to do


def test_move_not_made_by_this_update_is_left_alone(tmp_path: Path, template: Path) -> None:
    project = tmp_path / "project"
    write(project, {NEW: "A\nb\nc\n", OWN_TEST: "from tests.client import running\n"})
    commit_all(project, "Already on the new layout")
    args = (f"--template={template}", "--from=0.1.0", f"--old={OLD}", f"--new={NEW}")
    assert run_hook("follow_move.py", project, *args, "--module=tests.client:tests.utils") == ""
    assert git("status", "--porcelain", cwd=project) == ""


def test_files_the_update_deleted_from_own_folders_come_back_once(tmp_path: Path) -> None:
    template = tmp_path / "template"  # the new version ships src/health only
    write(template, {"template/backend/src/health/router.py": "", "copier.yml": ""})
    monorepo = tmp_path / "monorepo"
    project = monorepo / "services" / "api"
    mine = {
        "backend/src/billing/service.py": "def bill() -> None: ...\n",
        "backend/tests/billing/test_service.py": "def test_bill() -> None: ...\n",
        "backend/alembic/versions/2026_01_01-abc_billing.py": "revision = 'abc'\n",
        "backend/src/health/old.py": "# the template dropped this one\n",
    }
    write(project, mine)
    commit_all(monorepo, "Before the update")
    for name in mine:  # copier deleted them: the new template renders none of them
        (project / name).unlink()
    output = run_hook("adopt_modules.py", project, f"--template={template}")
    assert "kept your module billing: put back 2 files the template dropped" in output
    assert "kept your migration backend/alembic/versions/2026_01_01-abc_billing.py" in output
    status = git("status", "--porcelain", "--untracked-files=all", cwd=project)
    assert status.splitlines() == [" D services/api/backend/src/health/old.py"]
    assert run_hook("adopt_modules.py", project, f"--template={template}") == ""


def test_static_migrations_rewrite_only_what_the_old_skeleton_wrote(tmp_path: Path) -> None:
    versions = "backend/alembic/versions"
    skeleton = (
        "import sqlalchemy as sa\n\nimport src.models\nfrom alembic import op\n\n"
        'sa.Column("created_at", src.models.UTCDateTime(), nullable=False)\n'
    )
    other = skeleton.replace("UTCDateTime()", "UTCDateTime(), src.models.NAME")
    write(tmp_path, {f"{versions}/a.py": skeleton, f"{versions}/b.py": other})
    output = run_hook("static_migrations.py", tmp_path)
    assert (tmp_path / versions / "a.py").read_text("utf-8") == (
        "import sqlalchemy as sa\n\nfrom alembic import op\n\n"
        'sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)\n'
    )
    assert (tmp_path / versions / "b.py").read_text("utf-8") == other  # the user's to change
    assert output.strip().splitlines() == [
        f"{versions}/a.py: sa.DateTime(timezone=True) instead of src.models.UTCDateTime() "
        "(migrations import no app code)"
    ]
    assert run_hook("static_migrations.py", tmp_path) == ""


def test_error_request_id_extends_only_the_skeletons_404_assertion(tmp_path: Path) -> None:
    skeleton = (
        "    assert response.json() == {\n"
        '        "code": "order_not_found",\n'
        '        "message": "No order has this id.",\n'
        '        "details": [],\n'
        "    }\n"
    )
    other = skeleton.replace("order_not_found", "order_locked")  # not the skeleton's: the user's
    write(tmp_path, {"backend/tests/orders/test_orders.py": skeleton + other})
    output = run_hook("error_request_id.py", tmp_path)
    expected_404 = skeleton.replace(
        '"details": [],\n',
        '"details": [],\n        "request_id": response.headers["x-request-id"],\n',
    )
    text = (tmp_path / "backend/tests/orders/test_orders.py").read_text("utf-8")
    assert text == expected_404 + other
    assert output.strip().splitlines() == [
        "backend/tests/orders/test_orders.py: the 404 body it expects has the request id"
        " (error bodies do)"
    ]
    assert run_hook("error_request_id.py", tmp_path) == ""


def test_typed_module_tests_types_only_the_skeletons_body(tmp_path: Path) -> None:
    skeleton = '    body = {} if method == "PATCH" else None\n'
    user = '    body = {} if method == "PUT" else None\n'  # not the skeleton's: the user's
    write(tmp_path, {"backend/tests/orders/test_orders.py": skeleton + user})
    output = run_hook("typed_module_tests.py", tmp_path)
    text = (tmp_path / "backend/tests/orders/test_orders.py").read_text("utf-8")
    assert text == '    body: dict[str, str] | None = {} if method == "PATCH" else None\n' + user
    assert output.strip().splitlines() == [
        "backend/tests/orders/test_orders.py: the body of its 404 test has a type"
        " (mypy checks tests/)"
    ]
    assert run_hook("typed_module_tests.py", tmp_path) == ""


# --- db_api.py: modules of the 0.4.0 skeleton on the new data API ------------------------

SKELETON_FILES = ("service.py", "router.py", "dependencies.py")
# A plain name; one whose row variable is renamed (status); one whose signatures wrap.
MODULES = ("posts", "statuses", "organization_invitations")
STILL_USES = "change it by hand, see 'Upgrading from 0.4.0' in the template's CHANGELOG.md"


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


@pytest.fixture(scope="module")
def skeletons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two projects with the same modules: as 0.4.0's skeleton wrote them, and as this
    version's skeleton writes them."""
    tmp = tmp_path_factory.mktemp("skeletons")
    release = published(tmp / "template", "0.4.0")
    result = run(
        "copier", "copy", "--trust", "--defaults", "--skip-tasks", "--vcs-ref", release,
        "--data", "modules=[]", tmp / "template", tmp / "old", cwd=tmp,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # auth=none: the hook keeps modules as they were, public (rows get owners only in
    # modules made with users, CHANGELOG 0.6.0).
    result = copier_copy(
        tmp / "new", "--trust", "--defaults", "--skip-tasks", "--data", "modules=[]",
        "--data", "auth=none",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    old, new = tmp / "old" / "backend", tmp / "new" / "backend"
    for backend in (old, new):
        result = run(sys.executable, "-m", "manage.skeleton", *MODULES, cwd=backend)
        assert result.returncode == 0, result.stderr
    assert "DbConnection" in (old / "src" / "posts" / "router.py").read_text("utf-8")
    return old.parent, new.parent


def module_files(project: Path) -> dict[str, str]:
    folders = [project / "backend" / part for part in ("src", "tests")]
    return {
        path.relative_to(project).as_posix(): path.read_text("utf-8")
        for folder in folders
        for path in sorted(folder.glob("*/*.py"))
    }


@pytest.fixture
def old_project(skeletons: tuple[Path, Path], tmp_path: Path) -> Path:
    """Domain modules as 0.4.0 wrote them, in a project otherwise already updated."""
    old, new = skeletons
    project = tmp_path / "project"
    shutil.copytree(new, project, ignore=shutil.ignore_patterns("__pycache__"))
    for module in MODULES:
        for part in ("src", "tests"):
            shutil.rmtree(project / "backend" / part / module)
            shutil.copytree(old / "backend" / part / module, project / "backend" / part / module)
    return project


@pytest.mark.parametrize("module", MODULES)
def test_db_api_rewrites_an_untouched_module_into_the_new_skeleton(
    skeletons: tuple[Path, Path], old_project: Path, module: str
) -> None:
    _, new = skeletons
    before = module_files(old_project)
    output = run_hook("db_api.py", old_project)
    after = module_files(old_project)
    changed = {f"backend/src/{m}/{name}" for m in MODULES for name in SKELETON_FILES}
    assert {name for name in after if after[name] != before[name]} == changed
    for name in SKELETON_FILES:  # byte for byte what this version's skeleton writes
        path = f"backend/src/{module}/{name}"
        assert after[path] == (new / path).read_text("utf-8"), path
    lines = output.strip().splitlines()
    assert len(lines) == len(changed), output  # one per file changed, nothing left to do by hand
    assert f"  backend/src/{module}/router.py: db: Db instead of DbConnection" in output
    assert (
        f"  backend/src/{module}/service.py: db: Database with db.one/db.all instead of "
        "AsyncConnection, db.execute and src.fetch"
    ) in output
    assert run_hook("db_api.py", old_project) == ""  # rewritten once, it no longer matches
    assert module_files(old_project) == after


USER_FUNCTION = """

async def count(db: AsyncConnection) -> int:
    return (await db.execute(sa.select(sa.func.count()).select_from(Status))).scalar_one()
"""
USER_ROUTE = """

@router.get("/count", summary="Count", description="How many.", responses=error_responses())
async def count_statuses(db: DbConnection) -> int:
    return await service.count(db)
"""


def test_db_api_keeps_user_code_and_names_what_is_left_to_change(old_project: Path) -> None:
    src = old_project / "backend" / "src" / "statuses"
    service = src / "service.py"
    text = service.read_text("utf-8")
    get = "    row = await fetch_one(db, ONE, id=status_id)\n"
    note = "    # Archived statuses are rows too: the caller filters them.\n"
    service.write_text(text.replace(get, note + get) + USER_FUNCTION, "utf-8")
    (src / "router.py").write_text((src / "router.py").read_text("utf-8") + USER_ROUTE, "utf-8")
    own = "from src.fetch import fetch_one\n"  # a file of the user's: none of the patterns
    (src / "reports.py").write_text(own, "utf-8")
    output = run_hook("db_api.py", old_project)

    text = service.read_text("utf-8")
    assert note + "    row = await db.one(ONE, id=status_id)\n" in text  # edit kept, line rewritten
    assert text.endswith(USER_FUNCTION)  # code the patterns do not cover: as it was
    assert "async def list_page(db: Database, *, limit: int, offset: int)" in text
    assert "from sqlalchemy.ext.asyncio import AsyncConnection\n" in text  # still used
    assert "src.fetch" not in text
    router = (src / "router.py").read_text("utf-8")
    assert "from src.database import Db, DbConnection\n" in router
    assert "async def create_status(data: StatusCreate, db: Db) -> StatusRead:" in router
    assert router.endswith(USER_ROUTE)
    assert (src / "reports.py").read_text("utf-8") == own
    by_hand = [line.strip() for line in output.splitlines() if STILL_USES in line]
    assert by_hand == [
        f"backend/src/statuses/reports.py still uses src.fetch (line 1; now db.all/db.one): "
        f"{STILL_USES}",
        f"backend/src/statuses/router.py still uses DbConnection (line "
        f"{line_of(router, 'async def count_statuses')}; now Db): {STILL_USES}",
        f"backend/src/statuses/service.py still uses AsyncConnection (line "
        f"{line_of(text, 'async def count(')}; now Database (src.statements)): {STILL_USES}",
    ]
    assert "backend/src/statuses/service.py: db: Database" in output
    rerun = run_hook("db_api.py", old_project)  # the same files, the same advice
    assert [line.strip() for line in rerun.splitlines()] == by_hand
    assert module_files(old_project)["backend/src/statuses/service.py"] == text


def test_db_api_leaves_a_function_whose_body_changed_whole(old_project: Path) -> None:
    service = old_project / "backend" / "src" / "posts" / "service.py"
    text = service.read_text("utf-8")
    delete = '    result = await db.execute(DELETE, {"id": post_id})\n'
    mine = '    await db.execute(sa.text("SELECT 1"))  # audit first\n' + delete
    service.write_text(text.replace(delete, mine), "utf-8")
    output = run_hook("db_api.py", old_project)
    text = service.read_text("utf-8")
    assert "async def delete(db: AsyncConnection, post_id: int) -> bool:\n" in text
    assert mine in text
    assert (
        f"backend/src/posts/service.py still uses AsyncConnection (line "
        f"{line_of(text, 'async def delete(')}; now Database (src.statements)): {STILL_USES}"
    ) in output
    assert "async def get(db: Database, post_id: int) -> PostRead | None:\n" in text
    assert "from src.statements import Database\n" in text
