"""Release this template: `uv run python hooks/release.py X.Y.Z`, from a clean checkout.

A release is three things that must agree: `version` in pyproject.toml, the newest
`## X.Y.Z` section of CHANGELOG.md, and the git tag `X.Y.Z` (no `v`) on the commit
that has both. This refuses, one line and exit 1, unless the first two say X.Y.Z,
the tree is clean and the tag is free (or already on HEAD); then it tags HEAD.
Pushing the tag is left to you: `git push origin X.Y.Z`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

VERSION = re.compile(r"\d+\.\d+\.\d+")


def git(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def declared(root: Path) -> tuple[str | None, str | None]:
    """The version in pyproject.toml and the newest one in CHANGELOG.md."""
    pyproject = (root / "pyproject.toml").read_text("utf-8")
    project = re.search(r'^\[project\]\n(?:.*\n)*?version = "([^"]+)"', pyproject, re.M)
    changelog = (root / "CHANGELOG.md").read_text("utf-8")
    newest = re.search(r"^## (\d+\.\d+\.\d+)\s*$", changelog, re.M)
    return (project.group(1) if project else None, newest.group(1) if newest else None)


def problem(root: Path, version: str) -> str | None:
    if not VERSION.fullmatch(version):
        return f"{version!r} is not a version: X.Y.Z, digits only, no v"
    pyproject, changelog = declared(root)
    if pyproject != version:
        return f'pyproject.toml says version = "{pyproject}": set it to "{version}"'
    if changelog != version:
        return f"the newest section of CHANGELOG.md is ## {changelog}: add ## {version} on top"
    if git("status", "--porcelain", root=root).stdout:
        return "the tree has uncommitted changes: commit them first"
    head = git("rev-parse", "HEAD", root=root).stdout.strip()
    tagged = git("rev-parse", "--verify", "--quiet", f"refs/tags/{version}^{{commit}}", root=root)
    if tagged.returncode == 0 and tagged.stdout.strip() != head:
        return f"tag {version} exists already, on another commit"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python hooks/release.py X.Y.Z", file=sys.stderr)
        return 2
    version = argv[0]
    root = Path(__file__).resolve().parents[1]
    reason = problem(root, version)
    if reason:
        print(f"error: not released: {reason}", file=sys.stderr)
        return 1
    if git("tag", "--points-at", "HEAD", root=root).stdout.split().count(version):
        print(f"{version} is tagged on HEAD already")
        return 0
    result = git("tag", version, root=root)
    if result.returncode != 0:
        print(f"error: git tag failed: {result.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"tagged {version}: push it with `git push origin {version}`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
