"""The project's source under src/, parsed once, with names resolved across its modules.

Static only: nothing is imported, so the checks also run on a tree that does not start.
A name resolves through the module's own definitions and its imports (relative imports
and re-exports included) to a dotted name like `src.posts.service.create_post` or
`time.sleep`; local variables, parameters and attributes of objects do not resolve.
"""

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from manage.checks.findings import ToolError, relative

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Definition = FunctionNode | ast.ClassDef
BUILTINS = frozenset(dir(builtins))


@dataclass
class Module:
    name: str  # dotted: src.posts.router
    path: Path
    relpath: str  # relative to the backend: src/posts/router.py
    tree: ast.Module
    # Top-level functions and classes by name, and methods as "Class.method".
    definitions: dict[str, Definition] = field(default_factory=dict)
    # Local name -> the dotted name it was imported as.
    imports: dict[str, str] = field(default_factory=dict)
    # Top-level `name = value` and `name: annotation = value`: (annotation, value).
    assignments: dict[str, tuple[ast.expr | None, ast.expr | None]] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]

    @property
    def domain(self) -> str | None:
        """`posts` for src/posts/..., None for the core modules (src/*.py)."""
        parts = self.name.split(".")
        if len(parts) > 2 or self.path.name == "__init__.py":
            return parts[1] if len(parts) > 1 else None
        return None


@dataclass(frozen=True)
class Symbol:
    module: Module
    qualname: str  # "helper" or "Class.method"
    node: Definition

    @property
    def display(self) -> str:
        return f"{self.module.name}.{self.qualname}"


class Project:
    def __init__(self, backend: Path) -> None:
        self.backend = backend
        self.src = backend / "src"
        self.modules: dict[str, Module] = {}
        for path in sorted(self.src.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(backend).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            tree = parse(path, backend)
            module = Module(name, path, relative(path, backend), tree)
            _index(module)
            self.modules[name] = module

    def domains(self) -> list[str]:
        """Packages directly under src/: the domain modules (core modules are files)."""
        return sorted(
            path.name
            for path in self.src.iterdir()
            if path.is_dir() and any(path.glob("*.py")) and path.name != "__pycache__"
        )

    def qualify(self, module: Module, expr: ast.expr) -> str | None:
        """The dotted name `expr` refers to in `module`, when it is a plain name chain."""
        if isinstance(expr, ast.Name):
            if expr.id in module.imports:
                return module.imports[expr.id]
            if expr.id in module.definitions:
                return f"{module.name}.{expr.id}"
            if expr.id in BUILTINS:
                return f"builtins.{expr.id}"
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualify(module, expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        return None

    def lookup(self, dotted: str, _seen: frozenset[str] = frozenset()) -> Symbol | None:
        """The project function or class a dotted name refers to, following re-exports."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.modules.get(".".join(parts[:cut]))
            if module is None:
                continue
            qualname = ".".join(parts[cut:])
            node = module.definitions.get(qualname)
            if node is not None:
                return Symbol(module, qualname, node)
            imported = module.imports.get(parts[cut])
            if imported is None or dotted in _seen:
                return None
            # A re-export (`from src.a.service import helper` in src/a/__init__.py): follow it.
            return self.lookup(".".join([imported, *parts[cut + 1 :]]), _seen | {dotted})
        return None

    def lookup_assignment(self, dotted: str) -> tuple[Module, str] | None:
        """The module-level variable a dotted name refers to, following re-exports."""
        module_name, _, name = dotted.rpartition(".")
        for _ in range(10):
            module = self.modules.get(module_name)
            if module is None:
                return None
            if name in module.assignments:
                return module, name
            imported = module.imports.get(name)
            if imported is None:
                return None
            module_name, _, name = imported.rpartition(".")
        return None

    def files(self) -> Iterator[Module]:
        yield from self.modules.values()


def parse(path: Path, backend: Path) -> ast.Module:
    """A file's syntax tree; a file that does not parse stops the checks with one line."""
    try:
        return ast.parse(path.read_text("utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as error:
        where = f"{relative(path, backend)}:{getattr(error, 'lineno', None) or 1}"
        raise ToolError(f"{where}: cannot parse: {getattr(error, 'msg', error)}") from None


def _index(module: Module) -> None:
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.definitions[node.name] = node
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.definitions[f"{node.name}.{item.name}"] = item
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                module.assignments[node.targets[0].id] = (None, node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            module.assignments[node.target.id] = (node.annotation, node.value)
    for imported in ast.walk(module.tree):
        if isinstance(imported, ast.Import):
            for alias in imported.names:
                if alias.asname:
                    module.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    module.imports[top] = top
        elif isinstance(imported, ast.ImportFrom):
            source = absolute_module(module, imported)
            for alias in imported.names:
                if alias.name != "*":
                    module.imports[alias.asname or alias.name] = f"{source}.{alias.name}"


def absolute_module(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module name of `from <...> import`, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def walk_scope(function: FunctionNode) -> Iterator[ast.AST]:
    """The nodes of a function's body, without the bodies of nested functions, lambdas
    and classes: those run when called (maybe in a thread), not where they are defined."""
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(
            current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        ):
            stack.extend(reversed(list(ast.iter_child_nodes(current))))
