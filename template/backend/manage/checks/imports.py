"""Cross-domain imports go through an aliased module: `from src.auth import service as
auth_service`, never `from src.auth.service import verify`.

The alias says at every use which domain a name belongs to, and one module can change its
internals without breaking the names others imported from it. Core modules (the files
directly under src/, like src.database or src.exceptions) may be imported from freely.
"""

import ast
from collections.abc import Iterator

from manage.checks.findings import Finding
from manage.checks.source import Module, Project, absolute_module

RULE = "cross-domain-import"


def import_findings(project: Project) -> list[Finding]:
    domains = set(project.domains())
    findings: list[Finding] = []
    for module in project.files():
        if module.domain is not None:
            findings.extend(_cross_domain(project, module, domains))
    return findings


def _cross_domain(project: Project, module: Module, domains: set[str]) -> Iterator[Finding]:
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        parts = absolute_module(module, node).split(".")
        if len(parts) < 2 or parts[0] != "src" or parts[1] not in domains:
            continue
        other = parts[1]
        if other == module.domain:
            continue
        if len(parts) > 2:
            inner = parts[2]
            yield Finding(
                module.relpath,
                node.lineno,
                RULE,
                f"import the module of domain {other!r}, not its names: "
                f"from src.{other} import {inner} as {other}_{inner}",
            )
            continue
        for alias in node.names:
            package = project.src / other
            is_module = (package / f"{alias.name}.py").is_file() or (
                package / alias.name / "__init__.py"
            ).is_file()
            if not is_module:
                message = (
                    f"{alias.name} is not a module of domain {other!r}: import the module "
                    f"that defines it, as from src.{other} import <module> as {other}_<module>"
                )
            elif alias.asname is None or alias.asname == alias.name:
                message = (
                    f"alias the module of domain {other!r}: "
                    f"from src.{other} import {alias.name} as {other}_{alias.name}"
                )
            else:
                continue
            yield Finding(module.relpath, node.lineno, RULE, message)
