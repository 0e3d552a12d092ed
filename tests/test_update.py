"""`copier update` of a project its user has changed: nothing of theirs is lost.

Projects are rendered from an old version, committed, edited like a real user
would, committed again, then updated with the real `copier` command; the
migrations and tasks of the new version run as they would for a user. The same
edits go through every scenario a user meets: a template repository without tags
(as published: copier then sees no versions) or with tags, a project at the root
of its repository or two folders deep in a monorepo, the newest copier or the
oldest one copier.yml accepts.
"""

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import SUITE_TIMEOUT, Project, run
from tests.releases import (
    APP_TYPE,
    CLIENT_DOCSTRING,
    STATIC_TYPE,
    TITLE,
    Edit,
    Releases,
    build,
    commit_all,
    git,
    install_copier,
    leftovers,
    min_copier_version,
    published,
    render,
    replace,
    update,
)

NEW_ROUTE = """

@router.get(
    "/{post_id}/title",
    status_code=status.HTTP_200_OK,
    summary="Title of a post",
    description="Returns only the title of one post.",
    responses=error_responses(PostNotFoundError, *ERRORS),
)
async def get_post_title(post: ValidPost) -> str:
    return post.name
"""
HELPER = """

async def create_post(client: httpx2.AsyncClient, title: str) -> int:
    response = await client.post("/posts", json={"name": title})
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id
"""
OWN_MODULE = '''"""Tags: a module of the user's own, unknown to the template."""


def slugify(text: str) -> str:
    return "-".join(text.lower().split())
'''
OWN_TEST = """import httpx2

from src.tags import slugify
from tests.client import create_post


async def test_title_route_and_slug(client: httpx2.AsyncClient) -> None:
    post_id = await create_post(client, "Hello World")
    response = await client.get(f"/posts/{post_id}/title")
    assert response.json() == "Hello World"
    assert slugify(response.json()) == "hello-world"
"""


USER_EDITS = {
    "changed line in main.py": TITLE,
    "new route in posts/router.py": Edit("src/posts/router.py", "", NEW_ROUTE),
    "note in posts/service.py": Edit(
        "src/posts/service.py", "", "\n# The nightly export reads list_page: keep its order.\n"
    ),
    "own module": Edit("src/tags/__init__.py", None, OWN_MODULE),
    "own test": Edit("tests/test_tags.py", None, OWN_TEST),
    "helper in the moved file": Edit("tests/client.py", "", HELPER, moved_to="tests/utils.py"),
    "dependency in pyproject.toml": Edit(
        "pyproject.toml", '    "anyio>=4.16",\n', '    "anyio>=4.16",\n    "tenacity>=9.0",\n'
    ),
    "value in .env": Edit(".env", "ASYNCIO_DEBUG=true\n", "ASYNCIO_DEBUG=false\n"),
}


def after_migration(text: str) -> str:
    return text.replace("tests.client", "tests.utils")  # 0.2.0 renames the module in imports


def domain_files(project: Project, *modules: str) -> dict[str, bytes]:
    """The project's domain modules, their migrations and their registry, by path.

    The project's own code: `copier update` must leave every byte of it as it was.
    """
    backend = project.backend
    parts = [*(f"{kind}/{m}" for m in modules for kind in ("src", "tests")), "alembic/versions"]
    owned = [backend / "src" / "registry.py", *(backend / part for part in parts)]
    return {
        str(path.relative_to(project.root)): path.read_bytes()
        for path in project.files()
        if any(path == top or path.is_relative_to(top) for top in owned)
    }


def made_static(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with their migrations as 0.4.0's update migration rewrites them."""
    return {
        name: content.replace(b"import src.models\n", b"").replace(
            APP_TYPE.encode(), STATIC_TYPE.encode()
        )
        if "/alembic/versions/" in name
        else content
        for name, content in files.items()
    }


@dataclass(frozen=True)
class Scenario:
    tagged: bool  # the template repository has release tags
    nested: bool = False  # the project is services/api/ of a monorepo
    oldest_copier: bool = False  # copier's _min_copier_version instead of the newest


SCENARIOS = {
    "untagged": Scenario(tagged=False),
    "tagged": Scenario(tagged=True),
    "nested-in-monorepo": Scenario(tagged=False, nested=True),
    "oldest-copier": Scenario(tagged=False, oldest_copier=True),
}


@dataclass(frozen=True)
class Upgrade:
    project: Project
    releases: Releases
    result: subprocess.CompletedProcess[str]
    env_before: str
    modules_before: dict[str, bytes]  # domain_files() before the update
    commits: tuple[str, str]  # `_commit` of the answers file before and after the update
    clean: Project  # the new version rendered afresh with the same answers


def recorded_commit(project: Project) -> str:
    answers = yaml.safe_load((project.root / ".copier-answers.yml").read_text("utf-8"))
    return str(answers["_commit"])


@pytest.fixture(scope="session")
def untagged_releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    """The versions of `releases`, as commits without tags, like the published repository."""
    return build(tmp_path_factory.mktemp("untagged") / "template", tagged=False)


# Session scope: built once per worker even when xdist interleaves other modules; each
# scenario's tests share an xdist group, so each is built once.
@pytest.fixture(scope="session")
def upgrades(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Upgrade]:
    cache: dict[str, Upgrade] = {}

    def upgrade(name: str) -> Upgrade:
        if name in cache:
            return cache[name]
        scenario = SCENARIOS[name]
        releases: Releases = request.getfixturevalue(
            "releases" if scenario.tagged else "untagged_releases"
        )
        tmp = tmp_path_factory.mktemp(f"upgrade-{name}")
        copier: str | Path = "copier"
        if scenario.oldest_copier:
            copier = install_copier(tmp, min_copier_version())
        destination = tmp / "project"
        if scenario.nested:
            monorepo = tmp / "monorepo"
            (monorepo / "services").mkdir(parents=True)
            (monorepo / "README.md").write_text("# Monorepo\n", "utf-8")
            commit_all(monorepo, "Monorepo")
            destination = monorepo / "services" / "api"
        # With tasks: .env, uv.lock, and the first commit (in the monorepo: none, made here).
        project = render(releases, releases.old, destination, copier=copier)
        for edit in USER_EDITS.values():
            edit.make(project.backend)
        commit_all(project.root, "User edits")
        env_before = (project.backend / ".env").read_text("utf-8")
        modules_before = domain_files(project, "posts")
        before = recorded_commit(project)
        result = update(project.root, copier=copier)
        # The answers of the old version, whose copy shipped posts instead of creating it.
        clean = render(
            releases, releases.new, tmp / "clean", "--skip-tasks", "--data", "modules=[]"
        )
        cache[name] = Upgrade(
            project,
            releases,
            result,
            env_before,
            modules_before,
            (before, recorded_commit(project)),
            clean,
        )
        return cache[name]

    return upgrade


@pytest.mark.parametrize(
    "scenario",
    [pytest.param(name, marks=pytest.mark.xdist_group(f"upgrade-{name}")) for name in SCENARIOS],
)
class TestUpgradeOfAnEditedProject:
    @pytest.fixture
    def upgraded(self, upgrades: Callable[[str], Upgrade], scenario: str) -> Upgrade:
        return upgrades(scenario)

    def test_update_crossed_the_versions_as_the_repository_names_them(
        self, upgraded: Upgrade, scenario: str
    ) -> None:
        releases, (before, after) = upgraded.releases, upgraded.commits
        if SCENARIOS[scenario].tagged:
            assert (before, after) == (releases.old, releases.new)
        else:  # a commit hash, and copier versions every commit 0.0.0.postN.dev0+<hash>
            assert releases.old.startswith(before), before
            assert releases.new.startswith(after), after
            assert "No git tags found in template" in upgraded.result.stderr
        if SCENARIOS[scenario].nested:
            assert (upgraded.project.root.parents[1] / ".git").is_dir()
            assert not (upgraded.project.root / ".git").exists()

    def test_update_succeeds_and_leaves_nothing_to_resolve(self, upgraded: Upgrade) -> None:
        assert upgraded.result.returncode == 0, upgraded.result.stderr
        assert leftovers(upgraded.project.root) == {"markers": [], "rejects": [], "unmerged": []}

    @pytest.mark.parametrize("name", list(USER_EDITS))
    def test_user_edit_is_kept(self, upgraded: Upgrade, name: str) -> None:
        edit = USER_EDITS[name]
        text = (upgraded.project.backend / edit.path_after).read_text("utf-8")
        assert after_migration(edit.new) in text

    def test_template_files_are_the_new_version_plus_user_edits(self, upgraded: Upgrade) -> None:
        project, clean = upgraded.project, upgraded.clean
        edits = {f"backend/{edit.path_after}": edit for edit in USER_EDITS.values()}
        template_files = {str(path.relative_to(clean.root)) for path in clean.files()}
        for name in template_files - set(upgraded.modules_before):
            expected = (clean.root / name).read_text("utf-8")
            if name in edits:
                expected = edits[name].apply(expected)
            assert (project.root / name).read_text("utf-8") == expected, name
        project_files = {str(path.relative_to(project.root)) for path in project.files()}
        assert project_files - template_files == {
            "backend/.env",
            "backend/uv.lock",
            "backend/src/tags/__init__.py",
            "backend/tests/test_tags.py",
            *(set(upgraded.modules_before) - template_files),
        }

    def test_the_module_the_template_dropped_is_kept_byte_for_byte(self, upgraded: Upgrade) -> None:
        # 0.1.0 shipped src/posts/ (edited by the user): 0.3.0 does not, and copier alone
        # would delete it. Its files, its migration and its registry entry stay as they were.
        assert "src/posts/router.py" in "".join(upgraded.modules_before)
        # Its migration, written by the old skeleton, stops importing the app (0.4.0).
        expected = made_static(upgraded.modules_before)
        assert expected != upgraded.modules_before
        assert domain_files(upgraded.project, "posts") == expected
        output = upgraded.result.stdout
        module_files = [
            name
            for name in upgraded.modules_before
            if name.startswith(("backend/src/posts/", "backend/tests/posts/"))
        ]
        dropped = f"kept your module posts: put back {len(module_files)} files the template dropped"
        assert dropped in output
        assert re.search(r"create_post_table\.py: sa\.DateTime\(timezone=True\) instead", output)

    def test_user_owned_files_are_untouched(self, upgraded: Upgrade) -> None:
        backend = upgraded.project.backend
        assert (backend / ".env").read_text("utf-8") == upgraded.env_before
        assert (backend / "src/tags/__init__.py").read_text("utf-8") == OWN_MODULE
        assert (backend / "tests/test_tags.py").read_text("utf-8") == after_migration(OWN_TEST)

    def test_migration_carries_the_edit_to_the_new_place(self, upgraded: Upgrade) -> None:
        tests = upgraded.project.backend / "tests"
        assert not (tests / "client.py").exists()
        utils = (tests / "utils.py").read_text("utf-8")
        # The new version's file (its docstring changed too), then the user's helper.
        assert utils == (upgraded.clean.backend / "tests" / "utils.py").read_text("utf-8") + HELPER
        assert CLIENT_DOCSTRING not in utils
        output = upgraded.result.stdout
        assert "moved your edits of backend/tests/client.py to backend/tests/utils.py" in output
        assert "backend/tests/test_tags.py: imports tests.utils instead of tests.client" in output

    def test_lock_is_redone_once_in_the_project(self, upgraded: Upgrade) -> None:
        project = upgraded.project
        relocks = re.findall(r"re-locked (\S+) after", upgraded.result.stdout)
        assert relocks == [str((project.backend / "uv.lock").resolve())]
        lock = (project.backend / "uv.lock").read_text("utf-8")
        assert 'name = "pytest-timeout"' in lock  # added by the new version
        assert 'name = "tenacity"' in lock  # added by the user
        project.check("uv", "lock", "--locked", "--quiet")

    def test_backend_suite_passes_after_update(self, upgraded: Upgrade) -> None:
        project = upgraded.project
        project.check("uv", "sync", "--frozen", "--quiet")
        output = project.check(
            "uv", "run", "--frozen", "pytest", "-v", "-p", "no:cacheprovider", timeout=SUITE_TIMEOUT
        )
        assert re.search(r"^tests/test_tags.py::test_title_route_and_slug\S* PASSED", output, re.M)
        summary = output.strip().splitlines()[-1]
        assert re.search(r"\d+ passed", summary), summary
        assert not re.search(r"failed|error", summary), summary


def test_conflict_keeps_both_sides_and_loses_nothing(releases: Releases, tmp_path: Path) -> None:
    releases = releases.clone(tmp_path / "template")
    project = render(releases, releases.new, tmp_path / "project", "--skip-tasks")
    # The modules the copy task would have made (tasks skipped: no uv lock needed here).
    project.check(sys.executable, "-m", "manage.skeleton", "posts", "orders")
    config = project.backend / "src" / "config.py"
    edits = [
        Edit("src/config.py", "TOKENS: PositiveInt = 40\n", "TOKENS: PositiveInt = 100\n"),
        Edit("src/config.py", 'APP_VERSION: str = "0.1.0"\n', 'APP_VERSION: str = "1.4.0"\n'),
        TITLE,
        USER_EDITS["own module"],
    ]
    for edit in edits:
        edit.make(project.backend)
    commit_all(project.root, "User edits")
    modules = domain_files(project, "posts", "orders")
    major, minor, patch = map(int, releases.version.split("."))
    releases.release(
        f"{major}.{minor}.{patch + 1}",
        lambda repo: replace(
            repo / "template" / "backend" / "src" / "config.py.jinja",
            "TOKENS: PositiveInt = 40\n",
            "TOKENS: PositiveInt = 64\n",
        ),
    )

    result = update(project.root)

    assert result.returncode == 0, result.stderr
    assert leftovers(project.root) == {
        "markers": ["backend/src/config.py"],
        "rejects": [],
        "unmerged": ["backend/src/config.py"],
    }
    text = config.read_text("utf-8")
    # copier's labels: the project's side ("before updating") first, the template's second.
    block = r"^<<<<<<< before updating\n(.*?)^=======\n(.*?)^>>>>>>> after updating\n"
    conflicts = re.findall(block, text, re.M | re.S)
    assert conflicts == [
        ("    THREADPOOL_TOKENS: PositiveInt = 100\n", "    THREADPOOL_TOKENS: PositiveInt = 64\n")
    ]
    for edit in edits[1:]:
        assert edit.new in (project.backend / edit.path).read_text("utf-8")
    assert domain_files(project, "posts", "orders") == modules  # never touched
    assert not (project.backend / ".env").exists()  # user-owned files are never created
    assert not (project.backend / "uv.lock").exists()


def snapshot(project: Project) -> dict[str, object]:
    git = ("git", "-C", str(project.root))
    return {
        "files": {str(p.relative_to(project.root)): p.read_bytes() for p in project.files()},
        "status": project.check(*git, "status", "--porcelain", "--untracked-files=all"),
        "index": project.check(*git, "ls-files", "--stage"),
        "head": project.check(*git, "rev-parse", "HEAD"),
    }


@pytest.mark.parametrize("change", ["modified file", "untracked file"])
def test_dirty_project_is_refused_and_left_alone(
    releases: Releases, tmp_path: Path, change: str
) -> None:
    project = render(releases, releases.old, tmp_path / "project", "--skip-tasks")
    if change == "modified file":
        TITLE.make(project.backend)
    else:
        (project.backend / "notes.txt").write_text("draft\n", "utf-8")
    before = snapshot(project)

    result = update(project.root)

    assert result.returncode != 0
    assert "Destination repository is dirty; cannot continue" in result.stderr
    assert snapshot(project) == before


SERVICE_NOTE = "    # Drafts are posts too: the caller filters them.\n"
SERVICE_FUNCTION = """

def title_words(post: PostRead) -> list[str]:
    return post.name.split()
"""


def test_update_from_published_0_4_0_moves_modules_to_the_new_data_api(tmp_path: Path) -> None:
    """A project made by 0.4.0 as published, its posts module edited by its user, updated
    to this repository's HEAD: the module runs on Db and Database, the edits kept."""
    template, destination = tmp_path / "template", tmp_path / "project"
    release = published(template, "0.4.0")
    result = run(
        "copier", "copy", "--trust", "--defaults", "--vcs-ref", release,
        "--data", "modules=[posts]", template, destination, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    project = Project(destination)
    service = project.backend / "src" / "posts" / "service.py"
    get = "    row = await fetch_one(db, ONE, id=post_id)\n"
    assert get in service.read_text("utf-8")  # the 0.4.0 skeleton's text
    if git("status", "--porcelain", cwd=destination):
        commit_all(destination, "Initial commit from template")
    text = service.read_text("utf-8").replace(get, SERVICE_NOTE + get) + SERVICE_FUNCTION
    service.write_text(text, "utf-8")
    commit_all(destination, "User edits")

    result = update(destination, "--vcs-ref", "HEAD")

    assert result.returncode == 0, result.stderr
    assert leftovers(destination) == {"markers": [], "rejects": [], "unmerged": []}
    for name in ("service.py", "router.py", "dependencies.py"):
        assert f"backend/src/posts/{name}: db: " in result.stdout, name
    assert "still uses" not in result.stdout
    text = service.read_text("utf-8")
    assert SERVICE_NOTE + "    row = await db.one(ONE, id=post_id)\n" in text
    assert text.endswith(SERVICE_FUNCTION)
    assert not (project.backend / "src" / "fetch.py").exists()
    project.check("uv", "sync", "--frozen", "--quiet")
    project.check("uv", "run", "--frozen", "ruff", "check", ".")
    project.check("uv", "run", "--frozen", "ruff", "format", "--check", ".")
    project.check("uv", "run", "--frozen", "mypy")
    output = project.check(
        "uv", "run", "--frozen", "pytest", "tests/posts", "-q", "-p", "no:cacheprovider"
    )
    assert re.search(r"^\d+ passed", output.strip().splitlines()[-1], re.M), output
