"""How many concurrent writers one SQLite file sustains, as deployed.

    uv run python bench/sqlite_writers.py

Renders the default project (SQLite), runs it with `fastapi run --workers N` and
production settings on 127.0.0.1, and sends POSTs and PATCHes from a growing number of
concurrent wrk clients. For each step it prints writes per second, p99 latency and the
answers that were not 2xx (a 503 when a write waited longer than busy_timeout for the
file's lock, or longer than pool_timeout for a connection). Every process started here
is stopped by its PID.
"""

import shutil
import tempfile
from pathlib import Path

from run import (
    ROOT,
    SECRET,
    check,
    ensure_wrk,
    measure,
    patch_script,
    post_script,
    seed,
    serve,
)

SECONDS = 3
CLIENTS = (1, 10, 50, 200)
WORKERS = (1, 2)


def main() -> None:
    ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="bench-writers-"))
    try:
        copier = ("uv", "run", "--project", ROOT, "copier", "copy", "--defaults")
        check(*copier, "--trust", "--vcs-ref", "HEAD", ROOT, work / "p", cwd=work)
        backend = work / "p" / "backend"
        check("uv", "sync", "--frozen", "--no-dev", "--quiet", cwd=backend)
        post = post_script(backend / ".post.lua", {"name": "New", "description": "word " * 20})
        patch = patch_script(backend / ".patch.lua", {"description": "changed"}, ids=50)
        header = ("workers", "clients", "route", "writes/s", "p99 ms", "non-2xx")
        print(" ".join(f"{cell:>8}" for cell in header))
        for workers in WORKERS:
            database = backend / f"writers-{workers}.db"
            url = f"sqlite+aiosqlite:///{database}"
            check("uv", "run", "--frozen", "--no-dev", "alembic", "upgrade", "head", cwd=backend,
                  extra={"DATABASE_URL": url})  # fmt: skip
            command = [
                backend / ".venv" / "bin" / "fastapi", "run", "--host", "127.0.0.1",
                "--port", "{port}", "--workers", str(workers),
            ]  # fmt: skip
            environment = {
                "ENVIRONMENT": "production",
                "SECRET_KEY": SECRET,
                "ASYNCIO_DEBUG": "false",
                "ALLOW_SQLITE_IN_PRODUCTION": "true",
                "DATABASE_URL": url,
            }
            with serve(f"{workers} workers", command, backend, **environment) as server:
                seed(server.base)
                for clients in CLIENTS:
                    for name, script in (("POST", post), ("PATCH", patch)):
                        load = measure(server.base + "/posts", SECONDS, clients, script=script)
                        row = (workers, clients, name, f"{load.rps:.0f}", f"{load.p99_ms:.1f}")
                        print(" ".join(f"{cell:>8}" for cell in (*row, load.errors)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
