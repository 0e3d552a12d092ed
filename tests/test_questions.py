"""Bad answers are refused with the validator's one-line message, and nothing is written."""

import pytest

from tests.conftest import ROOT, run

BAD_ANSWERS = [
    ("project_slug", "My API", 'project_slug "My API" must start with a letter'),
    ("project_slug", "1api", 'project_slug "1api" must start with a letter'),
    ("project_slug", "api-", 'project_slug "api-" must start with a letter'),
    ("project_slug", "a" * 65, "is longer than 64 characters"),
    ("author_email", "nobody", 'author_email "nobody" is not an e-mail address'),
    ("project_name", "  ", "project_name must not be empty"),
]


@pytest.mark.parametrize(("question", "answer", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_and_leaves_nothing(
    tmp_path, question: str, answer: str, message: str
) -> None:
    destination = tmp_path / "project"
    result = run(
        "copier",
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref",
        "HEAD",
        "--data",
        f"{question}={answer}",
        ROOT,
        destination,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not destination.exists()
