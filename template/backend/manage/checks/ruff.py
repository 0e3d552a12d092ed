"""ruff's flake8-async rules (ASYNC): blocking calls written inside an `async def`."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from manage.checks.findings import Finding, ToolError, relative


def find_ruff() -> str:
    """ruff next to this Python (the project's environment), else the one on PATH."""
    scripts = Path(sys.executable).parent
    for candidate in (scripts / "ruff", scripts / "ruff.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("ruff")
    if found is None:
        raise ToolError("ruff not found: install the dev dependencies (uv sync)")
    return found


def ruff_findings(backend: Path) -> list[Finding]:
    command = [
        find_ruff(),
        "check",
        "--select",
        "ASYNC",
        "--output-format",
        "json",
        "--no-cache",
        "--no-fix",
        "--ignore-noqa",  # manage check applies noqa comments itself, to count them
        "--exit-zero",
        "src",
    ]
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        command, cwd=backend, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ToolError(f"ruff failed: {result.stderr.strip()}")
    return [
        Finding(
            relative(Path(item["filename"]), backend),
            int(item["location"]["row"]),
            str(item["code"] or "syntax-error"),
            str(item["message"]),
        )
        for item in json.loads(result.stdout)
    ]
