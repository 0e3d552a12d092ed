"""Every module name the template accepts makes a module that works; the others are
refused with one line, by copier's validator and by `manage new-module` alike.

The rules are template/backend/manage/module_template/_names.j2, rendered here twice:
in copier's sandboxed Jinja (what the validator runs) and by the project's
manage/skeleton.py (what `manage new-module` and the copy task run).
"""

import ast
import importlib.util
import json
import keyword
import os
import random
import re
import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from tests.conftest import ROOT, Project, copier_copy

BACKEND = ROOT / "template" / "backend"
RULES_PATH = "template/backend/manage/module_template/_names.j2"

# Accepted names that broke the generated module (issue 15 and its search) or that
# the generator must treat specially, and why.
HARD_NAMES = {
    "s": "an empty singular: IndexError in the copy task, every answer lost",
    "texts": "class Text shadowed sqlalchemy's Text: 9 strict mypy errors",
    "strings": "class String shadowed sqlalchemy's String",
    "annotated": "class Annotated shadowed typing.Annotated: the app did not import",
    "classes": "variable `class`: a SyntaxError",
    "none": "class None: a SyntaxError",
    "os": "class O: ruff E742 (ambiguous class name)",
    "ls": "variable l: ruff E741 (ambiguous variable name)",
    "foreign_keys": "class ForeignKey shadowed sqlalchemy's ForeignKey in an owned model",
    "statuses": "variable status would shadow fastapi's status (status_row)",
    "x_s": "singular x_ (table x_, class X): a word cut to nothing",
    "users": "UserRead and UserCreate beside auth's: long names in the OpenAPI schema; "
    "variable user beside the owner check's `user: CurrentUser`",
}
# Names refused up front (with the modules listed before them), and the line they get.
REFUSED = [
    (["posts"], "post", '"post" would make table "post", already used by module "posts"'),
    (
        [],
        "user_accounts",
        '"user_accounts" would make table "user_account", already used by module "auth"',
    ),
    (
        [],
        "alembic_versions",
        '"alembic_versions" would make table "alembic_version", already used by Alembic',
    ),
    (
        ["posts"],
        "post_pkeys",
        '"post_pkeys" would make table "post_pkey", whose key or sequence names clash with '
        'table "post" (module "posts")',
    ),
    (["a1b"], "a_1b", '"a_1b" would make class A1b, already made by module "a1b"'),
    ([], "owners", '"owners" would make id owner_id, the name of every owned table'),
    (
        ["texts"],
        "text_items",
        '"text_items" would make class TextItem, already made by module "texts"',
    ),
    (
        [],
        "pg_users",
        '"pg_users" would make table "pg_user": names starting with sqlite_ or pg_ belong',
    ),
    (
        [],
        "sqlite_sequences",
        '"sqlite_sequences" would make table "sqlite_sequence": names starting with sqlite_',
    ),
    ([], "statements", '"statements" is taken by the project skeleton: choose another'),
    ([], "middleware", '"middleware" is taken by the project skeleton: choose another'),
    ([], "docs", '"docs" is taken by the project skeleton: choose another'),
    (
        [],
        "test_orders",
        '"test_orders" starts with test_, which pytest reads as a test file: choose another',
    ),
]


def load_skeleton() -> ModuleType:
    """The project's manage/skeleton.py (standard library and Jinja2 only), as is."""
    spec = importlib.util.spec_from_file_location(
        "generated_skeleton", BACKEND / "manage" / "skeleton.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SKELETON = load_skeleton()
COPIER_JINJA = SandboxedEnvironment(  # the Jinja setup copier gives copier.yml
    loader=FileSystemLoader(ROOT),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
)
RULES: Any = COPIER_JINJA.get_template(RULES_PATH).module


def accepted(names: list[str]) -> bool:
    return not str(RULES.modules_error(names))


# Names built from the words the skeleton's own code uses, random letters and digits,
# and the endings the singular rule reads.
WORDS = [
    *("annotated", "base", "class", "data", "db", "depends", "field", "id", "item", "l"),
    *("list", "mapped", "model", "none", "o", "path", "post", "query", "row", "service"),
    *("session", "status", "string", "text", "true", "type", "user", "valid", "order"),
    *("pg", "sqlite", "alembic", "version", "account", "token", "pkey", "seq", "test"),
]
PART = st.one_of(st.sampled_from(WORDS), st.from_regex(r"\A[a-z0-9]{1,6}\Z"))
ENDINGS = ["", "s", "es", "ies", "ses", "uses", "xes", "ss", "is", "us"]
ENDING = st.sampled_from(ENDINGS)
NAME = st.builds(
    lambda parts, ending: "_".join(parts) + ending, st.lists(PART, min_size=1, max_size=3), ENDING
).filter(lambda name: name[0].isalpha())


def bindings(tree: ast.Module) -> list[str]:
    """The names a file binds at module level (imports, classes, functions, assignments)."""
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names += [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


def shadowing(tree: ast.Module) -> set[str]:
    """Parameters and local variables named like a module-level name of the file."""
    module_level = set(bindings(tree))
    local: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            local |= {
                a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            }
            local |= {
                name.id
                for inner in ast.walk(node)
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store)
                for name in [inner]
            }
    return local & module_level


def module_files(name: str, *, owned: bool = False) -> dict[Path, str]:
    """The module's files; `owned`: as in a project with users, with --private reads."""
    names = SKELETON.Names(name, SKELETON.singular(name), owned=owned)
    files = dict(SKELETON.render_files(names, crud=True, private=owned))
    path, text = SKELETON.render_migration(names, "0123456789ab", SKELETON.datetime(2026, 1, 1))
    files[path] = text
    return files


@settings(max_examples=150, deadline=None, database=None)
@given(names=st.lists(NAME, min_size=1, max_size=4))
@example(names=list(HARD_NAMES))
@example(names=["posts", "post"])
def test_accepted_names_make_consistent_modules(names: list[str]) -> None:
    error = str(RULES.modules_error(names))
    # manage's check, one name at a time beside the ones before it, says the same.
    problems = [
        f"{SKELETON.show(name)} is listed twice"
        if name in names[:index]
        else SKELETON.name_error(name, names[:index])
        for index, name in enumerate(names)
    ]
    assert next((problem for problem in problems if problem), "") == error
    if error:
        assert "\n" not in error
        event("refused")
        return
    event("accepted")
    made = [SKELETON.Names(name, SKELETON.singular(name)) for name in names]
    for names_ in made:
        assert names_.entity == str(RULES.singular(names_.module))  # copier's Jinja agrees
        for identifier in (names_.entity, names_.var, names_.model, f"{names_.entity}_id"):
            assert identifier.isidentifier(), identifier
        assert not keyword.iskeyword(names_.var)
        assert names_.model not in {"None", "True", "False", "I", "O"}
        assert names_.var != "l"
        owned_files = module_files(names_.module, owned=True)
        for path, text in [*module_files(names_.module).items(), *owned_files.items()]:
            tree = ast.parse(text, str(path))
            bound = bindings(tree)
            assert len(bound) == len(set(bound)), (path, sorted(bound))
            assert not shadowing(tree), (path, shadowing(tree))
            assert max(map(len, text.splitlines()), default=0) <= 100, path
    # No two modules share a table (nor its key and sequence names), a class or a URL.
    relations = [r for n in made for r in (n.entity, f"{n.entity}_pkey", f"{n.entity}_id_seq")]
    assert len(relations) == len(set(relations))
    assert not set(relations) & {
        "alembic_version",
        "user_account",
        "refresh_token",
        "login_attempt",
    }
    assert len({n.model for n in made}) == len({n.url for n in made}) == len(made)


@pytest.mark.parametrize(("before", "name", "line"), REFUSED, ids=[name for _, name, _ in REFUSED])
def test_refused_alike_by_copier_and_manage(before: list[str], name: str, line: str) -> None:
    assert str(RULES.modules_error([*before, name])).startswith(line)
    assert SKELETON.name_error(name, before).startswith(line)


def test_reserved_names_cover_the_project() -> None:
    """Every file and package of src/ and tests/ is a reserved name (or starts with test_)."""
    reserved = set(RULES.reserved_names)
    for folder in ("src", "tests"):
        for path in (BACKEND / folder).iterdir():
            # "{% if auth == "jwt" %}auth{% endif %}" -> auth; "config.py.jinja" -> config
            name = re.sub(r"\{%.*?%\}", "", path.name).split(".")[0]
            if name and name not in {"__init__", "__pycache__"} and not name.startswith("test_"):
                assert name in reserved, path


def test_project_schemas_are_listed() -> None:
    """The project's bodies named like a module's (<Row>Create, Read, Update) are known."""
    schemas = {
        name
        for path in (BACKEND / "src").rglob("*.py*")
        for name in re.findall(
            r"^class (\w+(?:Create|Read|Update))\b", path.read_text("utf-8"), re.M
        )
    }
    assert schemas == set(RULES.project_schemas)
    assert str(RULES.model("user")) == "UserItem"


@pytest.mark.parametrize("owned", [False, True])
def test_skeletons_own_names_are_taken(owned: bool) -> None:
    """A module named like a class or variable of the skeleton's code gets a suffix."""
    taken_variables = set(RULES.taken_variables) | (set(RULES.owned_variables) if owned else set())
    for path, text in module_files("widgets", owned=owned).items():
        tree = ast.parse(text)
        own = {name for name in bindings(tree) if "widget" not in name.lower()}
        classes = {name for name in own if name[0].isupper() and not name.isupper()}
        if path.parts[0] == "src":  # where the row's class is used
            assert classes <= set(RULES.taken_classes), (path, classes - set(RULES.taken_classes))
        # The names read or bound beside the row's variable, in the functions that hold it.
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            inside = [node for part in (function.args, *function.body) for node in ast.walk(part)]
            used = {node.id for node in inside if isinstance(node, ast.Name)}
            used |= {node.arg for node in inside if isinstance(node, ast.arg)}
            if "widget" in used:
                beside = {name for name in used if name.islower() and "widget" not in name}
                assert beside <= taken_variables, (path, function.name, beside)


ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def random_names(rng: random.Random, count: int) -> list[str]:
    """HARD_NAMES and `count` more that the validator accepts beside them, drawn as NAME."""
    names = list(HARD_NAMES)
    while len(names) < len(HARD_NAMES) + count:
        parts = [
            rng.choice(WORDS)
            if rng.random() < 0.5
            else "".join(rng.choices(ALPHABET, k=rng.randint(1, 6)))
            for _ in range(rng.randint(1, 3))
        ]
        name = "_".join(parts) + rng.choice(ENDINGS)
        if name[0].isalpha() and accepted([*names, name]):
            names.append(name)
    return names


@pytest.mark.xdist_group("module-names")
def test_accepted_names_pass_the_full_chain(tmp_path: Path) -> None:
    """One project with every hard name and random ones: it imports, and its ruff, ruff
    format, strict mypy and each module's tests (which run the migrations) pass."""
    seed = int(os.environ.get("MODULE_NAMES_SEED") or secrets.randbelow(10**6))
    names = random_names(random.Random(seed), 6)  # noqa: S311 - reproducible names, not secrets
    shown = f"MODULE_NAMES_SEED={seed}, modules={names}"
    destination = tmp_path / "names"
    modules = f"modules=[{', '.join(names)}]"
    result = copier_copy(destination, "--trust", "--defaults", "--data", modules, timeout=300)
    assert result.returncode == 0, f"{shown}\n{result.stderr}"
    project = Project(destination)

    def check(*command: str, timeout: float = 300) -> str:
        result = project.run(*command, timeout=timeout)
        assert result.returncode == 0, (
            f"{shown}: {' '.join(command)}\n{result.stdout}{result.stderr}"
        )
        return result.stdout

    check("uv", "sync", "--frozen", "--quiet")
    uv = ("uv", "run", "--frozen")
    check(*uv, "ruff", "check", ".")
    check(*uv, "ruff", "format", "--check", ".")
    check(*uv, "mypy")
    # The app imports; no two bodies share a name (FastAPI would qualify both).
    schemas = json.loads(check(*uv, "manage", "openapi"))["components"]["schemas"]
    assert [name for name in schemas if "__" in name] == [], shown
    # Per module: its table, routes, error code and row variable (the rest of each
    # module's suite does not depend on the name).
    tests = [f"tests/{name}/test_{name}.py" for name in names]
    selected = "test_create_then_read or test_unknown_id_is_404"
    output = check(*uv, "pytest", "-q", "-p", "no:cacheprovider", "-k", selected, *tests)
    assert re.search(rf"^{4 * len(names)} passed", output.strip().splitlines()[-1]), output
