"""The static guideline checks of `manage check`: each takes the backend directory.

- ruff.py: ruff's ASYNC rules (blocking calls written inside `async def`);
- blocking.py: blocking I/O and CPU-heavy work reaching the event loop, through helpers
  and the methods of annotated clients too;
- layout.py: registered domain packages, routers in router.py, models in models.py;
- imports.py: cross-domain imports that name their domain;
- models.py: the naming convention, table and date/time column names;
- responses.py: no Response built from jsonable_encoder.

The route documentation rules need the app itself: see manage/routes.py.
`# noqa: <rule>` on a finding's line silences it (manage/checks/findings.py).
"""

from pathlib import Path

from manage.checks import blocking, imports, layout, models, responses
from manage.checks.findings import Finding, ToolError, unsilenced
from manage.checks.ruff import ruff_findings
from manage.checks.source import Project

__all__ = ["CODES", "RULES", "Finding", "ToolError", "static_findings", "unsilenced"]

# Every rule `manage check` reports: its code, and what it asks for (`manage check --list`).
# A comment noqa: MNG101 silences that finding on its line; the rule's name works too,
# but ruff warns about noqa codes that are not letters then digits.
RULES: dict[str, tuple[str, str]] = {
    "flake8-async": ("ASYNC<nnn>", "ruff's flake8-async rules: a blocking call in an async def"),
    blocking.RULE_CALL: ("MNG101", "blocking I/O in an async def (on annotated clients too)"),
    blocking.RULE_HELPER: ("MNG102", "an async def calls a sync function or method that blocks"),
    blocking.RULE_CPU: ("MNG103", "CPU-heavy work in an async def: run it with run_in_process"),
    blocking.RULE_DEPENDENCY: ("MNG104", "a sync def dependency doing blocking I/O"),
    layout.RULE: ("MNG201", "modules registered; routers in router.py, models in models.py"),
    imports.RULE: ("MNG202", "another domain's module imported under an alias naming it"),
    models.RULE_CONVENTION: ("MNG301", "MetaData has a naming convention; constraints follow it"),
    models.RULE_TABLE: ("MNG302", "table names in singular snake_case"),
    models.RULE_COLUMN: ("MNG303", "date and datetime columns end in _at or _date"),
    responses.RULE: ("MNG401", "no Response built from jsonable_encoder: return the model"),
    "route-docs": ("MNG402", "routes document status, summary, description, tags, errors"),
}
CODES = {rule: code for rule, (code, _) in RULES.items()}


def static_findings(backend: Path) -> list[Finding]:
    """Findings of every static check on backend/src (and the migrations), sorted by place."""
    project = Project(backend)
    ruff = ruff_findings(backend)
    seen_by_ruff = {(finding.path, finding.line) for finding in ruff}
    findings = [
        *ruff,
        # ruff already names a blocking call written in the async def itself.
        *(
            finding
            for finding in blocking.blocking_findings(project)
            if finding.rule != blocking.RULE_CALL
            or (finding.path, finding.line) not in seen_by_ruff
        ),
        *layout.layout_findings(project),
        *imports.import_findings(project),
        *models.model_findings(project),
        *responses.response_findings(project),
    ]
    return sorted(set(findings))
