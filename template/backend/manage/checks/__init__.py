"""The static guideline checks of `manage check`: each takes the backend directory.

- ruff.py: ruff's ASYNC rules (blocking calls written inside `async def`);
- blocking.py: blocking calls hidden in sync helpers that an `async def` calls;
- layout.py: registered domain packages, routers in router.py, models in models.py;
- imports.py: cross-domain imports through an aliased module.

The route documentation rules need the app itself: see manage/routes.py.
"""

from pathlib import Path

from manage.checks.blocking import RULE_CALL, blocking_findings
from manage.checks.findings import Finding
from manage.checks.imports import import_findings
from manage.checks.layout import layout_findings
from manage.checks.ruff import ToolError, ruff_findings
from manage.checks.source import Project

__all__ = ["Finding", "ToolError", "static_findings"]


def static_findings(backend: Path) -> list[Finding]:
    """Findings of every static check on backend/src, sorted by place."""
    project = Project(backend)
    ruff = ruff_findings(backend)
    seen_by_ruff = {(finding.path, finding.line) for finding in ruff}
    findings = [
        *ruff,
        # ruff already names a blocking call written in the async def itself.
        *(
            finding
            for finding in blocking_findings(project)
            if finding.rule != RULE_CALL or (finding.path, finding.line) not in seen_by_ruff
        ),
        *layout_findings(project),
        *import_findings(project),
    ]
    return sorted(set(findings))
