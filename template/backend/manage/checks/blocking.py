"""Blocking I/O and CPU-heavy work that reaches the event loop, including through helpers.

ruff's ASYNC rules see some blocking calls written inside an `async def`. This check also
follows, transitively, the calls an `async def` makes to the project's sync functions and
to methods of objects whose class the code states (`client: RatesClient`, an
`Annotated[RatesClient, Depends(...)]` alias, `session = requests.Session()`,
`self._http = httpx.Client()`): see types.py. A function passed without being called
(`await run_sync(helper, x)`, `run_in_threadpool(helper)`, `run_in_process(pool, helper)`)
runs elsewhere, and an awaited call is asynchronous: neither is reported.

CPU-heavy work is a call known to be (key derivation, password hashing, compression,
hashing a request body or upload), a loop over a literal range of 100,000 or more, or a
project function that the project itself runs with run_in_process elsewhere.

A sync `def` dependency that blocks holds a thread of the shared pool (the one `def`
routes use) for its whole wait: make it `async def` and await an async API.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from manage.checks.findings import Finding
from manage.checks.source import FunctionNode, Module, Project, Symbol, walk_scope
from manage.checks.types import Types

RULE_CALL = "blocking-call"
RULE_HELPER = "blocking-helper"
RULE_CPU = "cpu-bound"
RULE_DEPENDENCY = "sync-dependency-io"

BLOCKING_CALLS = frozenset(
    {
        *(f"requests.{verb}" for verb in ("get", "post", "put", "patch", "delete")),
        *(f"requests.{verb}" for verb in ("head", "options", "request")),
        *(f"httpx.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head")),
        *(f"httpx.{verb}" for verb in ("options", "request", "stream")),
        "httpx.Client",  # loads the CA certificates from disk
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        *(f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output")),
        *(f"subprocess.{name}" for name in ("getoutput", "getstatusoutput", "Popen")),
        *(f"socket.{name}" for name in ("create_connection", "create_server", "getaddrinfo")),
        *(f"socket.{name}" for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr")),
        "time.sleep",
        "builtins.open",
        "builtins.input",
        "io.open",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        "hashlib.file_digest",
        "sqlite3.connect",
        "psycopg.connect",
        "psycopg2.connect",
        "pymysql.connect",
        "smtplib.SMTP",  # connects in the constructor
        "smtplib.SMTP_SSL",
        "ftplib.FTP",
        *(f"shutil.{name}" for name in ("copy", "copy2", "copyfile", "copytree")),
        *(f"shutil.{name}" for name in ("rmtree", "move", "make_archive", "unpack_archive")),
        *(f"pandas.read_{kind}" for kind in ("csv", "excel", "json", "parquet", "sql")),
    }
)
HTTP_VERBS = frozenset({"request", "get", "post", "put", "patch", "delete", "head", "options"})
PATH_IO = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open", "touch"})
# Methods that block, by the class of the object they are called on ("*": all of them).
BLOCKING_METHODS: dict[str, frozenset[str]] = {
    "requests.Session": HTTP_VERBS | {"send"},
    "httpx.Client": HTTP_VERBS | {"send", "stream"},
    "urllib3.PoolManager": frozenset({"request", "urlopen"}),
    "http.client.HTTPConnection": frozenset({"connect", "request", "getresponse"}),
    "http.client.HTTPSConnection": frozenset({"connect", "request", "getresponse"}),
    "sqlalchemy.orm.Session": frozenset(
        {"execute", "scalar", "scalars", "get", "commit", "flush", "refresh", "rollback"}
    )
    | {"query", "merge", "connection", "close"},
    "sqlalchemy.engine.Engine": frozenset({"connect", "begin", "dispose"}),
    "sqlalchemy.engine.Connection": frozenset(
        {"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback"}
    ),
    "sqlite3.Connection": frozenset({"execute", "executemany", "executescript", "commit"}),
    "sqlite3.Cursor": frozenset({"execute", "executemany", "fetchone", "fetchall", "fetchmany"}),
    "socket.socket": frozenset(
        {"connect", "accept", "recv", "recv_into", "recvfrom", "send", "sendall", "sendto"}
    ),
    "subprocess.Popen": frozenset({"wait", "communicate"}),
    "smtplib.SMTP": frozenset({"connect", "login", "starttls", "sendmail", "send_message"}),
    "redis.Redis": frozenset({"*"}),
    "botocore.client.BaseClient": frozenset({"*"}),  # boto3.client("s3")
    "pathlib.Path": PATH_IO | {"unlink", "mkdir", "rmdir", "rename", "replace", "iterdir"},
}
# Methods of those clients that do no I/O: they build something locally.
LOCAL_METHODS = frozenset(
    {"pipeline", "generate_presigned_url", "generate_presigned_post", "get_paginator"}
)
# Methods that read or write a file, on an object of unknown class (a Path in practice).
FILE_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes"})

CPU_CALLS = frozenset(
    {
        "hashlib.pbkdf2_hmac",
        "hashlib.scrypt",
        "bcrypt.hashpw",
        "bcrypt.checkpw",
        "bcrypt.kdf",
        *(
            f"{codec}.{verb}"
            for codec in ("zlib", "gzip", "bz2", "lzma")
            for verb in ("compress", "decompress")
        ),
    }
)
CPU_METHODS: dict[str, frozenset[str]] = {
    "pwdlib.PasswordHash": frozenset({"hash", "verify", "verify_and_update"}),
    "argon2.PasswordHasher": frozenset({"hash", "verify"}),
    "passlib.context.CryptContext": frozenset({"hash", "verify", "verify_and_update"}),
}
# Cheap on a token, CPU-heavy on a request body or an upload.
DIGESTS = ("hashlib.", "zlib.crc32", "zlib.adler32")
LARGE_READS = frozenset({"body", "read"})  # await request.body(), await upload.read()
BIG_RANGE = 100_000
PROCESS_RUNNERS = ("run_in_process", "anyio.to_process.run_sync")
DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})


@dataclass(frozen=True)
class Blocking:
    """How a function blocks: the chain of helpers, then the blocking call and its place."""

    via: tuple[str, ...]
    call: str
    path: str
    line: int
    cpu: bool = False

    def describe(self) -> str:
        chain = "".join(f"{name}() -> " for name in self.via)
        return f"{chain}{self.call} ({self.path}:{self.line})"


@dataclass
class Scope:
    """What the checks know inside one function."""

    module: Module
    owner: str | None  # the class, for a method
    env: dict[str, str]  # local name -> class
    awaited: set[int]  # id() of the calls awaited right away
    large: set[str]  # names holding a request body or an upload's content


class BlockingAnalysis:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.types = Types(project)
        self._memo: dict[tuple[str, str], Blocking | None] = {}
        self._active: set[tuple[str, str]] = set()
        self.cpu_functions = self._run_in_processes()

    def scope(self, module: Module, function: FunctionNode, owner: str | None) -> Scope:
        awaited: set[int] = set()
        large: set[str] = set()
        for node in walk_scope(function):
            if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
                awaited.add(id(node.value))
            if isinstance(node, ast.Assign) and _is_large_read(node.value):
                large.update(t.id for t in node.targets if isinstance(t, ast.Name))
        env = self.types.environment(module, function, owner)
        return Scope(module, owner, env, awaited, large)

    def known_call(self, scope: Scope, call: ast.Call) -> tuple[str, bool] | None:
        """(name, is CPU work) of a known blocking or CPU-heavy call, or None."""
        if id(call) in scope.awaited:
            return None  # an awaitable: asynchronous, whatever its name
        module, func = scope.module, call.func
        if isinstance(func, ast.Attribute):
            receiver = self.types.of(module, func.value, scope.env, scope.owner)
            if receiver is not None:
                short = receiver.rpartition(".")[2]
                methods = BLOCKING_METHODS.get(receiver, frozenset())
                if func.attr in methods or ("*" in methods and func.attr not in LOCAL_METHODS):
                    return f"{short}.{func.attr}", False
                if func.attr in CPU_METHODS.get(receiver, ()):
                    return f"{short}.{func.attr}", True
                if func.attr == "update" and receiver.startswith("hashlib."):
                    return self._digest(scope, call, f"{short}.update")
                return None
            if func.attr in FILE_METHODS:
                return f"Path.{func.attr}", False
        name = self.project.qualify(module, func)
        if name is None:
            return None
        if name.startswith("httpx2."):
            name = "httpx." + name.removeprefix("httpx2.")
        if name in BLOCKING_CALLS:
            return name.removeprefix("builtins."), False
        if name in CPU_CALLS:
            return name, True
        if name.startswith(DIGESTS):
            return self._digest(scope, call, name)
        if name == "builtins.range" and any(_constant(arg) >= BIG_RANGE for arg in call.args):
            return f"a loop over {ast.unparse(call)}", True
        if name == "pathlib.Path.open":
            return "Path.open", False
        return None

    def _digest(self, scope: Scope, call: ast.Call, name: str) -> tuple[str, bool] | None:
        for argument in call.args[:1]:
            if (isinstance(argument, ast.Name) and argument.id in scope.large) or (
                isinstance(argument, ast.Await) and _is_large_read(argument)
            ):
                return f"{name} of a request body or upload", True
        return None

    def callee(self, scope: Scope, call: ast.Call) -> Symbol | None:
        """The project sync function a call runs right away (a class runs __init__)."""
        module, func = scope.module, call.func
        symbol: Symbol | None = None
        if isinstance(func, ast.Attribute) and (
            receiver := self.types.of(module, func.value, scope.env, scope.owner)
        ):
            symbol = self.project.lookup(f"{receiver}.{func.attr}")
        elif (
            scope.owner
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"self", "cls"}
        ):
            node = module.definitions.get(f"{scope.owner}.{func.attr}")
            symbol = Symbol(module, f"{scope.owner}.{func.attr}", node) if node else None
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
        module = symbol.module
        if (module.name, symbol.qualname) in self.cpu_functions:
            what = "CPU work (the project runs it with run_in_process)"
            return Blocking((), what, module.relpath, symbol.node.lineno, cpu=True)
        scope = self.scope(module, symbol.node, _owner(symbol.qualname))
        for call in calls_in(symbol.node):
            known = self.known_call(scope, call)
            if known is not None:
                return Blocking((), known[0], module.relpath, call.lineno, cpu=known[1])
        for call in calls_in(symbol.node):
            callee = self.callee(scope, call)
            found = self.blocks(callee) if callee else None
            if callee is not None and found is not None:
                label = _label(callee, module)
                return Blocking(
                    (label, *found.via), found.call, found.path, found.line, cpu=found.cpu
                )
        return None

    def findings(self) -> Iterator[Finding]:
        for module in self.project.files():
            for function, owner in async_functions(module):
                yield from self._check_async(module, function, owner)
        yield from self._sync_dependencies()

    def _check_async(
        self, module: Module, function: ast.AsyncFunctionDef, owner: str | None
    ) -> Iterator[Finding]:
        scope = self.scope(module, function, owner)
        remedy = "pass the function to run_sync/run_in_threadpool"
        for call in calls_in(function):
            known = self.known_call(scope, call)
            if known is not None:
                name, cpu = known
                yield Finding(
                    module.relpath,
                    call.lineno,
                    RULE_CPU if cpu else RULE_CALL,
                    f"{name}() {'is CPU-heavy' if cpu else 'blocks'} in async def "
                    f"{function.name}(): "
                    + ("run it with run_in_process" if cpu else f"await an async API, or {remedy}"),
                )
                continue
            callee = self.callee(scope, call)
            found = self.blocks(callee) if callee else None
            if callee is not None and found is not None:
                what = "is CPU-heavy" if found.cpu else "blocks the event loop"
                yield Finding(
                    module.relpath,
                    call.lineno,
                    RULE_CPU if found.cpu else RULE_HELPER,
                    f"{_label(callee, module)}() {what} in async def {function.name}(): "
                    f"it calls {found.describe()}; "
                    + ("pass it to run_in_process" if found.cpu else f"{remedy} instead"),
                )

    def _sync_dependencies(self) -> Iterator[Finding]:
        seen: set[tuple[str, str]] = set()
        for module in self.project.files():
            for node in ast.walk(module.tree):
                if not (
                    isinstance(node, ast.Call)
                    and self.project.qualify(module, node.func) in DEPENDS
                    and node.args
                ):
                    continue
                name = self.project.qualify(module, node.args[0])
                symbol = self.project.lookup(name) if name else None
                if symbol is None or not isinstance(symbol.node, ast.FunctionDef):
                    continue
                key = (symbol.module.name, symbol.qualname)
                found = self.blocks(symbol)
                if key in seen or found is None or found.cpu:
                    continue
                seen.add(key)
                yield Finding(
                    symbol.module.relpath,
                    symbol.node.lineno,
                    RULE_DEPENDENCY,
                    f"sync dependency {symbol.qualname}() holds a thread of the shared pool "
                    f"while it waits on I/O: it calls {found.describe()}; make it async def "
                    "and await an async API",
                )

    def _run_in_processes(self) -> set[tuple[str, str]]:
        """The project functions passed to run_in_process anywhere: CPU-bound by design."""
        found: set[tuple[str, str]] = set()
        for module in self.project.files():
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                runner = self.project.qualify(module, node.func) or ""
                if not runner.endswith(PROCESS_RUNNERS):
                    continue
                for argument in node.args:
                    name = self.project.qualify(module, argument)
                    symbol = self.project.lookup(name) if name else None
                    if symbol is not None and isinstance(symbol.node, ast.FunctionDef):
                        found.add((symbol.module.name, symbol.qualname))
        return found


def _is_large_read(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Await)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in LARGE_READS
    )


def _constant(node: ast.expr) -> int:
    """The value of an integer literal like 1_000_000 or 10**6, else 0."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.Mult):
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(node.op, ast.Mult):
            return left * right
        return left**right if right < 20 else 0
    return 0


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
