"""Any project name and description, however unusual, either render a project whose
Python, TOML, YAML and Markdown hold them exactly, or are refused by their validator.
"""

import json
import re
import tomllib

import pytest
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt

from tests.conftest import ROOT, Project, copier_copy

# What the validators accept: one line, no control characters, no outer spaces
# (a name can still be too wide); and anything at all.
VALID_TEXT = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=70
).filter(lambda text: text == text.strip())
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=70)

REFUSED = re.compile(r"ValueError: Validation error for question '(project_name|description)': .+")


@pytest.mark.xdist_group("rendered-defaults")
@settings(max_examples=25, deadline=None, database=None)
@given(name=st.one_of(VALID_TEXT, ANY_TEXT), description=VALID_TEXT)
@example(
    name='Café d\u2019Été "Quoted" \u2013 東京', description="Orders & <invoices> for *everyone*."
)
@example(name="😀" * 32, description="Exactly the widest name.")
@example(name="a\\b'\"{APP_NAME}", description="1. Not a list \\")
@example(name="Tab\tName", description="Refused name.")
def test_any_name_renders_valid_files_or_is_refused(
    rendered, tmp_path_factory: pytest.TempPathFactory, name: str, description: str
) -> None:
    tools = rendered("defaults").backend / ".venv" / "bin"  # installed once, reused
    destination = tmp_path_factory.mktemp("names") / "project"
    data = destination.parent / "answers.yml"
    answers = {"project_name": name, "description": description, "project_slug": "any-name"}
    data.write_text(yaml.safe_dump(answers), "utf-8")
    result = copier_copy(destination, "--defaults", "--skip-tasks", "--data-file", data)
    if result.returncode != 0:
        assert REFUSED.fullmatch(result.stderr.splitlines()[-1]), result.stderr
        assert not destination.exists()
        event("refused")
        return
    event("rendered")

    project = Project(destination)
    project.check(tools / "ruff", "check", "--no-cache", ".")
    project.check(tools / "ruff", "format", "--check", "--no-cache", ".")
    script = (
        "import json; from src.config import Settings; "
        "print(json.dumps(Settings(_env_file=None, ENVIRONMENT='testing').APP_NAME))"
    )
    assert json.loads(project.check(tools / "python", "-c", script)) == name
    pyproject = tomllib.loads((project.backend / "pyproject.toml").read_text("utf-8"))
    assert pyproject["project"]["description"] == description
    stored = yaml.safe_load((destination / ".copier-answers.yml").read_text("utf-8"))
    assert stored["project_name"] == name
    assert stored["description"] == description


JINJA = SandboxedEnvironment(  # the Jinja setup copier gives copier.yml
    loader=FileSystemLoader(ROOT),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
)
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # GitHub's extras


def answers_macro(call: str, **values: str) -> str:
    """Render a macro of hooks/answers.jinja, e.g. `slugify %}{{ slugify(name) }}`."""
    return JINJA.from_string('{% from "hooks/answers.jinja" import ' + call).render(**values)


def shown_text(markdown: str, block: str) -> str:
    """The plain text a Markdown reader shows for a single heading or paragraph."""
    tokens = MARKDOWN.parse(markdown)
    assert [token.type for token in tokens] == [f"{block}_open", "inline", f"{block}_close"]
    children = tokens[1].children or []
    assert {child.type for child in children} <= {"text"}, markdown
    return "".join(child.content for child in children)


@settings(max_examples=300, deadline=None, database=None)
@given(text=VALID_TEXT)
@example(text="# *Not* [a link](x) <b>&amp; `code` ~~gone~~ | cell \\")
@example(text="- not a list")
@example(text="1. not a list either")
def test_markdown_shows_answers_as_typed(text: str) -> None:
    escaped = answers_macro("markdown %}{{ markdown(text) }}", text=text)
    assert shown_text(f"# {escaped}", "heading") == text
    assert shown_text(escaped, "paragraph") == text


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My API", "my-api"),
        ("Café Olé", "cafe-ole"),
        ("Straße Ünïcode Œuvre", "strasse-unicode-oeuvre"),
        ("ÆON Łódź Ñandú Þing", "aeon-lodz-nandu-thing"),
        ("Cafe\u0301 decomposed", "cafe-decomposed"),
        ("2024: the Report API!", "the-report-api"),
        ("Ünïcode " * 10, "unicode-" * 7 + "unicode"),
        ("東京", ""),
    ],
)
def test_slug_derived_from_name(name: str, slug: str) -> None:
    assert answers_macro("slugify %}{{ slugify(name) }}", name=name) == slug
