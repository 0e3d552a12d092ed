"""A finding: one broken guideline at one place in the code, and noqa comments to silence it."""

import re
from dataclasses import dataclass
from pathlib import Path

# A noqa comment naming rules by code or name (noqa: MNG101, ASYNC251) on the finding's line.
NOQA = re.compile(r"#\s*noqa:\s*([\w-]+(?:\s*,\s*[\w-]+)*)", re.IGNORECASE)


class ToolError(Exception):
    """A check could not run; str(error) says why."""


@dataclass(frozen=True, order=True)
class Finding:
    path: str  # relative to the backend directory, with forward slashes
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


def relative(path: Path, backend: Path) -> str:
    """`path` relative to the backend when it lies inside it, else as given."""
    try:
        return path.resolve().relative_to(backend.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def unsilenced(
    findings: list[Finding], backend: Path, codes: dict[str, str]
) -> tuple[list[Finding], int]:
    """The findings whose line does not name their rule (or its code) in a noqa comment,
    and how many did."""
    lines: dict[str, list[str]] = {}
    kept: list[Finding] = []
    for finding in findings:
        if finding.path not in lines:
            try:
                lines[finding.path] = (backend / finding.path).read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines[finding.path] = []
        text = lines[finding.path]
        match = NOQA.search(text[finding.line - 1]) if 0 < finding.line <= len(text) else None
        rules = {rule.strip().lower() for rule in match.group(1).split(",")} if match else set()
        names = {finding.rule.lower(), codes.get(finding.rule, finding.rule).lower()}
        if not names & rules:
            kept.append(finding)
    return kept, len(findings) - len(kept)
