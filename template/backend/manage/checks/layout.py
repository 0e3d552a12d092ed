"""Module layout: registered domain packages, routers in router.py, models in models.py.

src/registry.py lists the domain modules (DOMAIN_MODULES); the template's own example
modules are included by src/main.py directly. A package with a router.py that is in
neither place would never be served.
"""

import ast
from collections.abc import Iterator

from manage.checks.findings import Finding
from manage.checks.source import Module, Project

RULE = "layout"
ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
MODEL_BASE = "src.models.Base"


def registered_modules(project: Project) -> tuple[list[tuple[str, int]], list[Finding]]:
    """The names in DOMAIN_MODULES with their line, read without importing src."""
    registry = project.modules.get("src.registry")
    if registry is None:
        return [], []
    for node in registry.tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if not (isinstance(target, ast.Name) and target.id == "DOMAIN_MODULES"):
            continue
        items = value.elts if isinstance(value, ast.Tuple | ast.List) else []
        names = [
            (item.value, item.lineno)
            for item in items
            if isinstance(item, ast.Constant) and isinstance(item.value, str)
        ]
        if value is None or len(names) != len(items) or not isinstance(value, ast.Tuple):
            problem = "DOMAIN_MODULES must be a tuple of module names (string literals)"
            return names, [Finding(registry.relpath, node.lineno, RULE, problem)]
        return names, []
    problem = "src/registry.py must define DOMAIN_MODULES"
    return [], [Finding(registry.relpath, 1, RULE, problem)]


def included_by_main(project: Project) -> set[str]:
    """Packages whose router src/main.py imports: the template's own modules."""
    main = project.modules.get("src.main")
    names: set[str] = set()
    for imported in main.imports.values() if main else ():
        parts = imported.split(".")
        if len(parts) >= 3 and parts[0] == "src" and parts[2] == "router":
            names.add(parts[1])
    return names


def layout_findings(project: Project) -> list[Finding]:
    registered, findings = registered_modules(project)
    registry = "src/registry.py"
    seen: set[str] = set()
    for name, line in registered:
        package = project.src / name
        if name in seen:
            findings.append(Finding(registry, line, RULE, f"{name!r} is registered twice"))
        elif not name.isidentifier() or not (package / "__init__.py").is_file():
            findings.append(
                Finding(registry, line, RULE, f"{name!r} is not a package: src/{name}/__init__.py")
            )
        elif not (package / "router.py").is_file():
            findings.append(Finding(registry, line, RULE, f"{name!r} has no src/{name}/router.py"))
        seen.add(name)
    served = seen | included_by_main(project)
    for name in project.domains():
        router = project.src / name / "router.py"
        if router.is_file() and name not in served:
            findings.append(
                Finding(
                    f"src/{name}/router.py",
                    1,
                    RULE,
                    f"module {name!r} is not registered: add it to DOMAIN_MODULES "
                    "in src/registry.py",
                )
            )
    for module in project.files():
        findings.extend(_misplaced(project, module))
    return findings


def _misplaced(project: Project, module: Module) -> Iterator[Finding]:
    filename = module.path.name
    for node in ast.walk(module.tree):
        if (
            filename != "router.py"
            and isinstance(node, ast.Call)
            and project.qualify(module, node.func) in ROUTER_CLASSES
        ):
            yield Finding(
                module.relpath,
                node.lineno,
                RULE,
                "APIRouter created outside router.py: routes of a module live in its router.py",
            )
        if (
            filename != "models.py"
            and isinstance(node, ast.ClassDef)
            and is_model(project, module, node)
        ):
            yield Finding(
                module.relpath,
                node.lineno,
                RULE,
                f"SQLAlchemy model {node.name} defined outside models.py: move it to models.py",
            )


def is_model(project: Project, module: Module, node: ast.ClassDef, depth: int = 0) -> bool:
    """Whether the class derives from src.models.Base, directly or through project classes."""
    if depth > 20:
        return False
    for base in node.bases:
        name = project.qualify(module, base)
        if name is None:
            continue
        symbol = project.lookup(name)
        if symbol is not None and symbol.display == MODEL_BASE:
            return True
        if (
            symbol is not None
            and isinstance(symbol.node, ast.ClassDef)
            and is_model(project, symbol.module, symbol.node, depth + 1)
        ):
            return True
    return False
