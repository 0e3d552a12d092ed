"""Benchmark the rendered backend side by side with hand-written apps, in one run.

    uv run python bench/run.py            # prints the table, writes bench/results.json

Renders three projects (the default answers; auth=none on SQLite; auth=none with
database=postgresql), installs them and starts real uvicorn processes on 127.0.0.1,
driven by wrk:
- the posts routes against raw-driver ceilings (bench/ceiling_aiosqlite.py and
  bench/ceiling_asyncpg.py: same FastAPI, same validation, same rows, same flags) on an
  SQLite file and on a PostgreSQL database created for the run (BENCH_POSTGRES,
  user:password@host:port) and dropped after it. auth=none: the ceilings have no users,
  so the posts have no owners either (ownership adds two statements to a PATCH);
- /health, event-loop lag, cold start and memory against a minimal app
  (bench/minimal_app.py);
- /health p99 idle and while 20 clients log in (Argon2), on the default render.
Every figure that matters is a ratio measured in this run, the apps measured in
alternation. Every process started here is stopped by its PID.
"""

import http.client
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SECRET = "b" * 48
ROUNDS = 3  # alternating rounds of each throughput measurement
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres:postgres@127.0.0.1:5432")
TICKS = os.sysconf("SC_CLK_TCK")  # units of utime and stime in /proc/<pid>/stat


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def env(**extra: str) -> dict[str, str]:
    # Bytecode is cached as on a developer's machine (some CI images turn that off, and
    # every start would then compile copier, FastAPI and SQLAlchemy from source).
    drop = {"VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return {**base, **extra}


def check(*command: str | Path, cwd: Path, extra: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env(**extra or {}), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, command))} failed:\n{result.stderr}")
    return result.stdout


def get(url: str, data: bytes | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return int(response.status)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    started_in: float

    @property
    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024

    @property
    def cpu_s(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 onwards
        return (int(fields[11]) + int(fields[12])) / TICKS


@contextmanager
def serve(name: str, command: list[str | Path], cwd: Path, **extra: str) -> Iterator[Server]:
    """Start a server on a free port, wait for its first 200, stop it by PID afterwards."""
    port = free_port()
    argv = [str(c).replace("{port}", str(port)) for c in command]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=cwd, env=env(**extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = started + 60
        while True:
            if process.poll() is not None:
                sys.exit(f"error: {name} exited: {process.stderr.read().decode()[-2000:]}")
            if time.perf_counter() > deadline:
                sys.exit(f"error: {name} did not answer within 60 s")
            try:
                if get(base + "/health") == 200:
                    break
            except OSError:
                time.sleep(0.005)  # poll interval of the start-up probe
        yield Server(name, process, base, time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0
    cpu_us: float = 0.0  # server CPU per request completed


def parse_wrk(output: str) -> Load:
    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*?timeout (\d+)", output)
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=(int(errors.group(1)) if errors else 0)
        + (int(socket_errors.group(1)) if socket_errors else 0),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
    )


def wrk(
    url: str, seconds: int, connections: int, threads: int = 2, script: Path | None = None
) -> subprocess.Popen[str]:
    """wrk against `url`; `script` (a wrk Lua file) sets the method, body and path."""
    threads = min(threads, connections)
    return subprocess.Popen(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            *(["--script", str(script)] if script else []),
            url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def post_script(path: Path, payload: dict[str, Any]) -> Path:
    """A wrk Lua script that POSTs `payload` as JSON."""
    body = json.dumps(json.dumps(payload))  # a Lua string literal holding the JSON
    path.write_text(
        f'wrk.method = "POST"\nwrk.body = {body}\n'
        'wrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    return path


def login_script(path: Path, email: str, password: str) -> Path:
    """A wrk Lua script that logs in at /auth/token (the OAuth2 password form)."""
    form = urllib.parse.urlencode({"username": email, "password": password})
    path.write_text(
        f'wrk.method = "POST"\nwrk.body = "{form}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n',
        encoding="utf-8",
    )
    return path


def patch_script(path: Path, payload: dict[str, Any], ids: int) -> Path:
    """A wrk Lua script that PATCHes `payload` to /posts/1 .. /posts/<ids>, in turn."""
    body = json.dumps(json.dumps(payload))
    path.write_text(
        f'wrk.method = "PATCH"\nwrk.body = {body}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f'  return wrk.format(nil, "/posts/" .. (n % {ids} + 1))\n'
        "end\n",
        encoding="utf-8",
    )
    return path


def measure(
    url: str,
    seconds: int,
    connections: int,
    script: Path | None = None,
    server: "Server | None" = None,
) -> Load:
    """One wrk run; with `server`, also the CPU its process spent per request."""
    cpu_before = server.cpu_s if server else 0.0
    process = wrk(url, seconds, connections, script=script)
    output, _ = process.communicate()
    load = parse_wrk(output)
    if server and load.requests:
        load.cpu_us = (server.cpu_s - cpu_before) / load.requests * 1e6
    return load


def probe(base: str, seconds: float, interval: float = 0.02) -> Load:
    """Event-loop lag as a client sees it: GET /health every 20 ms, one at a time.

    A blocked loop delays the probe by however long it stays blocked; the request
    in flight when the window closes is waited for, so no stall goes unseen.
    """
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    try:
        while time.perf_counter() < end:
            started = time.perf_counter()
            connection.request("GET", "/health")
            connection.getresponse().read()
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(max(0.0, interval - (time.perf_counter() - started)))  # pacing, not sync
    finally:
        connection.close()
    return Load(
        rps=len(latencies) / seconds,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        errors=0,
    )


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: defined even for the few samples a blocked loop allows."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def probe_under_load(
    base: str, load_url: str, seconds: int, clients: int, script: Path | None = None
) -> Load:
    """The probe's latency while `clients` call `load_url` back to back."""
    return probe_beside_load(base, load_url, seconds, clients, script)[0]


def probe_beside_load(
    base: str, load_url: str, seconds: int, clients: int, script: Path | None = None
) -> tuple[Load, Load]:
    """The probe's latency while `clients` call `load_url`, and that load's own figures."""
    background = wrk(load_url, seconds + 2, clients, script=script)
    try:
        time.sleep(1)  # let the load ramp up before the probe window opens
        return probe(base, seconds), parse_wrk(background.communicate()[0])
    finally:
        if background.poll() is None:
            background.communicate()


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL
        )
    if not shutil.which("wrk"):
        sys.exit(
            "error: wrk is not installed: `apt-get install wrk` (Debian) or `brew install wrk`"
        )


def timed(*command: str | Path, cwd: Path) -> float:
    started = time.perf_counter()
    check(*command, cwd=cwd)
    return time.perf_counter() - started


def uvicorn(backend: Path, target: str) -> list[str | Path]:
    """The same server command for every app: one worker, no access log."""
    return [
        backend / ".venv" / "bin" / "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--no-access-log",
        "--log-level",
        "warning",
        target,
    ]


def production(database_url: str, **extra: str) -> dict[str, str]:
    """The rendered app's environment: production settings, as it would be deployed."""
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET,
        "ASYNCIO_DEBUG": "false",
        "ALLOW_SQLITE_IN_PRODUCTION": "true",  # production refuses SQLite otherwise
        "DATABASE_URL": database_url,
        # No access lines, as the ceilings and the minimal app (whose uvicorn runs with
        # --no-access-log); the app writes its own, and stderr is a pipe nobody reads.
        "ACCESS_LOG": "false",
        **extra,
    }


def seed(base: str, rows: int = 50) -> None:
    """The rows every list returns and every PATCH changes: ids 1 to `rows`."""
    text = "word " * 20
    for n in range(rows):
        get(base + "/posts", json.dumps({"name": f"Post {n}", "description": text}).encode())


def same_rows(*servers: Server) -> None:
    """Every app lists the same 50 rows (ids and names) before any figure is taken."""
    pages = []
    for server in servers:
        with urllib.request.urlopen(server.base + "/posts", timeout=30) as response:  # noqa: S310
            pages.append([(row["id"], row["name"]) for row in json.load(response)])
    if len(pages[0]) != 50 or any(page != pages[0] for page in pages):
        sys.exit(f"error: the apps do not list the same 50 rows: {pages}")


Run = tuple[Server, str, Path | None]  # server, path, wrk script


def alternate(runs: dict[str, Run], seconds: int, clients: int) -> dict[str, Load]:
    """Each run ROUNDS times, in turn, so a slow moment of the machine hits all of them.

    Returns the median run of each (its own latencies) with the median CPU per request.
    """
    samples: dict[str, list[Load]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, (server, path, script) in runs.items():
            samples[name].append(measure(server.base + path, seconds, clients, script, server))
    result = {}
    for name, loads in samples.items():
        middle = sorted(loads, key=lambda load: load.rps)[len(loads) // 2]
        middle.cpu_us = statistics.median(load.cpu_us for load in loads)
        middle.errors = sum(load.errors for load in loads)
        result[name] = middle
    return result


def posts_runs(rendered: Server, ceiling: Server, post: Path, patch: Path) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    for kind, script in (("list", None), ("post", post), ("patch", patch)):
        runs[f"{kind}/rendered"] = (rendered, "/posts", script)
        runs[f"{kind}/ceiling"] = (ceiling, "/posts", script)
    return runs


def warm_up(runs: dict[str, Run]) -> None:
    """Imports, pools, prepared statements and worker processes, before any figure."""
    for server, path, script in runs.values():
        measure(server.base + path, 1, 4, script=script)


def store(figures: dict[str, Any], loads: dict[str, Load]) -> None:
    for name, load in loads.items():
        kind, app = name.split("/")
        figures.setdefault(kind, {})[app] = load.__dict__


def main(
    output: Annotated[Path, typer.Option(help="Where to write every figure.")] = BENCH
    / "results.json",
    seconds: Annotated[int, typer.Option(help="Duration of each load run.")] = 3,
    clients: Annotated[int, typer.Option(help="Concurrent clients of the load runs.")] = 50,
) -> None:
    ensure_wrk()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    figures: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "load": {"seconds": seconds, "clients": clients, "rounds": ROUNDS},
    }
    copier = ("uv", "run", "--project", ROOT, "copier", "copy", "--defaults", "--vcs-ref", "HEAD")
    database = f"bench_{os.getpid()}"  # the PostgreSQL database of this run
    try:
        # Render time, after one untimed render (copier's bytecode, uv's cache).
        check(*copier, "--skip-tasks", ROOT, work / "warm-up", cwd=work)
        figures["render_s_without_tasks"] = timed(
            *copier, "--skip-tasks", ROOT, work / "a", cwd=work
        )
        figures["render_s_with_tasks"] = timed(*copier, "--trust", ROOT, work / "b", cwd=work)
        no_auth, postgresql = ("--data", "auth=none"), ("--data", "database=postgresql")
        check(*copier, "--trust", *no_auth, ROOT, work / "s", cwd=work)
        check(*copier, "--trust", *no_auth, *postgresql, ROOT, work / "c", cwd=work)
        default, sqlite, postgres = (work / name / "backend" for name in ("b", "s", "c"))
        # The dev group brings asgi-lifespan, for the in-process count of SQLite trips.
        check("uv", "sync", "--frozen", "--quiet", cwd=sqlite)
        check("uv", "sync", "--frozen", "--no-dev", "--quiet", cwd=postgres)
        check("uv", "sync", "--frozen", "--no-dev", "--quiet", cwd=default)
        figures["python"] = check(  # the servers' Python, not this script's
            sqlite / ".venv" / "bin" / "python",
            "-c",
            "import sys; print(sys.version.split()[0])",
            cwd=sqlite,
        ).strip()
        for name in ("minimal_app.py", "ceiling_aiosqlite.py", "sqlite_trips.py"):
            shutil.copy(BENCH / name, sqlite / name)
        for name in ("ceiling_asyncpg.py", "pg_admin.py"):
            shutil.copy(BENCH / name, postgres / name)
        upstream_port = free_port()
        upstream = subprocess.Popen([sys.executable, BENCH / "upstream.py", str(upstream_port)])
        try:
            run_sqlite(figures, sqlite, f"http://127.0.0.1:{upstream_port}", seconds, clients)
            run_logins(figures, default, f"http://127.0.0.1:{upstream_port}", seconds)
            pg_admin = (postgres / ".venv" / "bin" / "python", "pg_admin.py")
            check(*pg_admin, "create", database, cwd=postgres)
            try:
                run_postgresql(figures, postgres, database, seconds, clients)
            finally:
                subprocess.run([*pg_admin, "drop", database], cwd=postgres, check=False)
        finally:
            upstream.terminate()
            upstream.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["run_s"] = time.perf_counter() - started
    output.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures)
    print(f"\nAll figures: {output}")


def run_sqlite(
    figures: dict[str, Any], backend: Path, upstream_url: str, seconds: int, clients: int
) -> None:
    database_file = backend / "app.db"
    rendered_env = production(
        f"sqlite+aiosqlite:///{database_file}", EXCHANGE_RATES_API_URL=upstream_url
    )
    check(backend / ".venv" / "bin" / "alembic", "upgrade", "head", cwd=backend, extra=rendered_env)
    minimal_env = {
        "BENCH_DATABASE_URL": rendered_env["DATABASE_URL"],
        "BENCH_UPSTREAM_URL": upstream_url,
    }
    apps = {
        "rendered": (uvicorn(backend, "src.main:app"), rendered_env),
        "minimal": (uvicorn(backend, "minimal_app:app"), minimal_env),
    }
    # Cold start: process start to first 200 on /health, three starts each, alternating.
    starts: dict[str, list[float]] = {"rendered": [], "minimal": []}
    for _ in range(3):
        for name, (command, extra) in apps.items():
            with serve(name, command, backend, **extra) as server:
                starts[name].append(server.started_in)
    for name, values in starts.items():
        figures[f"cold_start_s_{name}"] = statistics.median(values)

    ceiling_command = uvicorn(backend, "ceiling_aiosqlite:app")
    with (
        serve("rendered", *apps["rendered"][:1], backend, **rendered_env) as rendered,
        serve("minimal", *apps["minimal"][:1], backend, **minimal_env) as minimal,
        serve("ceiling", ceiling_command, backend, BENCH_SQLITE_PATH=str(database_file)) as ceiling,
    ):
        seed(rendered.base)
        same_rows(rendered, ceiling)
        post = post_script(backend / ".bench-post.lua", {"name": "Bench", "description": "text"})
        patch = patch_script(backend / ".bench-patch.lua", {"name": "Patched"}, ids=50)
        # The CPU work: word statistics of a 100 kB text, sent with every request.
        big = " ".join(f"w{i % 5000}" for i in range(16_000))[:100_000]
        cpu_script = post_script(backend / ".bench-text-stats.lua", {"text": big})
        runs: dict[str, Run] = {
            "health/rendered": (rendered, "/health", None),
            "health/minimal": (minimal, "/health", None),
            **posts_runs(rendered, ceiling, post, patch),
        }
        warm_up(
            {
                **runs,
                "sdk": (rendered, "/exchange-rates/EUR", None),
                "cpu/rendered": (rendered, "/text-stats", cpu_script),
                "cpu/minimal": (minimal, "/text-stats-inline", cpu_script),
            }
        )
        loads = alternate(runs, seconds, clients)
        figures["health_rendered"] = loads.pop("health/rendered").__dict__
        figures["health_minimal"] = loads.pop("health/minimal").__dict__
        store(figures.setdefault("sqlite", {}), loads)
        # Event-loop health around a 100 ms blocking SDK call.
        figures["loop_idle_rendered"] = probe(rendered.base, seconds).__dict__
        figures["loop_idle_minimal"] = probe(minimal.base, seconds).__dict__
        figures["loop_sdk_rendered"] = probe_under_load(
            rendered.base, rendered.base + "/exchange-rates/EUR", seconds, clients
        ).__dict__
        figures["loop_sdk_wrong"] = probe_under_load(
            minimal.base, minimal.base + "/exchange-rates-wrong/EUR", seconds, clients
        ).__dict__
        # CPU work: process helper against the same work inline.
        cpu_clients = 4
        figures["loop_cpu_rendered"] = probe_under_load(
            rendered.base, rendered.base + "/text-stats", seconds, cpu_clients, cpu_script
        ).__dict__
        figures["loop_cpu_inline"] = probe_under_load(
            minimal.base, minimal.base + "/text-stats-inline", seconds, cpu_clients, cpu_script
        ).__dict__
        # Resident memory of each server process after the runs above.
        figures["rss_mib_rendered"] = rendered.rss_mib
        figures["rss_mib_minimal"] = minimal.rss_mib
        figures["rss_mib_ceiling_sqlite"] = ceiling.rss_mib
    # Trips to the connection's thread, counted in the driver, the apps in process.
    python = backend / ".venv" / "bin" / "python"
    figures["sqlite"]["trips"] = {
        name: json.loads(check(python, "sqlite_trips.py", target, "50", cwd=backend, extra=extra))
        for name, target, extra in (
            ("rendered", "src.main:app", rendered_env),
            ("ceiling", "ceiling_aiosqlite:app", {"BENCH_SQLITE_PATH": str(database_file)}),
        )
    }


LOGIN_CLIENTS = 20


def run_logins(figures: dict[str, Any], backend: Path, upstream_url: str, seconds: int) -> None:
    """/health p99 idle and while LOGIN_CLIENTS log in back to back, in alternation.

    Argon2 verification is CPU work (~50 ms a login): it runs in the password budget's
    threads, so the event loop should keep answering /health.
    """
    rendered_env = production(
        f"sqlite+aiosqlite:///{backend / 'app.db'}", EXCHANGE_RATES_API_URL=upstream_url
    )
    check(backend / ".venv" / "bin" / "alembic", "upgrade", "head", cwd=backend, extra=rendered_env)
    email, password = "bench@example.com", "correct horse battery staple"
    account = json.dumps({"email": email, "password": password}).encode()
    script = login_script(backend / ".bench-login.lua", email, password)
    idle: list[Load] = []
    busy: list[tuple[Load, Load]] = []
    with serve("rendered", uvicorn(backend, "src.main:app"), backend, **rendered_env) as server:
        get(server.base + "/auth/register", account)
        measure(server.base + "/auth/token", 1, 4, script=script)  # warm up: threads, hashes
        for _ in range(ROUNDS):
            idle.append(probe(server.base, seconds))
            busy.append(
                probe_beside_load(
                    server.base, server.base + "/auth/token", seconds, LOGIN_CLIENTS, script
                )
            )
    figures["loop_idle_auth"] = sorted(idle, key=lambda load: load.p99_ms)[ROUNDS // 2].__dict__
    probes, logins = zip(*sorted(busy, key=lambda pair: pair[0].p99_ms), strict=True)
    figures["loop_logins"] = probes[ROUNDS // 2].__dict__
    figures["logins"] = logins[ROUNDS // 2].__dict__


def run_postgresql(
    figures: dict[str, Any], backend: Path, database: str, seconds: int, clients: int
) -> None:
    python = backend / ".venv" / "bin" / "python"
    rendered_env = production(f"postgresql+asyncpg://{POSTGRES}/{database}")
    check(backend / ".venv" / "bin" / "alembic", "upgrade", "head", cwd=backend, extra=rendered_env)
    pool_size = check(
        python,
        "-c",
        "from src.config import get_settings; s = get_settings();"
        " print(s.DATABASE_POOL_SIZE + s.DATABASE_MAX_OVERFLOW)",
        cwd=backend,
        extra=rendered_env,
    ).strip()
    apps = {
        "rendered": (uvicorn(backend, "src.main:app"), rendered_env),
        "ceiling": (
            uvicorn(backend, "ceiling_asyncpg:app"),
            {
                "BENCH_DATABASE_URL": f"postgresql://{POSTGRES}/{database}",
                "BENCH_POOL_SIZE": pool_size,  # the same number of connections at most
            },
        ),
    }
    results: dict[str, Any] = figures.setdefault("postgresql", {"pool_size": int(pool_size)})
    # Statements per request, from the server's log: log_statement is read when a
    # connection opens, so these servers log and the ones of the load runs do not.
    pg_admin = (python, "pg_admin.py")
    check(*pg_admin, "log", database, "on", cwd=backend)
    try:
        with (
            serve("rendered", apps["rendered"][0], backend, **apps["rendered"][1]) as rendered,
            serve("ceiling", apps["ceiling"][0], backend, **apps["ceiling"][1]) as ceiling,
        ):
            seed(rendered.base)
            results["statements"] = {
                name: json.loads(
                    check(*pg_admin, "count", database, server.base, "20", cwd=backend)
                )
                for name, server in (("rendered", rendered), ("ceiling", ceiling))
            }
    finally:
        check(*pg_admin, "log", database, "off", cwd=backend)
    with (
        serve("rendered", apps["rendered"][0], backend, **apps["rendered"][1]) as rendered,
        serve("ceiling", apps["ceiling"][0], backend, **apps["ceiling"][1]) as ceiling,
    ):
        same_rows(rendered, ceiling)
        post = post_script(backend / ".bench-post.lua", {"name": "Bench", "description": "text"})
        patch = patch_script(backend / ".bench-patch.lua", {"name": "Patched"}, ids=50)
        runs = posts_runs(rendered, ceiling, post, patch)
        warm_up(runs)
        store(results, alternate(runs, seconds, clients))
        figures["rss_mib_rendered_postgresql"] = rendered.rss_mib
        figures["rss_mib_ceiling_postgresql"] = ceiling.rss_mib


Row = tuple[str, str, str, str, str, str]


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def shown(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "n/a"


def met(value: float | None, at_least: float | None = None, at_most: float | None = None) -> str:
    if value is None:
        return "n/a"
    ok = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    return "yes" if ok else "NO"


def database_rows(name: str, d: dict[str, Any], trips_label: str, trips_key: str) -> list[Row]:
    rows: list[Row] = []
    for kind, label in (("list", "list-50"), ("post", "POST"), ("patch", "PATCH")):
        r, c = d[kind]["rendered"], d[kind]["ceiling"]
        x = ratio(r["rps"], c["rps"])
        rows.append(
            (
                f"{name} {label} req/s",
                f"{r['rps']:.0f}",
                f"{c['rps']:.0f}",
                shown(x),
                ">= 0.6x",
                met(x, at_least=0.6),
            )
        )
        if kind == "list":
            x = ratio(r["p99_ms"], c["p99_ms"])
            rows.append(
                (
                    "   list p50 / p99 ms",
                    f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}",
                    f"{c['p50_ms']:.1f} / {c['p99_ms']:.1f}",
                    f"p99 {shown(x)}",
                    "p99 <= 2x",
                    met(x, at_most=2.0),
                )
            )
    kinds = ("list", "post", "patch")
    rows.append(
        (
            "   CPU us/request list/POST/PATCH",
            " / ".join(f"{d[k]['rendered']['cpu_us']:.0f}" for k in kinds),
            " / ".join(f"{d[k]['ceiling']['cpu_us']:.0f}" for k in kinds),
            " / ".join(
                shown(ratio(d[k]["rendered"]["cpu_us"], d[k]["ceiling"]["cpu_us"])) for k in kinds
            ),
            "",
            "",
        )
    )
    counts = d.get(trips_key, {})
    error = counts.get("rendered", {}).get("error") or counts.get("ceiling", {}).get("error")
    if error or not counts:
        rows.append((f"   {trips_label}", "n/a", "n/a", "", "", error or "not measured"))
    else:
        rows.append(
            (
                f"   {trips_label}",
                " / ".join(f"{counts['rendered'][k]:g}" for k in kinds),
                " / ".join(f"{counts['ceiling'][k]:g}" for k in kinds),
                "",
                "",
                "",
            )
        )
    return rows


def print_table(f: dict[str, Any]) -> None:
    idle = f["loop_idle_rendered"]["p99_ms"]
    health = ratio(f["health_rendered"]["rps"], f["health_minimal"]["rps"])
    cold = ratio(f["cold_start_s_rendered"], f["cold_start_s_minimal"])
    rss = ratio(f["rss_mib_rendered"], f["rss_mib_minimal"])
    sdk = ratio(f["loop_sdk_rendered"]["p99_ms"], idle)
    sdk_better = ratio(f["loop_sdk_wrong"]["p99_ms"], f["loop_sdk_rendered"]["p99_ms"])
    cpu = ratio(f["loop_cpu_rendered"]["p99_ms"], idle)
    logins = ratio(f["loop_logins"]["p99_ms"], f["loop_idle_auth"]["p99_ms"])
    rows: list[Row] = [
        *database_rows("SQLite", f["sqlite"], "thread trips/request list/POST/PATCH", "trips"),
        *database_rows(
            "PostgreSQL",
            f["postgresql"],
            "statements/request list/POST/PATCH",
            "statements",
        ),
        (
            "/health req/s (vs minimal app)",
            f"{f['health_rendered']['rps']:.0f}",
            f"{f['health_minimal']['rps']:.0f}",
            shown(health),
            ">= 0.9x",
            met(health, 0.9),
        ),
        (
            "   /health CPU us/request",
            f"{f['health_rendered']['cpu_us']:.0f}",
            f"{f['health_minimal']['cpu_us']:.0f}",
            shown(ratio(f["health_rendered"]["cpu_us"], f["health_minimal"]["cpu_us"])),
            "",
            "",
        ),
        (
            "/health p99 ms, 50 clients on SDK route",
            f"{f['loop_sdk_rendered']['p99_ms']:.1f}",
            f"{f['loop_sdk_wrong']['p99_ms']:.1f} (async+blocking)",
            f"{shown(sdk)} idle, {shown(sdk_better)} better",
            "<= 3x idle, >= 100x better",
            "yes" if met(sdk, at_most=3) == met(sdk_better, 100) == "yes" else "NO",
        ),
        (
            "/health p99 ms, clients on CPU route",
            f"{f['loop_cpu_rendered']['p99_ms']:.1f}",
            f"{f['loop_cpu_inline']['p99_ms']:.1f} (inline)",
            f"{shown(cpu)} idle",
            "<= 3x idle",
            met(cpu, at_most=3),
        ),
        (
            "   idle /health p99 ms",
            f"{idle:.2f}",
            f"{f['loop_idle_minimal']['p99_ms']:.2f}",
            "",
            "",
            "",
        ),
        (
            f"/health p99 ms, {LOGIN_CLIENTS} clients logging in",
            f"{f['loop_logins']['p99_ms']:.1f}",
            f"{f['loop_idle_auth']['p99_ms']:.1f} (idle)",
            f"{shown(logins)} idle",
            "",
            "",
        ),
        (
            "   logins/s (errors)",
            f"{f['logins']['rps']:.1f} ({f['logins']['errors']})",
            "",
            "",
            "",
            "",
        ),
        (
            "cold start s (vs minimal app)",
            f"{f['cold_start_s_rendered']:.2f}",
            f"{f['cold_start_s_minimal']:.2f}",
            shown(cold),
            "<= 1.3x",
            met(cold, at_most=1.3),
        ),
        (
            "RSS per worker MiB (vs minimal app)",
            f"{f['rss_mib_rendered']:.0f}",
            f"{f['rss_mib_minimal']:.0f}",
            shown(rss),
            "<= 1.3x",
            met(rss, at_most=1.3),
        ),
        (
            "render s (no tasks / with tasks)",
            f"{f['render_s_without_tasks']:.2f} / {f['render_s_with_tasks']:.2f}",
            "",
            "",
            "< 2 s no tasks",
            met(f["render_s_without_tasks"], at_most=2),
        ),
    ]
    header = ("figure", "rendered", "ceiling / minimal", "ratio", "target", "met")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(6)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    failed = [
        f"{db} {kind} {app}: {load['errors']}"
        for db in ("sqlite", "postgresql")
        for kind in ("list", "post", "patch")
        for app, load in f[db][kind].items()
        if load["errors"]
    ]
    if failed:
        print("\nNon-2xx answers or timeouts (all rounds): " + ", ".join(failed))
    load = f["load"]
    print(
        f"\nCeilings: bench/ceiling_aiosqlite.py (one connection), bench/ceiling_asyncpg.py "
        f"(pool of {f['postgresql']['pool_size']}, as the rendered app). Load runs: "
        f"{load['seconds']} s, {load['clients']} clients, median of {load['rounds']} rounds "
        f"in alternation.\n{f['machine']}, Python {f['python']}; run took {f['run_s']:.0f} s."
    )


if __name__ == "__main__":
    typer.run(main)
