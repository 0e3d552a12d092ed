"""Update migration: module tests that compare a whole error body expect its `request_id`.

0.6.0 adds `request_id` (the X-Request-ID of the request) to every error body. The module
skeleton's `test_unknown_id_is_404` compared the whole 404 body, so a module made by an
older skeleton fails after the update. That assertion, exactly as the skeleton wrote it,
gains the line the new skeleton writes; every other test is the user's to adapt.

Runs on every update (unversioned, stage "after"); a rewritten file no longer matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from project import say

TESTS = Path("backend/tests")
# The skeleton's assertion: the body of a 404 of one module's resource.
SKELETON_404 = re.compile(
    r"(?P<head>    assert response\.json\(\) == \{\n"
    r'        "code": "[a-z][a-z0-9_]*_not_found",\n'
    r'        "message": "[^"\n]*",\n'
    r'        "details": \[\],\n)'
    r"(?P<tail>    \}\n)"
)
REQUEST_ID = '        "request_id": response.headers["x-request-id"],\n'


def main() -> None:
    for path in sorted(TESTS.glob("*/test_*.py")) if TESTS.is_dir() else []:
        text = path.read_text("utf-8")
        updated, count = SKELETON_404.subn(rf"\g<head>{REQUEST_ID}\g<tail>", text)
        if count:
            path.write_text(updated, "utf-8")
            say(f"{path.as_posix()}: the 404 body it expects has the request id (error bodies do)")


if __name__ == "__main__":
    main()
