"""The class of a value, read from the annotations and constructors the code already has.

Enough to follow a method call to its class: a parameter annotated with a class (also
through `Annotated[Client, Depends(...)]` and aliases of it), a variable assigned a
constructor call (`session = requests.Session()`, `with Session(engine) as session`),
a `self.attribute` assigned in the class, a function's return annotation. Flow-insensitive
and static: a name assigned two classes keeps the last, anything else is unknown (None).
"""

import ast
from collections.abc import Iterator

from manage.checks.source import FunctionNode, Module, Project, walk_scope

# Other spellings of the classes the checks know, by the name the checks use.
CANONICAL = {
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.engine.Connection",
    "requests.sessions.Session": "requests.Session",
    "httpx2.Client": "httpx.Client",
    "httpx2.AsyncClient": "httpx.AsyncClient",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "socket.SocketType": "socket.socket",
}
# Functions and methods that return an instance of a known class.
RETURNS = {
    "sqlite3.connect": "sqlite3.Connection",
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.create_engine": "sqlalchemy.engine.Engine",
    "socket.create_connection": "socket.socket",
    "redis.Redis.from_url": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "sqlalchemy.engine.Engine.connect": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.Engine.begin": "sqlalchemy.engine.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "pwdlib.PasswordHash.recommended": "pwdlib.PasswordHash",
    "boto3.client": "botocore.client.BaseClient",
    "boto3.Session.client": "botocore.client.BaseClient",
    "boto3.session.Session.client": "botocore.client.BaseClient",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.sessionmaker.__call__": "sqlalchemy.orm.Session",
}
WRAPPERS = frozenset({"typing.Annotated", "typing.Optional", "typing_extensions.Annotated"})


def canonical(name: str) -> str:
    return CANONICAL.get(name, name)


class Types:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._attributes: dict[tuple[str, str], dict[str, str]] = {}
        self._globals: dict[tuple[str, str], str | None] = {}

    def annotation(self, module: Module, node: ast.expr | None, depth: int = 0) -> str | None:
        """The class an annotation names: `Client`, `Client | None`, `Annotated[Client, ...]`,
        an alias of one (`ClientDep`), or a string of one."""
        if node is None or depth > 10:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            for side in (node.left, node.right):
                if not (isinstance(side, ast.Constant) and side.value is None):
                    return self.annotation(module, side, depth + 1)
        if isinstance(node, ast.Subscript):
            if self.project.qualify(module, node.value) in WRAPPERS:
                inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
                return self.annotation(module, inner, depth + 1)
            return self.annotation(module, node.value, depth + 1)  # Popen[bytes] -> Popen
        name = self.project.qualify(module, node)
        if name is None:
            return None
        found = self.project.lookup_assignment(name)
        if found is not None:  # an alias: ClientDep = Annotated[Client, Depends(...)]
            alias_module, alias = found
            annotation, value = alias_module.assignments[alias]
            if annotation is None or self.project.qualify(alias_module, annotation) in {
                "typing.TypeAlias",
                "typing_extensions.TypeAlias",
            }:
                return self.annotation(alias_module, value, depth + 1)
            return None
        return canonical(self._class_name(name))

    def _class_name(self, name: str) -> str:
        symbol = self.project.lookup(name)
        return symbol.display if symbol is not None else name

    def environment(
        self, module: Module, function: FunctionNode, owner: str | None
    ) -> dict[str, str]:
        """Local name -> class for a function's parameters and assigned variables."""
        env: dict[str, str] = {}
        arguments = function.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            found = self.annotation(module, argument.annotation)
            if found:
                env[argument.arg] = found
        for node in walk_scope(function):
            for target, value, annotation in _bindings(node):
                found = self.annotation(module, annotation) or self.of(module, value, env, owner)
                if found:
                    env[target] = found
        return env

    def of(
        self, module: Module, node: ast.expr | None, env: dict[str, str], owner: str | None
    ) -> str | None:
        """The class of an expression's value, when the code says it."""
        if isinstance(node, ast.Name):
            return env.get(node.id) or self.global_type(module, node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and owner:
                return self.attributes(module, owner).get(node.attr)
            return None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self.of(module, func.value, env, owner)
            if receiver is not None:
                return self.returned(f"{receiver}.{func.attr}")
        elif isinstance(func, ast.Name):  # calling an instance: SessionLocal()
            instance = env.get(func.id) or self.global_type(module, func.id)
            if instance is not None:
                return self.returned(f"{instance}.__call__")
        name = self.project.qualify(module, func)
        if name is None:
            return None
        return self.returned(name)

    def returned(self, callee: str) -> str | None:
        """What calling a dotted name returns: a class's instance, or a known result."""
        if callee in RETURNS:
            return RETURNS[callee]
        symbol = self.project.lookup(callee)
        if symbol is not None:
            if isinstance(symbol.node, ast.ClassDef):
                return symbol.display
            if isinstance(symbol.node, ast.FunctionDef):
                return self.annotation(symbol.module, symbol.node.returns)
            return None
        last = callee.rpartition(".")[2]
        # An external class: constructors are capitalised (requests.Session, httpx.Client).
        if last[:1].isupper() and not callee.startswith("src."):
            return canonical(callee)
        return None

    def global_type(self, module: Module, name: str) -> str | None:
        key = (module.name, name)
        if key not in self._globals:
            self._globals[key] = None  # a cycle resolves to unknown
            annotation, value = module.assignments.get(name, (None, None))
            self._globals[key] = self.annotation(module, annotation) or self.of(
                module, value, {}, None
            )
        return self._globals[key]

    def attributes(self, module: Module, owner: str) -> dict[str, str]:
        """`self.<attribute>` -> class, from the class body and `self.x = ...` in its methods."""
        key = (module.name, owner)
        if key in self._attributes:
            return self._attributes[key]
        found: dict[str, str] = {}
        self._attributes[key] = found
        node = module.definitions.get(owner)
        if not isinstance(node, ast.ClassDef):
            return found
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                annotated = self.annotation(module, item.annotation)
                if annotated:
                    found[item.target.id] = annotated
        for method in _methods(node):
            env = self.environment(module, method, None)
            for statement in walk_scope(method):
                for target, value, annotation in _self_bindings(statement):
                    kind = self.annotation(module, annotation) or self.of(module, value, env, None)
                    if kind:
                        found.setdefault(target, kind)
        return found


def _methods(node: ast.ClassDef) -> Iterator[FunctionNode]:
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            yield item


def _bindings(node: ast.AST) -> Iterator[tuple[str, ast.expr | None, ast.expr | None]]:
    """(name, value, annotation) for each plain name a statement binds."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value, None
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, node.value, node.annotation
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name):
                yield item.optional_vars.id, item.context_expr, None


def _self_bindings(node: ast.AST) -> Iterator[tuple[str, ast.expr | None, ast.expr | None]]:
    targets: list[ast.expr] = []
    value: ast.expr | None = None
    annotation: ast.expr | None = None
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign):
        targets, value, annotation = [node.target], node.value, node.annotation
    for target in targets:
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            yield target.attr, value, annotation
