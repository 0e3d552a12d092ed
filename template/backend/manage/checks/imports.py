"""Cross-domain imports name their domain: at every use, a reader sees where a name lives.

- a module of another domain, aliased with both names: `from src.auth import constants
  as auth_constants` (the singular works too: `notification_service`);
- or one name from such a module, aliased with its domain as a prefix: `from
  src.posts.constants import ErrorCode as PostsErrorCode` (`posts_slugify`, `POSTS_LIMIT`);
- `import src.posts.service` spells the whole path at every use: allowed.

Refused: `import src.posts.service as ps`, `from src.posts import service as s`,
`from src.posts.service import create_post` (the alias is what names the domain).
Core modules (the files directly under src/, like src.database) may be imported freely.
"""

import ast
from collections.abc import Iterator

from manage.checks.findings import Finding
from manage.checks.source import Module, Project, absolute_module
from manage.skeleton import singular

RULE = "cross-domain-import"


def import_findings(project: Project) -> list[Finding]:
    domains = set(project.domains())
    findings: list[Finding] = []
    for module in project.files():
        if module.domain is not None:
            findings.extend(_cross_domain(project, module, domains))
    return findings


def module_aliases(domain: str, name: str) -> set[str]:
    return {f"{domain}_{name}", f"{singular(domain)}_{name}"}


def names_domain(alias: str, domain: str) -> bool:
    """Whether an alias starts with its domain: PostsErrorCode, post_slug, POSTS_LIMIT."""
    for word in (domain, singular(domain)):
        pascal = "".join(part.title() for part in word.split("_"))
        if alias.startswith((f"{word}_", f"{word.upper()}_")) or (
            alias.startswith(pascal) and alias[len(pascal) : len(pascal) + 1].isupper()
        ):
            return True
    return False


def _is_module(project: Project, domain: str, name: str) -> bool:
    package = project.src / domain
    return (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file()


def _cross_domain(project: Project, module: Module, domains: set[str]) -> Iterator[Finding]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if len(parts) < 3 or parts[0] != "src" or parts[1] not in domains:
                    continue
                other, inner = parts[1], parts[2]
                if other == module.domain or alias.asname is None:
                    continue
                if alias.asname not in module_aliases(other, inner):
                    yield Finding(
                        module.relpath,
                        node.lineno,
                        RULE,
                        f"name the domain in the alias: from src.{other} import {inner} "
                        f"as {other}_{inner}",
                    )
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        parts = absolute_module(module, node).split(".")
        if len(parts) < 2 or parts[0] != "src" or parts[1] not in domains:
            continue
        other = parts[1]
        if other == module.domain:
            continue
        for alias in node.names:
            message = _problem(project, other, parts[2:], alias)
            if message is not None:
                yield Finding(module.relpath, node.lineno, RULE, message)


def _problem(project: Project, other: str, inner: list[str], alias: ast.alias) -> str | None:
    if inner:  # from src.posts.constants import ErrorCode [as PostsErrorCode]
        if alias.asname and names_domain(alias.asname, other):
            return None
        prefixed = "".join(word.title() for word in other.split("_")) + alias.name
        if not alias.name[:1].isupper():
            prefixed = f"{other}_{alias.name}"
        return (
            f"name the domain of {alias.name}: from src.{other} import {inner[0]} as "
            f"{other}_{inner[0]}, or from src.{other}.{'.'.join(inner)} import {alias.name} "
            f"as {prefixed}"
        )
    if not _is_module(project, other, alias.name):
        return (
            f"{alias.name} is not a module of domain {other!r}: import the module "
            f"that defines it, as from src.{other} import <module> as {other}_<module>"
        )
    if alias.asname not in module_aliases(other, alias.name):
        return (
            f"name the domain in the alias: from src.{other} import {alias.name} "
            f"as {other}_{alias.name}"
        )
    return None
