"""Database naming, in the models and in the migrations alike.

- naming-convention: src/models.py gives Base.metadata a naming convention for every
  kind of constraint (ix, uq, ck, fk, pk), and every constraint named by hand in a
  model or a migration has the name that convention gives it;
- table-name: tables are named in singular snake_case (`order_item`, not `OrderItems`);
- datetime-column: date and datetime columns end in `_at` or `_date`.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from manage.checks.findings import Finding, relative
from manage.checks.layout import is_model
from manage.checks.source import Module, Project, parse
from manage.skeleton import singular

RULE_CONVENTION = "naming-convention"
RULE_TABLE = "table-name"
RULE_COLUMN = "datetime-column"

KINDS = ("ix", "uq", "ck", "fk", "pk")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
DATETIME_TYPES = frozenset({"DateTime", "Date", "DATETIME", "DATE", "TIMESTAMP", "UTCDateTime"})
DATETIME_SUFFIXES = ("_at", "_date")
# Constraint classes -> the convention key of the names they take.
CONSTRAINTS = {
    "UniqueConstraint": "uq",
    "PrimaryKeyConstraint": "pk",
    "ForeignKeyConstraint": "fk",
    "CheckConstraint": "ck",
    "ForeignKey": "fk",
    "Index": "ix",
}
# op.<operation>(name, table, columns): the convention key of the name it takes.
OPERATIONS = {
    "create_index": "ix",
    "create_unique_constraint": "uq",
    "create_primary_key": "pk",
    "create_check_constraint": "ck",
    "create_foreign_key": "fk",
}


def model_findings(project: Project) -> list[Finding]:
    convention, findings = naming_convention(project)
    for module in project.files():
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef) and is_model(project, module, node):
                findings.extend(_model(project, module, node, convention))
            if isinstance(node, ast.ClassDef) and (
                is_model(project, module, node) or _maps_columns(project, module, node)
            ):
                findings.extend(_datetime_attributes(project, module, node))
    versions = project.backend / "alembic" / "versions"
    for path in sorted(versions.glob("*.py")) if versions.is_dir() else ():
        findings.extend(_migration(project, path, convention))
    return findings


def naming_convention(project: Project) -> tuple[dict[str, str], list[Finding]]:
    """The convention src/models.py gives MetaData, and a finding when it has none."""
    models = project.modules.get("src.models")
    if models is None:
        return {}, []
    for node in ast.walk(models.tree):
        if not (
            isinstance(node, ast.Call)
            and (project.qualify(models, node.func) or "").endswith(".MetaData")
        ):
            continue
        for keyword in node.keywords:
            if keyword.arg != "naming_convention":
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in models.assignments:
                value = models.assignments[value.id][1] or value
            convention = _string_dict(value)
            missing = [kind for kind in KINDS if kind not in convention]
            if missing:
                problem = f"the naming convention has no {', '.join(missing)}: name every kind"
                return convention, [Finding(models.relpath, node.lineno, RULE_CONVENTION, problem)]
            return convention, []
    problem = (
        "Base.metadata has no naming convention: "
        "metadata = MetaData(naming_convention=NAMING_CONVENTION)"
    )
    return {}, [Finding(models.relpath, 1, RULE_CONVENTION, problem)]


def expected_name(convention: dict[str, str], kind: str, table: str, column: str) -> str | None:
    """The name the convention gives; %(constraint_name)s matches any text (`*`)."""
    pattern = convention.get(kind)
    if pattern is None:
        return None
    tokens = {
        "table_name": table,
        "column_0_name": column,
        "column_0_label": f"{table}_{column}",
        "constraint_name": "*",
    }
    try:
        return pattern % tokens
    except (KeyError, ValueError):  # a token the checker does not know: not checked
        return None


def _matches(expected: str, name: str) -> bool:
    head, star, tail = expected.partition("*")
    if not star:
        return name == expected
    return name.startswith(head) and name.endswith(tail) and len(name) > len(head + tail)


def _name_finding(
    where: tuple[str, int],
    convention: dict[str, str],
    kind: str,
    table: str,
    column: str,
    name: str,
) -> Iterator[Finding]:
    expected = expected_name(convention, kind, table, column)
    if expected is not None and not _matches(expected, name):
        yield Finding(
            where[0],
            where[1],
            RULE_CONVENTION,
            f"constraint {name!r} is off the naming convention: {expected!r} "
            "(or leave the name out and let the convention give it)",
        )


def _table_finding(where: tuple[str, int], table: str) -> Iterator[Finding]:
    if not SNAKE_CASE.match(table) or singular(table) != table:
        yield Finding(
            where[0],
            where[1],
            RULE_TABLE,
            f"table {table!r}: name tables in singular snake_case ({singular(table.lower())!r})",
        )


def _column_finding(where: tuple[str, int], column: str) -> Iterator[Finding]:
    if not column.endswith(DATETIME_SUFFIXES):
        yield Finding(
            where[0],
            where[1],
            RULE_COLUMN,
            f"date/time column {column!r}: end its name in _at or _date ({column}_at)",
        )


def _model(
    project: Project, module: Module, node: ast.ClassDef, convention: dict[str, str]
) -> Iterator[Finding]:
    table = _tablename(node)
    if table is None:
        return
    yield from _table_finding((module.relpath, node.lineno), table)
    for item in node.body:
        column = _assigned_name(item)
        for call in (sub for sub in ast.walk(item) if isinstance(sub, ast.Call)):
            kind = CONSTRAINTS.get(_last(project.qualify(module, call.func)))
            name = _constraint_name(call, kind)
            if kind is None or name is None or (kind == "ck" and not _is_final(call)):
                continue  # a check constraint's own name fills %(constraint_name)s
            first = (
                column
                if kind == "fk" and _last(project.qualify(module, call.func)) == ("ForeignKey")
                else _first_column(call, kind)
            )
            yield from _name_finding(
                (module.relpath, call.lineno), convention, kind, table, first or "", name
            )


def _maps_columns(project: Project, module: Module, node: ast.ClassDef) -> bool:
    """A mixin of columns: a class with a `Mapped[...]` attribute."""
    return any(
        isinstance(item, ast.AnnAssign)
        and isinstance(item.annotation, ast.Subscript)
        and _last(project.qualify(module, item.annotation.value)) == "Mapped"
        for item in node.body
    )


def _datetime_attributes(project: Project, module: Module, node: ast.ClassDef) -> Iterator[Finding]:
    """`name: Mapped[datetime]` or `name = mapped_column(DateTime)` in a model or mixin."""
    for item in node.body:
        column = _assigned_name(item)
        if column is None or not isinstance(item, ast.Assign | ast.AnnAssign):
            continue
        annotation = item.annotation if isinstance(item, ast.AnnAssign) else None
        names = {
            project.qualify(module, sub) or ""
            for part in (annotation, item.value)
            if part is not None
            for sub in ast.walk(part)
            if isinstance(sub, ast.Name | ast.Attribute)
        }
        if names & {"datetime.datetime", "datetime.date"} or {_last(n) for n in names} & (
            DATETIME_TYPES
        ):
            yield from _column_finding((module.relpath, item.lineno), column)


def _migration(project: Project, path: Path, convention: dict[str, str]) -> Iterator[Finding]:
    tree = parse(path, project.backend)
    relpath = relative(path, project.backend)
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            continue
        operation = func.attr if func.value.id == "op" else None
        if operation == "create_table" and call.args and (table := _string(call.args[0])):
            yield from _table_finding((relpath, call.lineno), table)
            yield from _table_items(relpath, call.args[1:], table, convention)
        elif (
            operation == "rename_table" and len(call.args) > 1 and (table := _string(call.args[1]))
        ):
            yield from _table_finding((relpath, call.lineno), table)
        elif operation == "add_column" and call.args and (table := _string(call.args[0])):
            yield from _table_items(relpath, call.args[1:], table, convention)
        elif operation in OPERATIONS and len(call.args) > 1:
            name, table = _string(call.args[0]), _string(call.args[1])
            kind = OPERATIONS[operation]
            if name is None or table is None or (kind == "ck" and not _is_op_f(call.args[0])):
                continue
            columns = call.args[2] if len(call.args) > 2 else None
            if kind == "fk" and len(call.args) > 3:  # (name, source, referent, local_cols)
                columns = call.args[3]
            column = (
                _string(columns.elts[0]) if isinstance(columns, ast.List) and columns.elts else ""
            )
            yield from _name_finding(
                (relpath, call.lineno), convention, kind, table, column or "", name
            )


def _table_items(
    relpath: str, items: list[ast.expr], table: str, convention: dict[str, str]
) -> Iterator[Finding]:
    for item in items:
        if not (isinstance(item, ast.Call) and isinstance(item.func, ast.Attribute | ast.Name)):
            continue
        kind_name = item.func.attr if isinstance(item.func, ast.Attribute) else item.func.id
        if kind_name == "Column" and item.args and (column := _string(item.args[0])):
            types = {
                sub.func.attr
                if isinstance(sub.func, ast.Attribute)
                else getattr(sub.func, "id", "")
                for sub in ast.walk(item)
                if isinstance(sub, ast.Call)
            }
            if types & DATETIME_TYPES:
                yield from _column_finding((relpath, item.lineno), column)
            for sub in ast.walk(item):
                if isinstance(sub, ast.Call) and _last_of(sub.func) == "ForeignKey":
                    name = _constraint_name(sub, "fk")
                    if name is not None:
                        yield from _name_finding(
                            (relpath, sub.lineno), convention, "fk", table, column, name
                        )
            continue
        kind = CONSTRAINTS.get(kind_name)
        name = _constraint_name(item, kind)
        if kind is None or name is None or (kind == "ck" and not _is_final(item)):
            continue
        first = _first_column(item, kind) or ""
        yield from _name_finding((relpath, item.lineno), convention, kind, table, first, name)


def _tablename(node: ast.ClassDef) -> str | None:
    for item in node.body:
        if _assigned_name(item) == "__tablename__":
            value = item.value if isinstance(item, ast.Assign | ast.AnnAssign) else None
            return _string(value) if value is not None else None
    return None


def _assigned_name(item: ast.stmt) -> str | None:
    if isinstance(item, ast.Assign) and len(item.targets) == 1:
        target = item.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
        return item.target.id
    return None


def _constraint_name(call: ast.Call, kind: str | None) -> str | None:
    """The name given to a constraint: name="..." or op.f("..."); Index takes it first."""
    if kind is None:
        return None
    for keyword in call.keywords:
        if keyword.arg == "name":
            return _string(keyword.value)
    if kind == "ix" and call.args:
        return _string(call.args[0])
    return None


def _is_final(call: ast.Call) -> bool:
    """Whether the name is final (op.f/conv), not the %(constraint_name)s of a convention."""
    return any(keyword.arg == "name" and _is_op_f(keyword.value) for keyword in call.keywords)


def _is_op_f(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _last_of(node.func) in {"f", "conv"}


def _first_column(call: ast.Call, kind: str) -> str | None:
    args = call.args[1:] if kind == "ix" else call.args
    if not args:
        return None
    first = args[0]
    if isinstance(first, ast.List | ast.Tuple):  # ForeignKeyConstraint(["user_id"], ...)
        first = first.elts[0] if first.elts else first
    if isinstance(first, ast.Attribute):  # Index("...", Order.customer_id)
        return first.attr
    return _string(first)


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Call) and _is_op_f(node) and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _string_dict(node: ast.expr) -> dict[str, str]:
    if not isinstance(node, ast.Dict):
        return {}
    return {
        key.value: value.value
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant)
        and isinstance(value, ast.Constant)
        and isinstance(key.value, str)
        and isinstance(value.value, str)
    }


def _last(name: str | None) -> str:
    return (name or "").rpartition(".")[2]


def _last_of(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""
