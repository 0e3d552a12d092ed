"""Update migration: migrations made by older template versions stop importing the app.

Up to 0.3.0 the module skeleton wrote migrations that import application code
(`import src.models` for `src.models.UTCDateTime()`): a later change to the app could
break them, and from 0.4.0 the project's own tests refuse any migration that imports
`src`. The column type that import gave is a timezone-aware DateTime, so the schema
is the same with `sa.DateTime(timezone=True)`.

Runs on every update (unversioned, stage "after"): in backend/alembic/versions/ it
rewrites only files whose one use of `src` is exactly what the skeleton wrote, says
which, and leaves every other file alone. A file rewritten once no longer matches.
"""

from __future__ import annotations

import re
from pathlib import Path

from project import say

VERSIONS = Path("backend/alembic/versions")
IMPORT = "import src.models\n"
OLD_TYPE, NEW_TYPE = "src.models.UTCDateTime()", "sa.DateTime(timezone=True)"


def main() -> None:
    for path in sorted(VERSIONS.glob("*.py")) if VERSIONS.is_dir() else []:
        text = path.read_text("utf-8")
        if text.count(IMPORT) != 1 or "import sqlalchemy as sa\n" not in text:
            continue
        static = text.replace(IMPORT, "").replace(OLD_TYPE, NEW_TYPE)
        if re.search(r"\bsrc\b", static):
            continue  # other uses of the app: the user's to change
        path.write_text(static, "utf-8")
        say(f"{path.as_posix()}: {NEW_TYPE} instead of {OLD_TYPE} (migrations import no app code)")


if __name__ == "__main__":
    main()
