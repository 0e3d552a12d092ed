"""The `auth` answer on `copier update`: a project rendered before the question existed
gets src/auth/ and a migration of its tables at the head of its own history; switching
auth off and on again changes the auth files only, adding a migration each way.

The template before the question is this one with the question hidden (not asked, not
stored, answering none), which renders what the template rendered then.
"""

import ast
from pathlib import Path

import pytest
import yaml

from tests.conftest import Project
from tests.releases import (
    TITLE,
    Releases,
    commit_all,
    copy_working_tree,
    git,
    leftovers,
    render,
    replace,
    update,
)
from tests.test_update_answers import depends_on, status

NO_LEFTOVERS = {"markers": [], "rejects": [], "unmerged": []}


def before_the_question(root: Path) -> None:
    copy_working_tree(root)
    replace(root / "copier.yml", "  default: jwt\n", "  when: false\n  default: none\n")


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    repo = tmp_path_factory.mktemp("auth-releases") / "template"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    releases = Releases(repo, {}, tagged=False)
    releases.release("before-auth", before_the_question)
    releases.release("with-auth", copy_working_tree)
    return releases


def migrations(project: Project) -> dict[str, tuple[str, str | None]]:
    """Each migration file's name -> (revision, down_revision)."""
    found = {}
    for path in (project.backend / "alembic" / "versions").glob("*.py"):
        values = {
            node.target.id: ast.literal_eval(node.value)
            for node in ast.parse(path.read_text("utf-8")).body
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
        }
        found[path.name] = (values["revision"], values["down_revision"])
    return found


def single_head(project: Project) -> str:
    history = migrations(project).values()
    heads = {revision for revision, _ in history} - {down for _, down in history}
    assert len(heads) == 1, heads
    return heads.pop()


def run_migration_tests(project: Project) -> None:
    project.check("uv", "sync", "--quiet")
    pytest = ("pytest", "-q", "-p", "no:cacheprovider", "tests/test_migrations.py")
    project.check("uv", "run", "--frozen", *pytest)


def test_update_from_before_the_question_adds_auth(releases: Releases, tmp_path: Path) -> None:
    project = render(releases, releases.refs["before-auth"], tmp_path / "project")
    assert not (project.backend / "src" / "auth").exists()
    TITLE.make(project.backend)
    commit_all(project.root, "User edits")
    head_before = single_head(project)
    before = migrations(project)

    result = update(project.root, "--vcs-ref", releases.refs["with-auth"])

    assert result.returncode == 0, result.stderr
    assert leftovers(project.root) == NO_LEFTOVERS
    answers = yaml.safe_load((project.root / ".copier-answers.yml").read_text("utf-8"))
    assert answers["auth"] == "jwt"
    assert (project.backend / "src" / "auth" / "router.py").is_file()
    assert TITLE.new in (project.backend / "src" / "main.py").read_text("utf-8")
    after = migrations(project)
    added = {name: after[name] for name in after.keys() - before.keys()}
    assert [name.endswith("_create_auth_tables.py") for name in added] == [True]
    assert [down for _, down in added.values()] == [head_before]  # after the posts table
    single_head(project)
    run_migration_tests(project)


def test_auth_off_then_on_changes_only_auth(releases: Releases, tmp_path: Path) -> None:
    expected = depends_on(releases, tmp_path, auth="none")
    assert expected["backend/src/auth/router.py"] == "D"
    assert expected["backend/src/main.py"] == "M"
    # With tasks (uv.lock); no module: rows with owners would refuse auth=none (below).
    project = render(releases, releases.new, tmp_path / "project", "--data", "modules=[]")
    TITLE.make(project.backend)
    edited = commit_all(project.root, "User edits")

    off = update(project.root, "--vcs-ref", ":current:", "--data", "auth=none")

    assert off.returncode == 0, off.stderr
    changed = status(project)
    drop = [name for name in changed if name.endswith("_drop_auth_tables.py")]
    assert len(drop) == 1, changed
    assert changed == expected | {"backend/uv.lock": "M", drop[0]: "??"}
    assert TITLE.new in (project.backend / "src" / "main.py").read_text("utf-8")
    commit_all(project.root, "Without auth")

    on = update(project.root, "--vcs-ref", ":current:", "--data", "auth=jwt")

    assert on.returncode == 0, on.stderr
    git("add", "--all", cwd=project.root)
    back = git("diff", "--cached", "--name-only", edited, cwd=project.root).split()
    # As edited, plus the migrations that dropped the tables and made them again.
    created = [name for name in back if name.endswith("_create_auth_tables.py")]
    assert len(created) == 1, back
    assert sorted(back) == sorted([drop[0], created[0]])
    single_head(project)
    run_migration_tests(project)


def test_auth_off_is_refused_while_rows_have_owners(releases: Releases, tmp_path: Path) -> None:
    """posts' rows point at the users' table: auth=none would break them. Refused with
    one line, before the update writes anything."""
    project = render(releases, releases.new, tmp_path / "project")

    off = update(project.root, "--vcs-ref", ":current:", "--data", "auth=none")

    assert off.returncode != 0
    assert "auth=none refused: the rows of module(s) posts have owners" in off.stderr
    assert git("status", "--porcelain", cwd=project.root) == ""
    assert (project.backend / "src" / "auth" / "dependencies.py").is_file()
