"""`copier copy` answered at a real terminal, key by key, as a newcomer would.

pexpect drives copier through a pseudo-terminal; every step waits for the text of
the next prompt (never for time). A wrong answer is shown in one line and asked
again, without a traceback.
"""

import io
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import ROOT, clean_env, run

# pexpect forks from a pytest-xdist worker (which runs threads) and the child execs
# copier straight away, so Python's warning about forkpty in threaded code is moot.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning"
)

CLEAR = "\x15"  # Ctrl-U: clear the pre-filled default
DOWN, UP, ENTER, SPACE = "\x1b[B", "\x1b[A", "\r", " "

COLUMNS = 80  # the narrowest common terminal: copier cuts help lines at its edge
QUESTIONS = {
    name: spec
    for name, spec in yaml.safe_load((ROOT / "copier.yml").read_text("utf-8")).items()
    if not name.startswith("_") and spec.get("when", True) is not False
}
# What a user reads at each question, line by line: the help, then the choices.
SHOWN = {
    name: [line.strip() for line in spec["help"].splitlines()]
    + [str(c) for c in spec.get("choices", [])]
    for name, spec in QUESTIONS.items()
}


def test_every_help_line_fits_the_terminal() -> None:
    # On screen each line follows "🎤 " (help) or " » " (choices): 3 columns.
    too_wide = [line for lines in SHOWN.values() for line in lines if 3 + len(line) >= COLUMNS]
    assert too_wide == []


def spawn_copier(destination: Path) -> tuple[pexpect.spawn, io.StringIO]:
    env = clean_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")  # no cursor-position queries
    args = ["copy", "--vcs-ref", "HEAD", "--skip-tasks", str(ROOT), str(destination)]
    child = pexpect.spawn(
        "copier",
        args,
        cwd=destination.parent,
        env=env,
        dimensions=(40, COLUMNS),
        encoding="utf-8",
        timeout=60,
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    return child, transcript


def answer(child: pexpect.spawn, question: str, keys: str, offered: str = "") -> None:
    """Wait for the question, every line of its help and choices visible whole (and the
    default it offers), then press the keys."""
    for line in SHOWN[question]:
        child.expect_exact(line)
    if offered:
        child.expect_exact(offered)
    child.send(keys)


def refused(child: pexpect.spawn, question: str, message: str) -> None:
    """Wait for a question's first validation error, as far as the terminal shows it:
    copier prints it on one row (prompt_toolkit's validation toolbar), cut at the edge,
    so every message starts with the answer and what is wrong with it. (A second error
    is drawn over the first one, only the characters that differ.)"""
    child.expect_exact(f"Validation error for question '{question}': {message}"[: COLUMNS - 1])


def test_a_newcomer_answers_every_prompt(tmp_path: Path) -> None:
    destination = tmp_path / "my projects" / "Café Olé"
    destination.parent.mkdir()
    child, transcript = spawn_copier(destination)

    answer(child, "project_name", CLEAR + "Café Olé" + ENTER)
    # Offered "cafe-ole" (accents transliterated); typed wrong: a space.
    answer(child, "project_slug", CLEAR + "Cafe Ole" + ENTER, offered="cafe-ole")
    refused(child, "project_slug", '"Cafe Ole" contains " ": use only lowercase letters')
    child.send(CLEAR + "cafe-ole-api" + ENTER)
    answer(child, "description", CLEAR + "Orders & invoices, in *one* place." + ENTER)
    answer(child, "author_name", ENTER, offered="Café Olé maintainers")
    answer(child, "author_email", CLEAR + "team@cafe-ole.example" + ENTER)
    answer(child, "python_version", DOWN + ENTER)  # 3.12 -> 3.13
    # local and staging are ticked: untick local, tick production.
    answer(child, "docs_environments", SPACE + DOWN + DOWN + SPACE + ENTER)
    # Offered [posts]; typed wrong: two modules with one table.
    answer(child, "modules", CLEAR + "[orders, order]" + ENTER, offered="posts")
    refused(child, "modules", '"order" would make table "order", already used by module "orders"')
    child.send(CLEAR + "[orders, invoices]" + ENTER)
    answer(child, "database", ENTER)  # the default, SQLite: nothing to run
    answer(child, "task_queue", ENTER)
    answer(child, "auth", ENTER)
    answer(child, "include_sdk_example", "n")
    answer(child, "include_cpu_example", "y")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, transcript.getvalue()
    assert "Traceback" not in transcript.getvalue()
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text("utf-8"))
    assert {k: v for k, v in answers.items() if not k.startswith("_")} == {
        "project_name": "Café Olé",
        "project_slug": "cafe-ole-api",
        "description": "Orders & invoices, in *one* place.",
        "author_name": "Café Olé maintainers",
        "author_email": "team@cafe-ole.example",
        "python_version": "3.13",
        "docs_environments": ["staging", "production"],
        "modules": ["orders", "invoices"],
        "database": "sqlite",
        "task_queue": "none",
        "auth": "jwt",
        "include_sdk_example": False,
        "include_cpu_example": True,
    }
    backend = destination / "backend"
    config = (backend / "src" / "config.py").read_text("utf-8")
    assert '    APP_NAME: str = "Café Olé"\n' in config
    assert "Environment.STAGING,\n        Environment.PRODUCTION,\n    }" in config
    pyproject = (backend / "pyproject.toml").read_text("utf-8")
    assert 'name = "cafe-ole-api"' in pyproject
    assert 'authors = [{ name = "Café Olé maintainers", email = "team@cafe-ole.example" }]' in (
        pyproject
    )
    assert (backend / ".python-version").read_text("utf-8").strip() == "3.13"
    assert not (backend / "src" / "exchange_rates").exists()

    # The next commands, printed for these answers, work as printed (path quoted).
    lines = [line.strip() for line in transcript.getvalue().splitlines()]
    start = lines.index("Café Olé is ready. Next:")
    cd, copy_env, auth_tables, *modules, serve = lines[start + 2 : start + 8]
    assert cd == f"cd '{destination}/backend'"
    assert copy_env.startswith("cp .env.example .env ")  # the tasks were skipped
    # ...so neither the auth tables' migration nor the modules: the commands that make them.
    assert auth_tables.startswith("uv run python -m manage.auth_tables ")
    assert modules == ["uv run manage new-module orders", "uv run manage new-module invoices"]
    assert not (backend / "src" / "orders").exists()
    assert serve.endswith("# http://127.0.0.1:8000/health")  # no docs in local
    result = run("bash", "-c", f"{cd} && {copy_env.split('#')[0]} && pwd", cwd=tmp_path)
    assert result.stdout.strip() == str(backend), result.stderr
    assert (backend / ".env").is_file()


def test_a_slug_that_cannot_be_derived_must_be_typed(tmp_path: Path) -> None:
    destination = tmp_path / "tokyo"
    child, transcript = spawn_copier(destination)

    answer(child, "project_name", CLEAR + "東京" + ENTER)
    answer(child, "project_slug", ENTER)  # no default to accept
    refused(child, "project_slug", "must not be empty (example: my-api)")
    child.send("tokyo-api" + ENTER)
    for question in list(QUESTIONS)[2:]:
        answer(child, question, ENTER)
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, transcript.getvalue()
    assert "Traceback" not in transcript.getvalue()
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text("utf-8"))
    assert (answers["project_name"], answers["project_slug"]) == ("東京", "tokyo-api")
    assert answers["author_name"] == "東京 maintainers"
    lines = [line.strip() for line in transcript.getvalue().splitlines()]
    assert f"cd {destination}/backend" in lines  # a plain path is printed as is
