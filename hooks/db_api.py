"""Update migration: domain modules made by the 0.4.0 skeleton move to the new data API.

0.4.0's skeleton wrote modules on `DbConnection` (an SQLAlchemy AsyncConnection) and
src/fetch.py; both are gone. Routes now take `db: Db` (src.database), services
`db: Database` (src.statements), which runs a statement with `await db.all(STMT, **params)`
or `await db.one(STMT, **params)`, reads and INSERT/UPDATE/DELETE ... RETURNING alike.

Runs on every update (unversioned, stage "after"). In backend/src/<module>/ it rewrites
only the text the 0.4.0 skeleton wrote, with the module's names as variables: the
imports and the `db` parameter of router.py and dependencies.py, and in service.py the
docstring, imports and the five functions (a function whose body you changed so that
it no longer matches is left whole). It says which files it changed; a file rewritten
once no longer matches. A module file that still uses the old names afterwards (code
of yours) is named with what to change by hand; the hook never fails the update.
Standard library only: the hooks run on copier's own interpreter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from project import say

SOURCES, TESTS = Path("backend/src"), Path("backend/tests")
UPGRADE_NOTES = "see 'Upgrading from 0.4.0' in the template's CHANGELOG.md"
WIDTH = 100  # the project's line length; signatures are laid out as ruff formats them

# The old names a module may still use after the rewrite, and what replaces each.
OLD_NAMES = {
    "src.fetch": (re.compile(r"\bsrc\.fetch\b|\bfetch_(?:all|one)\b"), "db.all/db.one"),
    "DbConnection": (re.compile(r"\bDbConnection\b"), "Db"),
    "get_connection": (re.compile(r"\bget_connection\b"), "get_database"),
    "AsyncConnection": (re.compile(r"\bAsyncConnection\b"), "Database (src.statements)"),
}
# Tests keep AsyncConnection: it is the type of the test transaction's `connection` fixture.
OLD_NAMES_IN_TESTS = {name: old for name, old in OLD_NAMES.items() if name != "AsyncConnection"}

# A `def` line as ruff lays it out: on one line, the parameters on one indented line,
# or one parameter per line (without brackets in them: the skeleton's signatures).
SIGNATURE = re.compile(
    r"^(?P<head>async def (?P<name>\w+))\((?P<params>[^()\[\]]*)\)(?P<tail> -> [^\n]*:)$", re.M
)


def signature(head: str, params: list[str], tail: str) -> str:
    """The skeleton's `signature` macro (manage/module_template/_format.j2)."""
    line = f"{head}({', '.join(params)}){tail}"
    hug = "    " + ", ".join(params)
    if len(line) <= WIDTH:
        return line
    if len(hug) <= WIDTH:
        return f"{head}(\n{hug}{',' if len(params) == 1 else ''}\n){tail}"
    return f"{head}(\n" + "".join(f"    {param},\n" for param in params) + f"){tail}"


def clashes(text: str, name: str) -> bool:
    """Whether code of yours already uses `name`, a name the rewrite adds (a model class
    called Database or Db). The module docstring is prose: "Database work of..."."""
    return re.search(rf"\b{name}\b", re.sub(r'\A""".*?"""', "", text, flags=re.S)) is not None


def retype(text: str, names: re.Pattern[str], old: str, new: str) -> str:
    """`db: old` becomes `db: new` in the signatures of the functions `names` matches."""

    def one(match: re.Match[str]) -> str:
        if not names.fullmatch(match["name"]):
            return match[0]
        params = [param.strip() for param in match["params"].split(",") if param.strip()]
        if f"db: {old}" not in params:
            return match[0]
        params = [f"db: {new}" if param == f"db: {old}" else param for param in params]
        return signature(match["head"], params, match["tail"])

    return SIGNATURE.sub(one, text)


# --- router.py and dependencies.py ------------------------------------------------------

ROUTES = re.compile(r"(?:create|update|delete)_\w+|valid_\w+_id")
LIST_ROUTE = re.compile(r"^(async def list_\w+\(\n)    db: DbConnection,\n", re.M)
DATABASE_IMPORT = "from src.database import DbConnection\n"


def routes(text: str) -> str:
    if DATABASE_IMPORT not in text or clashes(text, "Db"):
        return text  # not the skeleton's import, or a name of yours would clash
    new = LIST_ROUTE.sub(r"\1    db: Db,\n", retype(text, ROUTES, "DbConnection", "Db"))
    if new == text:
        return text
    left = len(re.findall(r"\bDbConnection\b", new)) > 1  # more than the import
    return new.replace(
        DATABASE_IMPORT, f"from src.database import Db{', DbConnection' if left else ''}\n"
    )


# --- service.py -------------------------------------------------------------------------

SERVICE_FUNCTIONS = re.compile(r"create|list_page|get|update|delete")
OLD_DOCSTRING = (
    "alone on the request's DbConnection, in a transaction of its own: one round trip\n"
    "(src/database.py says why). Reads go through src/fetch.py, straight to the driver.\n"
)
NEW_DOCSTRING = (
    "alone through `Db`, straight to the driver, in a transaction of its own: one round trip\n"
    "(src/statements.py says why).\n"
)
CONNECTION_IMPORT = "from sqlalchemy.ext.asyncio import AsyncConnection\n"
FETCH_IMPORT = "from src.fetch import fetch_all, fetch_one\n"
STATEMENTS = "src.statements"
# The statements of the skeleton's bodies, and what each becomes.
BODIES = [
    (
        r"^    row = \(await db\.execute\(CREATE, data\.model_dump\(\)\)\)\.mappings\(\)\.one\(\)\n"
        r"    return (\w+)\.model_validate\(row\)\n",
        r"    return \1.model_validate(await db.one(CREATE, **data.model_dump()))\n",
    ),
    (
        r"\bawait fetch_all\(db, PAGE, limit=limit, offset=offset\)",
        r"await db.all(PAGE, limit=limit, offset=offset)",
    ),
    (r"^    row = await fetch_one\(db, ONE, id=(\w+)\)\n", r"    row = await db.one(ONE, id=\1)\n"),
    (
        r'^    result = await db\.execute\(UPDATE, \{\*\*fields, "target_id": (\w+)\}\)\n'
        r"    row = result\.mappings\(\)\.one_or_none\(\)\n",
        r"    row = await db.one(UPDATE, **fields, target_id=\1)\n",
    ),
    (
        r'^    result = await db\.execute\(DELETE, \{"id": (\w+)\}\)\n'
        r"    return result\.scalar_one_or_none\(\) is not None\n",
        r"    return await db.one(DELETE, id=\1) is not None\n",
    ),
]
# What a function still on the connection uses.
CONNECTION_USE = re.compile(r"\bAsyncConnection\b|\bfetch_(?:all|one)\b|\bdb\.execute\b|\bresult\.")
# A function: its `def` line, then every line indented, blank or closing its signature.
FUNCTION = re.compile(r"^async def \w+\(.*\n(?:(?:[ \t)].*)?\n)*", re.M)


def function(chunk: str) -> str:
    """A skeleton function of the service on `Database`, or as it was when its body has
    code of yours on the connection."""
    match = SIGNATURE.match(chunk)
    if not match or not SERVICE_FUNCTIONS.fullmatch(match["name"]):
        return chunk
    new = retype(chunk, SERVICE_FUNCTIONS, "AsyncConnection", "Database")
    for pattern, replacement in BODIES:
        new = re.sub(pattern, replacement, new, flags=re.M)
    return chunk if CONNECTION_USE.search(new) else new


PROJECT_IMPORT = re.compile(r"^from (src\.[\w.]+) import (?:\(\n(?:    .*\n)*\)|.*)\n", re.M)


def add_import(text: str, module: str, name: str) -> str:
    """`from module import name` among the project's imports, where ruff sorts it."""
    imports = list(PROJECT_IMPORT.finditer(text))
    after = [found for found in imports if found[1] > module]
    at = after[0].start() if after else imports[-1].end()
    return f"{text[:at]}from {module} import {name}\n{text[at:]}"


def service(text: str) -> str:
    if FETCH_IMPORT not in text or CONNECTION_IMPORT not in text:
        return text  # not the skeleton's imports
    if clashes(text, "Database"):
        return text
    new = FUNCTION.sub(lambda chunk: function(chunk[0]), text)
    if new == text:
        return text
    new = add_import(new.replace(OLD_DOCSTRING, NEW_DOCSTRING), STATEMENTS, "Database")
    if len(re.findall(r"\bAsyncConnection\b", new)) == 1:
        new = new.replace(CONNECTION_IMPORT, "")
    if not re.search(r"\bfetch_(?:all|one)\b", new.replace(FETCH_IMPORT, "")):
        new = new.replace(FETCH_IMPORT, "")
    return new


REWRITES: dict[str, tuple[Callable[[str], str], str]] = {
    "router.py": (routes, "db: Db instead of DbConnection"),
    "dependencies.py": (routes, "db: Db instead of DbConnection"),
    "service.py": (
        service,
        "db: Database with db.one/db.all instead of AsyncConnection, db.execute and src.fetch",
    ),
}


def leftovers(path: Path, text: str, names: dict[str, tuple[re.Pattern[str], str]]) -> str | None:
    """What a module file still uses of the old API, with the line of its first use (of
    its import when that is all)."""
    lines = text.splitlines()
    found = []
    for name, (pattern, instead) in names.items():
        uses = [number for number, line in enumerate(lines, 1) if pattern.search(line)]
        if uses:
            code = [n for n in uses if not lines[n - 1].startswith(("from ", "import "))]
            found.append(f"{name} (line {(code or uses)[0]}; now {instead})")
    if not found:
        return None
    return f"{path.as_posix()} still uses {', '.join(found)}: change it by hand, {UPGRADE_NOTES}"


def main() -> None:
    for path in sorted([*SOURCES.glob("*/*.py"), *TESTS.glob("*/*.py")]):
        text = path.read_text("utf-8")
        if path.parent.parent == SOURCES and path.name in REWRITES:
            rewrite, what = REWRITES[path.name]
            new = rewrite(text)
            if new != text:
                path.write_text(new, "utf-8")
                say(f"{path.as_posix()}: {what} (the new data API)")
                text = new
        names = OLD_NAMES if path.parent.parent == SOURCES else OLD_NAMES_IN_TESTS
        problem = leftovers(path, text, names)
        if problem:
            say(problem)


if __name__ == "__main__":
    main()
