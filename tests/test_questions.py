"""Bad answers given with --data are refused with one line naming the problem, and
nothing is written: a new destination is not created, an existing one stays as it was.

copier 9.19.1 prints a Python traceback above that line (README: "Wrong answers");
these tests pin that exact behaviour, so a copier that prints the line alone shows up
here. Interactively the same line is shown and the question asked again
(tests/test_interactive.py).
"""

from pathlib import Path

import pytest
import yaml

from tests.conftest import MODULE_NAME_ERRORS, NOT_A_MODULE_NAME, ROOT, copier_copy

SLUG_CHARS = "use only lowercase letters, digits and hyphens (example: my-api)"
NOT_EMAIL = "is not an e-mail address (example: team@example.com)"
ONE_LINE = "must be one line of text without control characters:"
TOO_LONG = (
    "is too long: 64 characters at most (CJK characters, emoji, quotes and backslashes "
    "count as two)"
)
AROUND_EMAILS = "must not contain <, > or a comma (pyproject.toml and git use them around e-mails):"

# (answers given with --data, question that refuses them, its message)
BAD_ANSWERS: list[tuple[dict[str, str], str, str]] = [
    ({"project_name": ""}, "project_name", "must not be empty"),
    ({"project_name": "   "}, "project_name", "must not be empty"),
    ({"project_name": "My\nAPI"}, "project_name", f'{ONE_LINE} "My\\nAPI"'),
    ({"project_name": "Tab\tAPI"}, "project_name", f'{ONE_LINE} "Tab\\tAPI"'),
    ({"project_name": "Del\x7fAPI"}, "project_name", f'{ONE_LINE} "Del\\u007fAPI"'),
    ({"project_name": "Line\u2028API"}, "project_name", f'{ONE_LINE} "Line\\u2028API"'),
    (
        {"project_name": " My API"},
        "project_name",
        'must not start or end with a space: " My API"',
    ),
    ({"project_name": "a" * 65}, "project_name", TOO_LONG),
    ({"project_name": "漢" * 33}, "project_name", TOO_LONG),
    ({"project_slug": ""}, "project_slug", "must not be empty (example: my-api)"),
    ({"project_slug": "my api"}, "project_slug", f'"my api" contains " ": {SLUG_CHARS}'),
    ({"project_slug": "my_api"}, "project_slug", f'"my_api" contains "_": {SLUG_CHARS}'),
    ({"project_slug": "café"}, "project_slug", f'"café" contains "é": {SLUG_CHARS}'),
    ({"project_slug": "my-api\n"}, "project_slug", f'"my-api\\n" contains "\\n": {SLUG_CHARS}'),
    (
        {"project_slug": "My-Api"},
        "project_slug",
        '"My-Api" has upper-case letters: use lowercase (example: my-api)',
    ),
    ({"project_slug": "1api"}, "project_slug", '"1api" must start with a letter (example: api-2)'),
    ({"project_slug": "-api"}, "project_slug", '"-api" must start with a letter (example: api-2)'),
    ({"project_slug": "api-"}, "project_slug", '"api-" must not end with a hyphen'),
    (
        {"project_slug": "my--api"},
        "project_slug",
        '"my--api" must not contain two hyphens in a row',
    ),
    (
        {"project_slug": "class"},
        "project_slug",
        '"class" is a Python keyword: choose another (example: class-api)',
    ),
    (
        {"project_slug": "import"},
        "project_slug",
        '"import" is a Python keyword: choose another (example: import-api)',
    ),
    ({"project_slug": "a" * 65}, "project_slug", "is 65 characters long: 64 at most"),
    # Cross-question: with --defaults a slug that cannot be derived must be given.
    *(
        (
            {"project_name": name},
            "project_slug",
            f'cannot be derived from project_name "{name}": '
            "pass one with --data project_slug=my-api",
        )
        for name in ("123", "東京", "Class")
    ),
    ({"description": ""}, "description", "must not be empty"),
    ({"description": "Two\nlines."}, "description", f'{ONE_LINE} "Two\\nlines."'),
    (
        {"description": "Trailing. "},
        "description",
        'must not start or end with a space: "Trailing. "',
    ),
    ({"author_name": ""}, "author_name", "must not be empty"),
    (
        {"author_name": "Ann <ann@example.com>"},
        "author_name",
        f'{AROUND_EMAILS} "Ann <ann@example.com>"',
    ),
    ({"author_name": "Doe, Jane"}, "author_name", f'{AROUND_EMAILS} "Doe, Jane"'),
    ({"author_email": "nobody"}, "author_email", f'"nobody" {NOT_EMAIL}'),
    ({"author_email": "team@localhost"}, "author_email", f'"team@localhost" {NOT_EMAIL}'),
    ({"author_email": "a b@example.com"}, "author_email", f'"a b@example.com" {NOT_EMAIL}'),
    ({"author_email": "a@@example.com"}, "author_email", f'"a@@example.com" {NOT_EMAIL}'),
    (
        {"author_email": "team@example.com\n"},
        "author_email",
        f'"team@example.com\\n" {NOT_EMAIL}',
    ),
    ({"include_sdk_example": "maybe"}, "include_sdk_example", 'must be yes or no, not "maybe"'),
    ({"include_cpu_example": "maybe"}, "include_cpu_example", 'must be yes or no, not "maybe"'),
    (
        {"modules": "posts"},
        "modules",
        'must be a list of module names like [posts, orders] ([] for none), not "posts"',
    ),
    *(
        ({"modules": f"[posts, {name}]"}, "modules", line)
        for name, line in MODULE_NAME_ERRORS.items()
    ),
    ({"modules": "[posts, 7]"}, "modules", f"7 {NOT_A_MODULE_NAME}"),
    ({"modules": "[orders, posts, orders]"}, "modules", '"orders" is listed twice'),
]

# Refused by copier itself before any validator (choices, list syntax): its own line.
COPIER_REFUSALS: list[tuple[dict[str, str], str]] = [
    (
        {"python_version": "3.10"},
        "ValueError: Invalid choice for 'python_version': '3.10' is not in "
        "['3.11', '3.12', '3.13']",
    ),
    (
        {"docs_environments": "[local, dev]"},
        "ValueError: Invalid choice for 'docs_environments': 'dev' is not in "
        "['local', 'staging', 'production']",
    ),
    ({"docs_environments": "local"}, "TypeError: Not a YAML list: 'local'"),
    (
        {"database": "mysql"},
        "ValueError: Invalid choice for 'database': 'mysql' is not in ['sqlite', 'postgresql']",
    ),
    (
        {"task_queue": "rq"},
        "ValueError: Invalid choice for 'task_queue': 'rq' is not in ['none', 'celery']",
    ),
    (
        {"auth": "oauth"},
        "ValueError: Invalid choice for 'auth': 'oauth' is not in ['jwt', 'none']",
    ),
]

CASES = [
    (answers, f"ValueError: Validation error for question '{question}': {message}")
    for answers, question, message in BAD_ANSWERS
] + COPIER_REFUSALS


@pytest.mark.parametrize(
    ("answers", "last_line", "existing"),
    # Every other case copies into an existing empty directory (copier's code path is
    # the same for all cases, and each copier start costs ~2 s).
    [(answers, line, index % 2 == 1) for index, (answers, line) in enumerate(CASES)],
    ids=[f"{next(iter(answers))}={next(iter(answers.values()))!r}"[:60] for answers, _ in CASES],
)
def test_bad_answer_is_refused_and_writes_nothing(
    tmp_path: Path, answers: dict[str, str], last_line: str, existing: bool
) -> None:
    destination = tmp_path / "project"
    if existing:
        destination.mkdir()
    data = [option for key, value in answers.items() for option in ("--data", f"{key}={value}")]
    result = copier_copy(destination, "--trust", "--defaults", *data, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == last_line
    assert "Traceback (most recent call last):" in result.stderr  # copier 9.19.1 prints one
    assert result.stdout == ""
    if existing:
        assert list(destination.iterdir()) == []
    else:
        assert not destination.exists()


def test_every_question_gets_bad_answers() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text("utf-8"))
    asked = {name for name, spec in config.items() if name[0] != "_" and spec.get("when", True)}
    tried = {question for _, question, _ in BAD_ANSWERS}
    tried |= {next(iter(answers)) for answers, _ in COPIER_REFUSALS}
    assert tried == asked
    assert len(CASES) >= 30
