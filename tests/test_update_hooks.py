"""The update hooks on their own, with real git, in the branches a clean update never
reaches: a clash in the moved file, an unknown template commit, a conflicted
pyproject.toml, a project without a lock file.

Each test sets the scene copier leaves behind: HEAD is the project before the
update, the working tree is the project after the merge.
"""

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run
from tests.releases import commit_all, git

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
