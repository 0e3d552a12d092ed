"""The cost of the operations layer (issue 16), side by side in one run.

    uv run python bench/operations.py [--base COMMIT]

Renders the default answers (SQLite) at HEAD and at `--base` (the template before the
layer), then measures real uvicorn processes with wrk, in alternation (bench/run.py's
helpers):
- /health and the 50-row list, the layer on (src.main:app as deployed: JSON access lines,
  request ids, metrics on METRICS_PORT, the loop-lag probe), "quiet" (the same with
  ACCESS_LOG=false) and off (bench/layer_off.py: the same app without the request-id
  middleware, so no access lines, request ids or request metrics; no METRICS_PORT);
- the upgrade: HEAD as deployed by default (JSON access lines, request ids, loop-lag
  probe; no METRICS_PORT) against `--base` as deployed (uvicorn's own access lines);
- cold start, process start to first 200 on /health (OpenTelemetry and Sentry unconfigured),
  HEAD against the base.
Every process started here is stopped by its PID.
"""

import json
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from run import (
    ROOT,
    Load,
    alternate,
    check,
    ensure_wrk,
    free_port,
    production,
    seed,
    serve,
    uvicorn,
    warm_up,
)

BENCH = Path(__file__).resolve().parent


def render(work: Path, name: str, ref: str) -> Path:
    # auth=none: the list is seeded over HTTP, and ownership is not what is measured here.
    copier = ("uv", "run", "--project", ROOT, "copier", "copy", "--defaults", "--trust")
    check(*copier, "--vcs-ref", ref, "--data", "auth=none", ROOT, work / name, cwd=work)
    backend = work / name / "backend"
    check("uv", "sync", "--quiet", "--no-dev", cwd=backend)
    return backend


def with_access_log(command: list[str | Path], log: Path) -> list[str | Path]:
    """The server command with its access lines on, written to `log` (for HEAD, the app's
    AccessLog writes them whatever uvicorn's flags; for `--base`, uvicorn does)."""
    argv = [str(part) for part in command if part != "--no-access-log"]
    argv[argv.index("warning")] = "info"
    return ["sh", "-c", f'exec "$@" 2>"{log}"', "sh", *argv]


def main(
    base: Annotated[str, typer.Option(help="The template commit before the layer.")] = "48ceaca",
    seconds: Annotated[int, typer.Option(help="Duration of each load run.")] = 3,
    clients: Annotated[int, typer.Option(help="Concurrent clients of the load runs.")] = 50,
) -> None:
    ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    try:
        measure_all(work, base, seconds, clients)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_all(work: Path, base: str, seconds: int, clients: int) -> None:
    head, before = render(work, "head", "HEAD"), render(work, "base", base)
    (head / "layer_off.py").write_text((BENCH / "layer_off.py").read_text())
    database = head / "app.db"
    settings = production(f"sqlite+aiosqlite:///{database}", METRICS_PORT=str(free_port()))
    check(head / ".venv" / "bin" / "alembic", "upgrade", "head", cwd=head, extra=settings)
    old_settings = production(f"sqlite+aiosqlite:///{database}")
    figures: dict[str, object] = {}

    starts: dict[str, list[float]] = {"head": [], "base": []}
    for _ in range(5):
        for name, backend, extra in (("head", head, settings), ("base", before, old_settings)):
            with serve(name, uvicorn(backend, "src.main:app"), backend, **extra) as server:
                starts[name].append(server.started_in)
    for name, values in starts.items():
        figures[f"cold_start_s_{name}"] = statistics.median(values)

    on_command = with_access_log(uvicorn(head, "src.main:app"), work / "access.log")
    default_command = with_access_log(uvicorn(head, "src.main:app"), work / "default.log")
    base_command = with_access_log(uvicorn(before, "src.main:app"), work / "base.log")
    quiet_settings = {**settings, "METRICS_PORT": str(free_port())}  # ACCESS_LOG=false
    with (
        serve("on", on_command, head, **settings, ACCESS_LOG="true") as on,
        serve("quiet", uvicorn(head, "src.main:app"), head, **quiet_settings) as quiet,
        serve("off", uvicorn(head, "layer_off:app"), head, **old_settings) as off,
        serve("default", default_command, head, **old_settings, ACCESS_LOG="true") as default,
        serve("base", base_command, before, **old_settings) as base,
    ):
        seed(on.base)
        servers = (("on", on), ("quiet", quiet), ("off", off), ("default", default), ("base", base))
        runs = {
            f"{path}/{name}": (server, path, None)
            for path in ("/health", "/posts")
            for name, server in servers
        }
        warm_up(runs)
        loads: dict[str, Load] = alternate(runs, seconds, clients)
    figures["load"] = {name: load.__dict__ for name, load in loads.items()}
    figures["access_log_lines"] = sum(1 for _ in (work / "access.log").open())
    print(json.dumps(figures, indent=2))
    for path in ("/health", "/posts"):
        off = loads[f"{path}/off"]
        print(f"{path}: off {off.rps:.0f} req/s ({off.cpu_us:.0f} us CPU/req)")
        for name in ("on", "quiet"):
            load = loads[f"{path}/{name}"]
            fewer, costlier = 1 - load.rps / off.rps, load.cpu_us / off.cpu_us - 1
            print(
                f"  {name}: {load.rps:.0f} req/s ({load.cpu_us:.0f} us CPU/req): "
                f"throughput {fewer:.1%} lower, CPU/req {costlier:.1%} higher"
            )
        default, base = loads[f"{path}/default"], loads[f"{path}/base"]
        print(
            f"  upgrade, both as deployed: {default.rps:.0f} req/s against {base.rps:.0f} "
            f"before the layer ({default.rps / base.rps:.2f}x), CPU/req "
            f"{default.cpu_us:.0f} against {base.cpu_us:.0f} us"
        )
    head_s, base_s = figures["cold_start_s_head"], figures["cold_start_s_base"]
    print(f"cold start: {head_s:.2f} s, before the layer {base_s:.2f} s")


if __name__ == "__main__":
    typer.run(main)
