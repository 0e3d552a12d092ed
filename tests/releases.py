"""Versions of this template in a throwaway git repository, and the project steps of
the update tests (render, edit like a user, commit, update, look for leftovers).

One commit per version. Tagged (`0.1.0`, ... no `v`) like a release, or untagged
like the published repository, which has no tags: copier then records a commit
hash as `_commit` and gives every version `0.0.0.postN.dev0+<hash>`, so nothing may
depend on versions. `Releases.refs` maps each version to what `--vcs-ref` takes.

The newest version is the working tree, labelled with the top version of CHANGELOG.md.
The older ones are synthesised from the same tree by scripted edits that undo the
changes of each version since (0.3.0 = the tree without 0.4.0's; 0.2.0 = without
0.3.0's either; 0.1.0 = without 0.2.0's), so the tests keep following the template
as it evolves. Each edit checks that the text it undoes is there: when a later
change touches it, the fixture fails loudly instead of building two identical versions.

Of the old version only the rendered files matter: copier runs the tasks and
migrations of the version it updates to.
"""

import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from tests.conftest import ROOT, Project, clean_env, run

OLD = "0.1.0"
MIDDLE = "0.2.0"
PREVIOUS = "0.3.0"
# Versions as published, each the `git archive` of its commit (template/, hooks/ and
# copier.yml): a shallow clone of this repository has no history to take them from.
PUBLISHED = Path(__file__).resolve().parent / "published"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
}
CLIENT_DOCSTRING = (
    '"""An async HTTP client wired to the app in-process, with its lifespan running."""\n'
)


def git(*args: str, cwd: Path) -> str:
    result = run("git", *args, cwd=cwd, env=clean_env(**IDENTITY))
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def newest_version() -> str:
    match = re.search(r"^## (\d+\.\d+\.\d+)\b", (ROOT / "CHANGELOG.md").read_text("utf-8"), re.M)
    assert match, "CHANGELOG.md has no '## X.Y.Z' section"
    return match.group(1)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{path}: expected {old!r} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def undo_0_2_0(root: Path) -> None:
    """0.2.0 moved backend/tests/client.py to tests/utils.py and added pytest-timeout."""
    tests = root / "template" / "backend" / "tests"
    utils = tests / "utils.py"
    text, found = re.subn(r'\A""".*?"""\n', CLIENT_DOCSTRING, utils.read_text("utf-8"), flags=re.S)
    assert found == 1, "tests/utils.py lost its module docstring"
    (tests / "client.py").write_text(text, encoding="utf-8")
    utils.unlink()
    importers = [
        path
        for path in tests.rglob("*")
        if path.name.endswith((".py", ".py.jinja")) and "tests.utils" in path.read_text("utf-8")
    ]
    assert len(importers) >= 3, importers
    for path in importers:
        path.write_text(path.read_text("utf-8").replace("tests.utils", "tests.client"), "utf-8")
    pyproject = root / "template" / "backend" / "pyproject.toml.jinja"
    replace(pyproject, '    "pytest-timeout>=2.4",\n', "")
    text, found = re.subn(
        r"^# A hung test.*\ntimeout = \d+\n", "", pyproject.read_text("utf-8"), flags=re.M
    )
    assert found == 1, "pyproject.toml.jinja lost its pytest timeout"
    pyproject.write_text(text, encoding="utf-8")


STATIC_TYPE, APP_TYPE = "sa.DateTime(timezone=True)", "src.models.UTCDateTime()"
MIGRATION_IMPORTS = "import sqlalchemy as sa\n\nfrom alembic import op\n"


def import_the_app(migration: Path) -> None:
    """A migration as the skeleton of 0.3.0 and earlier wrote it: importing src.models."""
    text = migration.read_text("utf-8")
    assert text.count(STATIC_TYPE) == 2, f"{migration}: expected {STATIC_TYPE} twice"
    assert MIGRATION_IMPORTS in text, migration
    text = text.replace(STATIC_TYPE, APP_TYPE).replace(
        MIGRATION_IMPORTS, "import sqlalchemy as sa\n\nimport src.models\nfrom alembic import op\n"
    )
    migration.write_text(text, "utf-8")


def undo_0_4_0(root: Path) -> None:
    """0.4.0 made migrations static (the skeleton's imported src.models) and tested them."""
    backend = root / "template" / "backend"
    import_the_app(backend / "manage" / "module_template" / "migration.py.j2")
    (backend / "tests" / "test_migrations.py.jinja").unlink()


def render_posts(destination: Path) -> Path:
    """The posts module as 0.3.0's copy task creates it (no users then: no owners); returns
    the rendered backend."""
    result = run(
        "copier", "copy", "--trust", "--defaults", "--skip-tasks", "--data", "modules=[]",
        "--data", "auth=none", ROOT, destination, cwd=destination.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    backend = destination / "backend"
    result = run(sys.executable, "-m", "manage.skeleton", "posts", cwd=backend)
    assert result.returncode == 0, result.stderr
    return backend


def undo_0_3_0(root: Path, rendered: Path) -> None:
    """0.3.0 stopped shipping the posts module (the copy task creates modules): ship
    the rendered module as template files again, listed in the registry."""
    backend = root / "template" / "backend"
    for part in ("src/posts", "tests/posts"):
        shutil.copytree(rendered / part, backend / part)
    for migration in (rendered / "alembic" / "versions").glob("*.py"):
        shutil.copy2(migration, backend / "alembic" / "versions" / migration.name)
        import_the_app(backend / "alembic" / "versions" / migration.name)
    registry = backend / "src" / "registry.py"
    assert "DOMAIN_MODULES: tuple[str, ...] = ()\n" in registry.read_text("utf-8")
    shutil.copy2(rendered / "src" / "registry.py", registry)
    replace(root / "copier.yml", "  default: [posts]\n", "  default: []\n")


@dataclass(frozen=True)
class Releases:
    repo: Path
    refs: dict[str, str]  # version -> the tag, or the commit when untagged
    tagged: bool

    @property
    def version(self) -> str:
        return list(self.refs)[-1]

    @property
    def old(self) -> str:
        return self.refs[OLD]

    @property
    def new(self) -> str:
        return self.refs[self.version]

    def release(self, version: str, edit: Callable[[Path], None]) -> None:
        """Commit a scripted change on top of the newest version (and tag it)."""
        edit(self.repo)
        git("add", "--all", cwd=self.repo)
        git("commit", "--quiet", "-m", f"Release {version}", cwd=self.repo)
        if self.tagged:
            git("tag", version, cwd=self.repo)
        ref = version if self.tagged else git("rev-parse", "HEAD", cwd=self.repo).strip()
        self.refs[version] = ref

    def clone(self, destination: Path) -> "Releases":
        git("clone", "--quiet", str(self.repo), str(destination), cwd=destination.parent)
        return Releases(destination, dict(self.refs), self.tagged)


def copy_working_tree(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("template", "hooks"):
        shutil.rmtree(destination / name, ignore_errors=True)
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    shutil.copy2(ROOT / "copier.yml", destination / "copier.yml")


def build(destination: Path, *, tagged: bool = True) -> Releases:
    destination.mkdir()
    git("init", "--quiet", cwd=destination)
    releases = Releases(destination, {}, tagged)
    posts = render_posts(destination.parent / "posts-module")
    undo_0_3 = partial(undo_0_3_0, rendered=posts)

    def release(*undo: Callable[[Path], None]) -> Callable[[Path], None]:
        def edit(root: Path) -> None:
            copy_working_tree(root)
            for step in undo:
                step(root)

        return edit

    releases.release(OLD, release(undo_0_4_0, undo_0_3, undo_0_2_0))
    releases.release(MIDDLE, release(undo_0_4_0, undo_0_3))
    releases.release(PREVIOUS, release(undo_0_4_0))
    releases.release(newest_version(), release())
    return releases


def published(destination: Path, version: str) -> str:
    """A template repository at `destination`: `version` as published, then this working
    tree on top (HEAD), untagged like the published repository. Returns the first commit."""
    destination.mkdir()
    with tarfile.open(PUBLISHED / f"{version}.tar.gz") as archive:
        archive.extractall(destination, filter="data")
    first = commit_all(destination, f"{version} as published")
    copy_working_tree(destination)
    commit_all(destination, "The working tree")
    return first


def in_repository(path: Path) -> bool:
    return run("git", "rev-parse", "--is-inside-work-tree", cwd=path).returncode == 0


def commit_all(root: Path, message: str) -> str:
    """Commit everything in a project's repository (initialising one when the project is
    in none); return HEAD."""
    if not in_repository(root):
        git("init", "--quiet", cwd=root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--no-verify", "-m", message, cwd=root)
    return git("rev-parse", "HEAD", cwd=root).strip()


def render(
    releases: Releases,
    version: str,
    destination: Path,
    *options: str,
    copier: str | Path = "copier",
) -> Project:
    """`copier copy` of one version (a ref of `releases.refs`); with its tasks unless options
    say --skip-tasks. The result is committed, in the repository it is part of, if any."""
    result = run(
        copier,
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref",
        version,
        *options,
        releases.repo,
        destination,
        cwd=destination.parent,
    )
    assert result.returncode == 0, result.stderr
    project = Project(destination)
    if not in_repository(destination) or git("status", "--porcelain", cwd=destination):
        commit_all(destination, "Initial commit from template")
    return project


def update(
    root: Path, *options: str, copier: str | Path = "copier"
) -> subprocess.CompletedProcess[str]:
    return run(copier, "update", "--trust", "--defaults", *options, cwd=root)


def leftovers(root: Path) -> dict[str, list[str]]:
    """What an update can leave to resolve: conflict markers, rejected hunks, unmerged paths."""
    files = Project(root).files()
    return {
        "markers": sorted(
            str(path.relative_to(root))
            for path in files
            if re.search(rb"^(<{7}|>{7}) ", path.read_bytes(), re.M)
        ),
        "rejects": sorted(str(path.relative_to(root)) for path in files if path.suffix == ".rej"),
        "unmerged": git("diff", "--name-only", "--diff-filter=U", cwd=root).split(),
    }


@dataclass(frozen=True)
class Edit:
    """A user edit of backend/<path>: `old` becomes `new` ("" appends, None creates)."""

    path: str
    old: str | None
    new: str
    moved_to: str | None = None  # where the template moved the file since

    @property
    def path_after(self) -> str:
        return self.moved_to or self.path

    def apply(self, text: str | None) -> str:
        if self.old is None:
            assert text is None, f"{self.path} already exists"
            return self.new
        assert text is not None, f"{self.path} does not exist"
        assert self.old in text, f"{self.old!r} not in {self.path}"
        return text + self.new if self.old == "" else text.replace(self.old, self.new, 1)

    def make(self, backend: Path) -> None:
        path = backend / self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.apply(path.read_text("utf-8") if path.exists() else None), "utf-8")


TITLE = Edit(
    "src/main.py",
    "        title=settings.APP_NAME,\n",
    '        title=f"{settings.APP_NAME} (internal)",\n',
)


def min_copier_version() -> str:
    match = re.search(
        r'^_min_copier_version: "([\d.]+)"', (ROOT / "copier.yml").read_text("utf-8"), re.M
    )
    assert match, "copier.yml has no _min_copier_version"
    return match.group(1)


def install_copier(directory: Path, version: str | None = None) -> Path:
    """copier alone (`==version` when given) in a new virtual environment; its executable."""
    venv = directory / "venv"
    requirement = f"copier=={version}" if version else "copier"
    for command in (
        ["uv", "venv", "--quiet", "--python", "3.11", venv],
        ["uv", "pip", "install", "--quiet", "--python", venv / "bin" / "python", requirement],
    ):
        result = run(*command, cwd=directory)
        assert result.returncode == 0, result.stderr
    return venv / "bin" / "copier"
