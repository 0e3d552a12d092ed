"""A release is pyproject.toml's version, CHANGELOG.md's newest section and a git tag,
all saying the same; `hooks/release.py X.Y.Z` tags only when they do."""

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run
from tests.releases import commit_all, git, newest_version

RELEASE = ROOT / "hooks" / "release.py"


def test_pyproject_changelog_and_tag_agree() -> None:
    version = newest_version()
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert re.search(rf'^version = "{re.escape(version)}"$', pyproject, re.M), version
    # A version tag on the checked-out commit (a release checkout) must be that version.
    tags = run("git", "tag", "--points-at", "HEAD", cwd=ROOT).stdout.split()
    assert [tag for tag in tags if re.fullmatch(r"v?\d+\.\d+\.\d+", tag)] in ([], [version])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository laid out like this one, at version 1.2.0 in both files."""
    (tmp_path / "hooks").mkdir()
    shutil.copy2(RELEASE, tmp_path / "hooks" / "release.py")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "t"\nversion = "1.2.0"\n\n[tool.x]\nversion = "9.9.9"\n', "utf-8"
    )
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 1.2.0\n\n- x\n\n## 1.1.0\n", "utf-8")
    commit_all(tmp_path, "1.2.0")
    return tmp_path


def release(repo: Path, *args: str) -> tuple[int, str]:
    result = run(sys.executable, repo / "hooks" / "release.py", *args, cwd=repo)
    return result.returncode, (result.stdout + result.stderr).strip()


def tags(repo: Path) -> list[str]:
    return git("tag", "--points-at", "HEAD", cwd=repo).split()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("version", 'pyproject.toml says version = "1.2.0": set it to "1.3.0"'),
        ("changelog", "the newest section of CHANGELOG.md is ## 1.2.0: add ## 1.3.0 on top"),
        ("dirty", "the tree has uncommitted changes: commit them first"),
        ("taken", "tag 1.3.0 exists already, on another commit"),
    ],
)
def test_release_refuses_unless_all_agree(repo: Path, change: str, reason: str) -> None:
    pyproject, changelog = repo / "pyproject.toml", repo / "CHANGELOG.md"
    bumped = pyproject.read_text("utf-8").replace('version = "1.2.0"', 'version = "1.3.0"')
    if change != "version":
        pyproject.write_text(bumped, "utf-8")
    if change != "changelog":
        changelog.write_text(
            changelog.read_text("utf-8").replace("\n\n## 1.2.0", "\n\n## 1.3.0\n\n- y\n\n## 1.2.0"),
            "utf-8",
        )
    if change == "taken":
        git("tag", "1.3.0", cwd=repo)
    commit_all(repo, "1.3.0")
    if change == "dirty":
        (repo / "notes.txt").write_text("draft\n", "utf-8")
    assert release(repo, "1.3.0") == (1, f"error: not released: {reason}")
    assert tags(repo) == []


def test_release_tags_head_once(repo: Path) -> None:
    assert release(repo, "1.2.0") == (0, "tagged 1.2.0: push it with `git push origin 1.2.0`")
    assert tags(repo) == ["1.2.0"]
    assert release(repo, "1.2.0") == (0, "1.2.0 is tagged on HEAD already")
    assert release(repo, "v1.2.0")[0] == 1
