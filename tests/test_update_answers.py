"""Changing an answer with `copier update --vcs-ref :current: --data ...`.

What depends on an answer is measured, not listed: two fresh renders that differ
only in that answer. The update must change exactly those files (plus the lock
when the dependencies moved), keep the user's edits, and change nothing else.
"""

import filecmp
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import Project
from tests.releases import TITLE, Releases, commit_all, git, render, update


def depends_on(releases: Releases, tmp_path: Path, **answers: Any) -> dict[str, str]:
    """Files that differ between the default render and one with these answers, as git
    status codes: M (changed), D (no longer rendered), ?? (newly rendered)."""
    data = [option for key, value in answers.items() for option in ("--data", f"{key}={value}")]
    before = render(releases, releases.new, tmp_path / "defaults", "--skip-tasks")
    after = render(releases, releases.new, tmp_path / "answered", "--skip-tasks", *data)
    old = {str(path.relative_to(before.root)) for path in before.files()}
    new = {str(path.relative_to(after.root)) for path in after.files()}
    changed = {
        name: "M"
        for name in old & new
        if not filecmp.cmp(before.root / name, after.root / name, shallow=False)
    }
    return changed | dict.fromkeys(old - new, "D") | dict.fromkeys(new - old, "??")


def status(project: Project) -> dict[str, str]:
    output = git("status", "--porcelain", "--untracked-files=all", cwd=project.root)
    return {line[3:]: line[:2].strip() for line in output.splitlines()}


def edited_project(releases: Releases, destination: Path, *options: str) -> Project:
    project = render(releases, releases.new, destination, *options)
    TITLE.make(project.backend)
    commit_all(project.root, "User edits")
    return project


def test_sdk_example_off_then_on(releases: Releases, tmp_path: Path) -> None:
    expected = depends_on(releases, tmp_path, include_sdk_example="false")
    assert expected["backend/src/exchange_rates/router.py"] == "D"
    assert expected["backend/pyproject.toml"] == "M"
    project = edited_project(releases, tmp_path / "project")  # with tasks: uv.lock
    edited = git("rev-parse", "HEAD", cwd=project.root).strip()

    off = update(project.root, "--vcs-ref", ":current:", "--data", "include_sdk_example=false")

    assert off.returncode == 0, off.stderr
    assert status(project) == expected | {"backend/uv.lock": "M"}  # re-locked: deps changed
    main = (project.backend / "src" / "main.py").read_text("utf-8")
    assert TITLE.new in main
    assert "exchange_rates" not in main
    assert not (project.backend / "src" / "exchange_rates").exists()
    commit_all(project.root, "Without the SDK example")

    on = update(project.root, "--vcs-ref", ":current:", "--data", "include_sdk_example=true")

    assert on.returncode == 0, on.stderr
    git("add", "--all", cwd=project.root)
    assert git("diff", "--cached", "--stat", edited, cwd=project.root) == ""  # as before


def test_docs_environments_switch(releases: Releases, tmp_path: Path) -> None:
    production = '["production"]'
    expected = depends_on(releases, tmp_path, docs_environments=production)
    assert {".copier-answers.yml", "backend/src/config.py"} <= expected.keys()
    project = edited_project(releases, tmp_path / "project", "--skip-tasks")

    result = update(
        project.root, "--vcs-ref", ":current:", "--data", f"docs_environments={production}"
    )

    assert result.returncode == 0, result.stderr
    assert status(project) == expected
    diff = git("diff", "--unified=0", "backend/src/config.py", cwd=project.root)
    lines = diff.splitlines()
    assert [
        line for line in lines if line[:1] in {"+", "-"} and line[:3] not in {"+++", "---"}
    ] == [
        "-        Environment.LOCAL,",
        "-        Environment.STAGING,",
        "+        Environment.PRODUCTION,",
    ]
    answers = yaml.safe_load((project.root / ".copier-answers.yml").read_text("utf-8"))
    assert answers["docs_environments"] == ["production"]
    assert TITLE.new in (project.backend / "src" / "main.py").read_text("utf-8")
    assert "re-locked" not in result.stdout  # the dependencies did not move
