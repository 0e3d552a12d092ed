"""`manage new-module`'s naming: names that need care still make valid modules, and a
name whose table the project has is refused before anything is written.

The rules are manage/module_template/_names.j2 (copier's `modules` question uses them
too); the template's own tests try many more names through the whole toolchain.
"""

import ast
from pathlib import Path

import pytest

from manage.skeleton import ModuleError, Names, plan, project_tables, render_files, singular

BACKEND = Path(__file__).resolve().parents[2]

# Names whose row would be a keyword, a Python constant, an ambiguous name or a class the
# skeleton imports (texts: sqlalchemy's Text), or whose plural has nothing left (s).
CAREFUL_NAMES = ["s", "texts", "strings", "annotated", "classes", "none", "os", "ls", "users"]


@pytest.mark.parametrize("name", CAREFUL_NAMES)
def test_careful_names_make_valid_python(name: str) -> None:
    names = Names(name, singular(name))
    for path, text in render_files(names, crud=True).items():
        tree = ast.parse(text, str(path))  # no keyword or constant used as a name
        bound = [
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        bound += [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
        assert len(bound) == len(set(bound)), f"{path}: a class shadows an import"


def test_a_table_the_project_has_is_refused() -> None:
    tables = {"alembic_version": "Alembic", **project_tables(BACKEND)}
    for table, user in tables.items():
        name = f"{table}s"
        if singular(name) != table or (BACKEND / "src" / name).exists():
            continue
        with pytest.raises(ModuleError) as refused:
            plan(BACKEND, name, crud=True)
        assert str(refused.value) == (
            f'"{name}" would make table "{table}", already used by {user}: choose another name'
        )
