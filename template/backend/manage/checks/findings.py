"""A finding: one broken guideline at one place in the code."""

from dataclasses import dataclass
from pathlib import Path


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
