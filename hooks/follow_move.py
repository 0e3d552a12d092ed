"""Migration: carry the user's edits of a file the template moved to its new place.

Runs after `copier update` has merged (copier `_migrations`, stage "after") on
copier's own interpreter, so it uses the standard library and git only. The
working directory is the project; HEAD is the project as it was before the update.
It runs on every update (unversioned: an untagged template repository gives copier
no versions to compare) and acts only when the move happened in this update: HEAD
had the old path and the merged tree no longer has it. Otherwise it does nothing.

Copier alone deletes a file that the new template version no longer has, even
when the user edited it, and renders the new path from scratch. This script
3-way merges the user's version (HEAD:OLD) into the new file, with the file as
the old template version shipped it (read from the template's git history at the
`_commit` of the answers file HEAD had) as the base, exactly like copier merges
a file that did not move:

- the user did not edit the file: nothing to do;
- edits merge cleanly: the new file holds the template's changes and the user's;
- they clash: conflict markers labelled like copier's, and the path is recorded
  as unmerged in the index (`git diff --name-only --diff-filter=U` lists it);
- the old version cannot be read (unknown commit), or the user already had a file
  at the new path: the user's file is put back at its old path and the user is
  told to merge it by hand. Nothing is ever lost.

It then renames the module in imports (`--module tests.client:tests.utils`) in
the project's own Python files under the moved file's top directory.
Only for files copied verbatim (no `.jinja` suffix): the base is read, not rendered.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from project import at_head, git, old_template_commit, say, template_file

LABELS = ["-L", "before updating", "-L", "last update", "-L", "after updating"]


def blob(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return git("hash-object", "-w", "--", str(path)).stdout.decode().strip()


def merge(old: Path, new: Path, user: bytes, base: bytes) -> None:
    """Write the 3-way merge of the user's old file and the template's new file into `new`."""
    with tempfile.TemporaryDirectory() as tmp:
        ours, parent, theirs = Path(tmp, "user"), Path(tmp, "base"), Path(tmp, "template")
        shas = [blob(parent, base), blob(ours, user), blob(theirs, new.read_bytes())]
        result = git("merge-file", "-p", *LABELS, str(ours), str(parent), str(theirs))
    if not 0 <= result.returncode <= 127:  # otherwise: the number of conflicts
        raise SystemExit(f"error: git merge-file failed: {result.stderr.decode().strip()}")
    new.write_bytes(result.stdout)
    if result.returncode == 0:
        say(f"moved your edits of {old} to {new}")
        return
    # Record the conflict like `git merge` does: stages 1 (base), 2 (user), 3 (template).
    mode = "100755" if new.stat().st_mode & 0o111 else "100644"
    path = git("rev-parse", "--show-prefix").stdout.decode().strip() + new.as_posix()
    index = [f"0 {'0' * 40}\t{path}"] + [
        f"{mode} {sha} {stage}\t{path}" for stage, sha in enumerate(shas, start=1)
    ]
    git("update-index", "--index-info", stdin="".join(f"{line}\n" for line in index).encode())
    say(f"CONFLICT: your edits of {old} clash with the template's in {new}: resolve the markers")


def rename_module(root: Path, old_module: str, new_module: str) -> None:
    """Rename a dotted module in the project's Python files (tracked or not, not ignored)."""
    pattern = re.compile(rf"\b{re.escape(old_module)}\b")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", str(root))
    for name in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        path = Path(name)
        if path.suffix != ".py" or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if pattern.search(text):
            path.write_text(pattern.sub(new_module, text), "utf-8")
            say(f"{path}: imports {new_module} instead of {old_module}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", required=True, help="the template's git checkout")
    parser.add_argument("--subdirectory", default="template", help="copier's _subdirectory")
    parser.add_argument(
        "--from",
        dest="ref",
        help="template commit updated from (default: the _commit of the answers file in HEAD)",
    )
    parser.add_argument("--old", required=True, type=Path, help="old path in the project")
    parser.add_argument("--new", required=True, type=Path, help="new path in the project")
    parser.add_argument("--module", help="OLD:NEW dotted module names to rename in imports")
    args = parser.parse_args()
    old, new = args.old, args.new

    user = at_head(old)  # HEAD: the project before the update
    if user is None or old.exists():
        return  # not moved by this update: nothing to do
    ref = args.ref or old_template_commit()
    base = template_file(args.template, ref, f"{args.subdirectory}/{old.as_posix()}")
    if base == user:
        say(f"{old} had no edits of yours: the template's {new} replaces it")
    elif reason := obstacle(base, new):
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_bytes(user)
        say(f"{old} kept: {reason}; merge your edits into {new} by hand")
        return
    else:
        merge(old, new, user, base)
    if args.module:
        old_module, new_module = args.module.split(":")
        rename_module(Path(old.parts[0]), old_module, new_module)


def obstacle(base: bytes | None, new: Path) -> str:
    """Why the user's edits cannot be merged into the new file, if they cannot."""
    if base is None:
        return "the template version it came from is unknown"
    if at_head(new) is not None:
        return f"{new} was already a file of yours (copier merged the template's into it)"
    if not new.is_file():
        return f"the template no longer has {new}"
    return ""


if __name__ == "__main__":
    main()
