"""Create a domain module from the skeleton in manage/module_template/.

The one renderer behind both `uv run manage new-module NAME` and the modules chosen at
`copier copy` time, so a module comes out byte for byte the same either way. The copy
task runs it on copier's own interpreter, before the project has an environment: it
imports only the standard library and Jinja2 (copier's own dependency).

Everything is checked and rendered before anything is written; the files then move
into place, and a failure part-way takes back what had moved: a refused or failed
module leaves the project as it was.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

SKELETON = Path(__file__).resolve().parent / "module_template"
REGISTRY = Path("src/registry.py")
# Present when the project has users (the auth=jwt answer): its CRUD modules get owners.
AUTH = Path("src/auth/dependencies.py")
VERSIONS = Path("alembic/versions")


class ModuleError(Exception):
    """A module that cannot be created; the message is one line naming the problem."""


def _rules() -> Any:
    """The macros of module_template/_names.j2: the naming rules copier.yml applies too."""
    return _environment().get_template("_names.j2").module


def name_error(
    name: str, modules: Sequence[str] = (), tables: Mapping[str, str] | None = None
) -> str | None:
    """Why `name` cannot name a new module beside `modules` and `tables` (table -> its
    user), or None. The same line copier.yml's validator gives."""
    return str(_rules().name_error(name, list(modules), dict(tables or {}))) or None


def show(name: str) -> str:
    """A name quoted for a message, as the validator quotes it."""
    return str(_rules().show(name))


def singular(name: str) -> str:
    """The row's name: orders -> order, categories -> category (module_template/_names.j2)."""
    return str(_rules().singular(name))


@dataclass(frozen=True)
class Names:
    """Every spelling of one module's name that the skeleton uses."""

    module: str  # user_profiles: the package, settings prefix and list route
    entity: str  # user_profile: the table, the error code and the id parameter
    owned: bool = False  # rows have an owner (the project has src/auth/)

    @property
    def url(self) -> str:  # /user-profiles
        return self.module.replace("_", "-")

    @property
    def var(self) -> str:  # the variable holding one row
        return str(_rules().var(self.entity, self.owned))

    @property
    def model(self) -> str:  # UserProfile
        return str(_rules().model(self.entity))

    def context(self) -> dict[str, str]:
        label = self.entity.replace("_", " ")
        return {
            "module": self.module,
            "entity": self.entity,
            "url": self.url,
            "var": self.var,
            "model": self.model,
            "label": label,
            "a_label": f"{'an' if label[0] in 'aeio' else 'a'} {label}",
            "labels": self.module.replace("_", " "),
            "config_class": "".join(part.capitalize() for part in self.module.split("_"))
            + "Config",
            "env_prefix": f"{self.module.upper()}_",
        }


def _regex_search(value: str, pattern: str) -> str | None:
    """Jinja filter, as copier's (jinja2-ansible-filters): the first match, or None."""
    match = re.search(pattern, value)
    return match.group() if match else None


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(SKELETON),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - renders Python source, not HTML
    )
    env.filters["regex_search"] = _regex_search
    env.filters["to_json"] = json.dumps
    return env


def render_files(names: Names, *, crud: bool, private: bool = False) -> dict[Path, str]:
    """The module's files (paths relative to the backend), rendered."""
    env = _environment()
    context = {**names.context(), "crud": crud, "owned": names.owned, "private": private}
    files: dict[Path, str] = {}
    for template in sorted(SKELETON.glob("src/*.py.j2")):
        text = env.get_template(f"src/{template.name}").render(context)
        files[Path("src", names.module, template.name.removesuffix(".j2"))] = text
    tests = Path("tests", names.module)
    files[tests / "__init__.py"] = env.get_template("tests/__init__.py.j2").render(context)
    test_module = env.get_template("tests/test_module.py.j2").render(context)
    files[tests / f"test_{names.module}.py"] = test_module
    if crud:  # the real server under concurrent writes: routes to write through
        writes = env.get_template("tests/test_concurrent_writes.py.j2").render(context)
        files[tests / "test_concurrent_writes.py"] = writes
    return files


def _assigned(tree: ast.Module, target: str) -> ast.expr | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            name, value = node.target, node.value
        else:
            continue
        if isinstance(name, ast.Name) and name.id == target:
            return value
    return None


def _literal_strings(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if not isinstance(node, ast.Tuple):
        return None
    values = []
    for item in node.elts:
        if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
            return None
        values.append(item.value)
    return values


def _registry(backend: Path) -> tuple[str, ast.expr, list[str]]:
    """src/registry.py's text, its DOMAIN_MODULES node and the names in it."""
    try:
        text = (backend / REGISTRY).read_text(encoding="utf-8")
        node = _assigned(ast.parse(text), "DOMAIN_MODULES")
    except (OSError, SyntaxError) as error:
        raise ModuleError(f"{REGISTRY} cannot be read: {error}") from None
    names = _literal_strings(node)
    if node is None or names is None:
        raise ModuleError(f"{REGISTRY}: DOMAIN_MODULES must be a tuple of module-name strings")
    return text, node, names


def registered(backend: Path) -> list[str]:
    """The names in src/registry.py's DOMAIN_MODULES."""
    return _registry(backend)[2]


def registry_with(backend: Path, name: str) -> str:
    """src/registry.py's text with `name` added at the end of DOMAIN_MODULES.

    Only the tuple changes (laid out as ruff formats it); the result is parsed back
    and compared, so an unexpected layout is refused instead of being corrupted.
    """
    text, node, before = _registry(backend)
    if name in before:
        raise ModuleError(f"{show(name)} is listed in {REGISTRY} already: remove it first")
    if node.end_lineno is None or node.end_col_offset is None:  # set on every parsed node
        raise ModuleError(f"{REGISTRY}: DOMAIN_MODULES must be a tuple of module-name strings")
    # ast counts columns in UTF-8 bytes: slice the encoded text.
    lines = text.encode("utf-8").splitlines(keepends=True)
    start = sum(len(line) for line in lines[: node.lineno - 1]) + node.col_offset
    end = sum(len(line) for line in lines[: node.end_lineno - 1]) + node.end_col_offset
    source = b"".join(lines)
    if b"#" in source[start:end]:
        raise ModuleError(f"{REGISTRY}: DOMAIN_MODULES holds comments; add {show(name)} by hand")
    names = [*before, name]
    # As ruff formats it: a lone name on one line, more one per line.
    if len(names) == 1:
        value = f'("{name}",)'
    else:
        value = "(\n" + "".join(f'    "{item}",\n' for item in names) + ")"
    updated = (source[:start] + value.encode("utf-8") + source[end:]).decode("utf-8")
    try:
        after = _literal_strings(_assigned(ast.parse(updated), "DOMAIN_MODULES"))
    except SyntaxError:
        after = None
    if after != [*before, name]:
        raise ModuleError(f"{REGISTRY}: unexpected DOMAIN_MODULES; add {show(name)} by hand")
    return updated


def migration_head(backend: Path) -> str | None:
    """The revision new migrations go after (None in an empty history)."""
    revisions: dict[str, list[str]] = {}
    for path in sorted((backend / VERSIONS).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError as error:
            raise ModuleError(f"{VERSIONS / path.name} does not parse: {error}") from None
        revision = _literal_strings(_assigned(tree, "revision"))
        down = _assigned(tree, "down_revision")
        none = isinstance(down, ast.Constant) and down.value is None
        parents = [] if none else _literal_strings(down)
        if not revision or parents is None:
            raise ModuleError(f"{VERSIONS / path.name}: no literal revision and down_revision")
        revisions[revision[0]] = parents
    heads = set(revisions) - {parent for parents in revisions.values() for parent in parents}
    if len(heads) > 1:
        raise ModuleError(
            f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}): "
            'merge them first with uv run alembic merge heads -m "merge"'
        )
    return heads.pop() if heads else None


# A table a model declares.
TABLE_NAME = re.compile(r"""^\s*__tablename__(?:\s*:[^=\n]+)?\s*=\s*["'](\w+)["']""", re.MULTILINE)


def _migrated_tables(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The tables a migration's upgrade() creates (or renames to) and drops (or renames)."""
    created: set[str] = set()
    dropped: set[str] = set()
    upgrade = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    for node in ast.walk(upgrade) if upgrade is not None else ():
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        names = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if node.func.attr == "create_table" and names:
            created.add(names[0])
        elif node.func.attr == "drop_table" and names:
            dropped.add(names[0])
        elif node.func.attr == "rename_table" and len(names) == 2:
            dropped.add(names[0])
            created.add(names[1])
    return created, dropped


def project_tables(backend: Path) -> dict[str, str]:
    """The tables the project's models declare and its migrations leave, each with who
    uses it: a new module's table must be none of them."""
    tables: dict[str, str] = {}
    for path in sorted((backend / "src").glob("*/**/*.py")):
        module = f"module {show(path.relative_to(backend / 'src').parts[0])}"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for match in TABLE_NAME.finditer(text):
            tables.setdefault(match.group(1), module)
    dropped: set[str] = set()
    for path in sorted((backend / VERSIONS).glob("*.py")):
        try:
            created, gone = _migrated_tables(ast.parse(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
        dropped |= gone
        for table in created:
            tables.setdefault(table, f"the migration {(VERSIONS / path.name).as_posix()}")
    # Dropped by a later migration and declared by no model: free again.
    return {
        t: owner for t, owner in tables.items() if t not in dropped or owner.startswith("module")
    }


def render_migration(names: Names, head: str | None, now: datetime) -> tuple[Path, str]:
    revision = secrets.token_hex(6)
    text = (
        _environment()
        .get_template("migration.py.j2")
        .render(
            entity=names.entity,
            owned=names.owned,
            revision=revision,
            down_revision=head,
            create_date=now.isoformat(sep=" ", timespec="seconds"),
        )
    )
    stamp = now.strftime("%Y_%m_%d_%H%M")  # alembic.ini's file_template
    return VERSIONS / f"{stamp}-{revision}_create_{names.entity}_table.py", text


def plan(backend: Path, name: str, *, crud: bool, private: bool = False) -> dict[Path, str]:
    """Every file to write for module `name` (paths relative to backend), or ModuleError."""
    problem = name_error(name)  # the name alone first: it becomes paths below
    if problem:
        raise ModuleError(problem)
    owned = crud and (backend / AUTH).is_file()
    if private and not owned:
        needs = "a table (drop --no-crud)" if not crud else f"users ({AUTH}: the auth=jwt answer)"
        raise ModuleError(f"--private limits reads to each row's owner: it needs {needs}")
    taken_paths = [Path("src", name), Path("src", f"{name}.py")]
    taken_paths += [Path("tests", name), Path("tests", f"{name}.py")]
    for taken in taken_paths:
        if (backend / taken).exists() or (backend / taken).is_symlink():
            raise ModuleError(f"{taken} already exists: choose another name")
    problem = name_error(name, registered(backend), project_tables(backend))
    if problem:
        raise ModuleError(problem)
    names = Names(name, singular(name), owned=owned)
    files = render_files(names, crud=crud, private=private)
    files[REGISTRY] = registry_with(backend, name)
    if crud:
        now = datetime.now(timezone.utc)  # noqa: UP017 - copier may run on Python 3.10
        path, text = render_migration(names, migration_head(backend), now)
        files[path] = text
    return files


def write(backend: Path, files: dict[Path, str]) -> None:
    """Write all files or none: staged in one temporary directory, then moved in."""
    moved: list[tuple[Path, Path | None]] = []  # (target, its previous content's backup)
    with tempfile.TemporaryDirectory(dir=backend, prefix=".new-module-") as staging:
        stage = Path(staging)
        for relative, text in files.items():
            (stage / relative).parent.mkdir(parents=True, exist_ok=True)
            (stage / relative).write_text(text, encoding="utf-8", newline="\n")
        # The new package directories (src/<name>, tests/<name>) move whole; the
        # other files (the registry, the migration) one by one.
        packages = {Path(*r.parts[:2]) for r in files if r.parts[0] in ("src", "tests")}
        packages = {package for package in packages if package not in files}
        singles = [r for r in files if not any(r.is_relative_to(p) for p in packages)]
        try:
            for package in sorted(packages):
                (backend / package).parent.mkdir(parents=True, exist_ok=True)
                (stage / package).rename(backend / package)
                moved.append((backend / package, None))
            for relative in singles:
                target = backend / relative
                backup = None
                if target.exists():
                    backup = stage / f"{relative.name}.backup"
                    shutil.copy2(target, backup)
                target.parent.mkdir(parents=True, exist_ok=True)
                (stage / relative).replace(target)
                moved.append((target, backup))
        except OSError:
            for target, backup in reversed(moved):
                if backup is not None:
                    backup.replace(target)
                elif target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
            raise


def create_module(
    backend: Path, name: str, *, crud: bool = True, private: bool = False
) -> list[Path]:
    """Create src/<name>/, tests/<name>/ and (with crud) its migration; register it.

    Returns the written paths relative to `backend`. Raises ModuleError, having
    written nothing, when the name is refused or the project is not as expected.
    """
    files = plan(backend, name, crud=crud, private=private)
    try:
        write(backend, files)
    except OSError as error:
        raise ModuleError(f"could not write the module: {error}") from None
    return sorted(files)


def register(backend: Path, name: str) -> bool:
    """Add an existing module to src/registry.py; False when it is listed already."""
    if name in registered(backend):
        return False
    if not (backend / "src" / name / "router.py").is_file():
        raise ModuleError(f"src/{name}/router.py does not exist: nothing to register")
    updated = registry_with(backend, name)
    staged = (backend / REGISTRY).with_suffix(".py.new")
    staged.write_text(updated, encoding="utf-8", newline="\n")
    staged.replace(backend / REGISTRY)
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m manage.skeleton NAME...`, run from backend/ by the template's hooks.

    The copy task creates the modules of the `modules` answer; with --register, an
    update migration lists modules that an older template version had created.
    """
    parser = argparse.ArgumentParser(description="Create domain modules from the skeleton.")
    parser.add_argument("names", nargs="*", metavar="NAME")
    parser.add_argument("--no-crud", dest="crud", action="store_false")
    parser.add_argument("--register", action="store_true", help="only list existing modules")
    args = parser.parse_args(argv)
    backend = Path.cwd()
    if args.register:
        try:
            for name in args.names:
                if register(backend, name):
                    print(f"  registered module {name} in {REGISTRY}")
        except ModuleError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        return 0
    try:
        modules, tables = registered(backend), project_tables(backend)
    except ModuleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for index, name in enumerate(args.names):
        twice = f"{show(name)} is listed twice" if name in args.names[:index] else None
        problem = twice or name_error(name, [*modules, *args.names[:index]], tables)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1
    for name in args.names:
        try:
            create_module(backend, name, crud=args.crud)
        except ModuleError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"  created module {name} (src/{name}/, tests/{name}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
