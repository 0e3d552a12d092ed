"""Blocking calls that reach the event loop, including through sync helpers.

ruff's ASYNC rules see a blocking call written inside an `async def`. This check follows
the calls an `async def` makes to sync functions of the project (same file, or imported
from `src.*`), transitively, and reports the call site when one of them blocks. A
function passed without being called (`await run_sync(helper, x)`,
`run_in_threadpool(helper)`, `run_in_process(pool, helper)`) runs elsewhere: not reported.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from manage.checks.findings import Finding
from manage.checks.source import FunctionNode, Module, Project, Symbol, walk_scope

RULE_HELPER = "blocking-helper"
RULE_CALL = "blocking-call"

BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "builtins.open",
        "builtins.input",
        "io.open",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        "sqlite3.connect",
        "urllib.request.urlopen",
        "shutil.copy",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.rmtree",
        "shutil.move",
    }
)
# Every call into these modules blocks (or opens something that will).
BLOCKING_MODULES = ("requests", "subprocess", "socket")
# httpx and httpx2: the module-level request functions and the sync Client.
HTTPX_CALLS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "Client"}
)
# Methods that read or write a file whatever the object is (pathlib.Path in practice).
FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})


@dataclass(frozen=True)
class Blocking:
    """How a function blocks: the chain of helpers, then the blocking call and its place."""

    via: tuple[str, ...]
    call: str
    path: str
    line: int

    def describe(self) -> str:
        chain = "".join(f"{name}() -> " for name in self.via)
        return f"{chain}{self.call} ({self.path}:{self.line})"


def blocking_call_name(project: Project, module: Module, call: ast.Call) -> str | None:
    """The name of a known blocking call, or None."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in FILE_METHODS:
        return f"Path.{func.attr}"
    name = project.qualify(module, func)
    if name is None:
        return None
    if name in BLOCKING_CALLS:
        return name.removeprefix("builtins.")
    top, _, rest = name.partition(".")
    if top in BLOCKING_MODULES and rest:
        return name
    if top in {"httpx", "httpx2"} and rest in HTTPX_CALLS:
        return name
    if name == "pathlib.Path.open" or (
        isinstance(func, ast.Attribute)
        and func.attr == "open"
        and isinstance(func.value, ast.Call)
        and project.qualify(module, func.value.func) == "pathlib.Path"
    ):
        return "Path.open"
    return None


class BlockingAnalysis:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._memo: dict[tuple[str, str], Blocking | None] = {}
        self._active: set[tuple[str, str]] = set()

    def callee(self, module: Module, call: ast.Call, owner: str | None) -> Symbol | None:
        """The project sync function a call runs right away (a class runs __init__)."""
        func = call.func
        symbol: Symbol | None = None
        if (
            owner
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"self", "cls"}
        ):
            node = module.definitions.get(f"{owner}.{func.attr}")
            symbol = Symbol(module, f"{owner}.{func.attr}", node) if node else None
        else:
            name = self.project.qualify(module, func)
            symbol = self.project.lookup(name) if name else None
        if symbol is not None and isinstance(symbol.node, ast.ClassDef):
            init = symbol.module.definitions.get(f"{symbol.qualname}.__init__")
            symbol = Symbol(symbol.module, f"{symbol.qualname}.__init__", init) if init else None
        if symbol is None or not isinstance(symbol.node, ast.FunctionDef):
            return None  # unknown, or async: calling it only creates a coroutine
        return symbol

    def blocks(self, symbol: Symbol) -> Blocking | None:
        """How calling this sync function blocks, or None if no blocking call is known."""
        key = (symbol.module.name, symbol.qualname)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:  # recursion: the cycle adds nothing new
            return None
        self._active.add(key)
        try:
            found = self._first_blocking(symbol)
        finally:
            self._active.discard(key)
        self._memo[key] = found
        return found

    def _first_blocking(self, symbol: Symbol) -> Blocking | None:
        if not isinstance(symbol.node, ast.FunctionDef):
            return None
        module, owner = symbol.module, _owner(symbol.qualname)
        for call in calls_in(symbol.node):
            name = blocking_call_name(self.project, module, call)
            if name is not None:
                return Blocking((), name, module.relpath, call.lineno)
        for call in calls_in(symbol.node):
            callee = self.callee(module, call, owner)
            found = self.blocks(callee) if callee else None
            if callee is not None and found is not None:
                label = _label(callee, module)
                return Blocking((label, *found.via), found.call, found.path, found.line)
        return None

    def findings(self) -> Iterator[Finding]:
        for module in self.project.files():
            for function, owner in async_functions(module):
                yield from self._check_async(module, function, owner)

    def _check_async(
        self, module: Module, function: ast.AsyncFunctionDef, owner: str | None
    ) -> Iterator[Finding]:
        for call in calls_in(function):
            name = blocking_call_name(self.project, module, call)
            if name is not None:
                yield Finding(
                    module.relpath,
                    call.lineno,
                    RULE_CALL,
                    f"{name}() blocks the event loop in async def {function.name}(): "
                    "await an async API, or pass the function to run_sync/run_in_threadpool",
                )
                continue
            callee = self.callee(module, call, owner)
            found = self.blocks(callee) if callee else None
            if callee is not None and found is not None:
                yield Finding(
                    module.relpath,
                    call.lineno,
                    RULE_HELPER,
                    f"{_label(callee, module)}() blocks the event loop in async def "
                    f"{function.name}(): it calls {found.describe()}; pass it to "
                    "run_sync/run_in_threadpool (or run_in_process) instead of calling it",
                )


def calls_in(function: FunctionNode) -> Iterator[ast.Call]:
    for node in walk_scope(function):
        if isinstance(node, ast.Call):
            yield node


def async_functions(module: Module) -> Iterator[tuple[ast.AsyncFunctionDef, str | None]]:
    """Every async def of a module, nested ones included, with its class if it is a method."""
    classes = {
        item: node.name
        for node in module.tree.body
        if isinstance(node, ast.ClassDef)
        for item in node.body
    }
    for node in ast.walk(module.tree):
        if isinstance(node, ast.AsyncFunctionDef):
            yield node, classes.get(node)


def _owner(qualname: str) -> str | None:
    owner, _, _ = qualname.rpartition(".")
    return owner or None


def _label(symbol: Symbol, caller: Module) -> str:
    return symbol.qualname if symbol.module is caller else symbol.display


def blocking_findings(project: Project) -> list[Finding]:
    return list(BlockingAnalysis(project).findings())
