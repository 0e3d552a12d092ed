"""Benchmark the rendered backend side by side with a minimal hand-written app.

    uv run python bench/run.py            # prints the table, writes bench/results.json

Renders a project with the default answers, installs it, starts real uvicorn
processes on 127.0.0.1 (same FastAPI, same flags, same SQLite file for both apps)
and drives them with wrk. Every figure that matters is a ratio measured in this
run. Every process started here is stopped by its PID.
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


def check(*command: str | Path, cwd: Path, **kwargs: Any) -> str:
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env(), capture_output=True, text=True, **kwargs
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
    )


def wrk(
    url: str, seconds: int, connections: int, threads: int = 2, script: Path | None = None
) -> subprocess.Popen[str]:
    """wrk against `url`; `script` (a wrk Lua file) makes its requests POSTs with a body."""
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


def measure(url: str, seconds: int, connections: int, script: Path | None = None) -> Load:
    process = wrk(url, seconds, connections, script=script)
    output, _ = process.communicate()
    return parse_wrk(output)


def median_load(loads: list[Load]) -> Load:
    """The run with the median throughput, with its own latencies."""
    return sorted(loads, key=lambda load: load.rps)[len(loads) // 2]


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
    background = wrk(load_url, seconds + 2, clients, script=script)
    try:
        time.sleep(1)  # let the load ramp up before the probe window opens
        return probe(base, seconds)
    finally:
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


def main(
    output: Annotated[Path, typer.Option(help="Where to write every figure.")] = BENCH
    / "results.json",
    seconds: Annotated[int, typer.Option(help="Duration of each load run.")] = 5,
    clients: Annotated[int, typer.Option(help="Concurrent clients of the load runs.")] = 50,
) -> None:
    ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    figures: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
    }
    copier = ("uv", "run", "--project", ROOT, "copier", "copy", "--defaults", "--vcs-ref", "HEAD")
    try:
        # 6. Render time, after one untimed render (copier's bytecode, uv's cache).
        check(*copier, "--skip-tasks", ROOT, work / "warm-up", cwd=work)
        figures["render_s_without_tasks"] = timed(
            *copier, "--skip-tasks", ROOT, work / "a", cwd=work
        )
        figures["render_s_with_tasks"] = timed(*copier, "--trust", ROOT, work / "b", cwd=work)
        backend = work / "b" / "backend"
        check("uv", "sync", "--frozen", "--no-dev", "--quiet", cwd=backend)
        check("uv", "run", "--frozen", "--no-dev", "alembic", "upgrade", "head", cwd=backend)
        shutil.copy(BENCH / "minimal_app.py", backend / "minimal_app.py")
        uvicorn = [
            backend / ".venv" / "bin" / "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        upstream_port = free_port()
        upstream = subprocess.Popen([sys.executable, BENCH / "upstream.py", str(upstream_port)])
        upstream_url = f"http://127.0.0.1:{upstream_port}"
        database_url = f"sqlite+aiosqlite:///{backend / 'app.db'}"
        rendered_env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": SECRET,
            "ASYNCIO_DEBUG": "false",
            "ALLOW_SQLITE_IN_PRODUCTION": "true",  # production refuses SQLite otherwise
            "EXCHANGE_RATES_API_URL": upstream_url,
        }
        minimal_env = {"BENCH_DATABASE_URL": database_url, "BENCH_UPSTREAM_URL": upstream_url}
        apps = {
            "rendered": ([*uvicorn, "src.main:app"], rendered_env),
            "minimal": ([*uvicorn, "minimal_app:app"], minimal_env),
        }
        try:
            run_all(figures, apps, backend, seconds, clients)
        finally:
            upstream.terminate()
            upstream.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    output.write_text(json.dumps(figures, indent=2) + "\n")
    print_table(figures)
    print(f"\nAll figures: {output}")


def run_all(
    figures: dict[str, Any], apps: dict[str, Any], backend: Path, seconds: int, clients: int
) -> None:
    # 5. Cold start: process start to first 200 on /health, three starts each, alternating.
    starts: dict[str, list[float]] = {"rendered": [], "minimal": []}
    for _ in range(3):
        for name, (command, extra) in apps.items():
            with serve(name, command, backend, **extra) as server:
                starts[name].append(server.started_in)
    for name, values in starts.items():
        figures[f"cold_start_s_{name}"] = statistics.median(values)

    with (
        serve("rendered", *apps["rendered"][:1], backend, **apps["rendered"][1]) as rendered,
        serve("minimal", *apps["minimal"][:1], backend, **apps["minimal"][1]) as minimal,
    ):
        text = "word " * 20
        for n in range(50):
            row = {"name": f"Post {n}", "description": text}
            get(rendered.base + "/posts", json.dumps(row).encode())
        # The CPU work: word statistics of a 100 kB text, sent with every request.
        big = " ".join(f"w{i % 5000}" for i in range(16_000))[:100_000]
        cpu_script = post_script(backend / ".bench-text-stats.lua", {"text": big})
        for server, paths, cpu_path in (
            (rendered, ["/health", "/posts", "/exchange-rates/EUR"], "/text-stats"),
            (minimal, ["/health", "/posts", "/posts-jsonable"], "/text-stats-inline"),
        ):
            for path in paths:  # warm-up: imports, pools, worker processes
                measure(server.base + path, 1, 4)
            measure(server.base + cpu_path, 1, 4, script=cpu_script)

        # 1 and 2: throughput, the apps measured in alternation (median of ROUNDS each),
        # so a slow moment of the machine does not land on one side only.
        runs = {
            "health_rendered": rendered.base + "/health",
            "health_minimal": minimal.base + "/health",
            "posts_rendered": rendered.base + "/posts",
            "posts_minimal": minimal.base + "/posts",
            "posts_minimal_jsonable": minimal.base + "/posts-jsonable",
        }
        samples: dict[str, list[Load]] = {name: [] for name in runs}
        for _ in range(ROUNDS):
            for name, url in runs.items():
                samples[name].append(measure(url, seconds, clients))
        for name, loads in samples.items():
            figures[name] = median_load(loads).__dict__
        # 3. Event-loop health around a 100 ms blocking SDK call.
        figures["loop_idle_rendered"] = probe(rendered.base, seconds).__dict__
        figures["loop_idle_minimal"] = probe(minimal.base, seconds).__dict__
        figures["loop_sdk_rendered"] = probe_under_load(
            rendered.base, rendered.base + "/exchange-rates/EUR", seconds, clients
        ).__dict__
        figures["loop_sdk_wrong"] = probe_under_load(
            minimal.base, minimal.base + "/exchange-rates-wrong/EUR", seconds, clients
        ).__dict__
        # 4. CPU work: process helper against the same work inline.
        cpu_clients = 4
        figures["loop_cpu_rendered"] = probe_under_load(
            rendered.base, rendered.base + "/text-stats", seconds, cpu_clients, cpu_script
        ).__dict__
        figures["loop_cpu_inline"] = probe_under_load(
            minimal.base, minimal.base + "/text-stats-inline", seconds, cpu_clients, cpu_script
        ).__dict__
        # 5. Resident memory of each server process after the runs above.
        figures["rss_mib_rendered"] = rendered.rss_mib
        figures["rss_mib_minimal"] = minimal.rss_mib


def print_table(f: dict[str, Any]) -> None:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    idle = f["loop_idle_rendered"]["p99_ms"]
    rows = [
        (
            "1. /health req/s",
            f"{f['health_rendered']['rps']:.0f}",
            f"{f['health_minimal']['rps']:.0f}",
            ratio(f["health_rendered"]["rps"], f["health_minimal"]["rps"]),
            ">= 0.9",
        ),
        (
            "2. /posts (50 rows) req/s",
            f"{f['posts_rendered']['rps']:.0f}",
            f"{f['posts_minimal']['rps']:.0f} (jsonable: {f['posts_minimal_jsonable']['rps']:.0f})",
            ratio(f["posts_rendered"]["rps"], f["posts_minimal"]["rps"]),
            ">= 0.9",
        ),
        (
            "   /posts p50 / p99 ms",
            f"{f['posts_rendered']['p50_ms']:.1f} / {f['posts_rendered']['p99_ms']:.1f}",
            f"{f['posts_minimal']['p50_ms']:.1f} / {f['posts_minimal']['p99_ms']:.1f}",
            "",
            "",
        ),
        (
            "3. /health p99 ms, 50 clients on SDK route",
            f"{f['loop_sdk_rendered']['p99_ms']:.1f}",
            f"{f['loop_sdk_wrong']['p99_ms']:.1f} (async+blocking)",
            f"{ratio(f['loop_sdk_rendered']['p99_ms'], idle)} idle, "
            f"{ratio(f['loop_sdk_wrong']['p99_ms'], f['loop_sdk_rendered']['p99_ms'])} better",
            "<= 3x idle, >= 100x better",
        ),
        (
            "4. /health p99 ms, clients on CPU route",
            f"{f['loop_cpu_rendered']['p99_ms']:.1f}",
            f"{f['loop_cpu_inline']['p99_ms']:.1f} (inline)",
            f"{ratio(f['loop_cpu_rendered']['p99_ms'], idle)} idle",
            "<= 3x idle",
        ),
        (
            "   idle /health p99 ms",
            f"{idle:.2f}",
            f"{f['loop_idle_minimal']['p99_ms']:.2f}",
            "",
            "",
        ),
        (
            "5. cold start s",
            f"{f['cold_start_s_rendered']:.2f}",
            f"{f['cold_start_s_minimal']:.2f}",
            ratio(f["cold_start_s_rendered"], f["cold_start_s_minimal"]),
            "<= 1.5",
        ),
        (
            "   RSS per worker MiB",
            f"{f['rss_mib_rendered']:.0f}",
            f"{f['rss_mib_minimal']:.0f}",
            ratio(f["rss_mib_rendered"], f["rss_mib_minimal"]),
            "<= 1.5",
        ),
        (
            "6. render s (no tasks / with tasks)",
            f"{f['render_s_without_tasks']:.2f} / {f['render_s_with_tasks']:.2f}",
            "",
            "",
            "< 2 s no tasks",
        ),
    ]
    header = ("figure", "rendered", "minimal app", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"\n{f['machine']}, Python {f['python']}")


if __name__ == "__main__":
    typer.run(main)
