"""Boot the rendered backend as real `fastapi run` processes and talk to them over HTTP.

Each database answer is booted against a real server: SQLite in the project's
directory, PostgreSQL in a database created for the module and dropped after it.
"""

import http.client
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import (
    ANSWER_SETS,
    BOOT_SETS,
    ROOT,
    Project,
    child_pids,
    clean_env,
    free_port,
    log_in,
    postgres_database,
    request,
    run,
    stop,
)

DOCS_URLS = ["/docs", "/redoc", "/openapi.json"]
# Production over the local backend/.env (which turns ASYNCIO_DEBUG on); safe but for SQLite.
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "s" * 48,
    "ASYNCIO_DEBUG": "false",
    "ALLOW_SQLITE_IN_PRODUCTION": "true",
}
UNSAFE_PRODUCTION = [
    ("SECRET_KEY", "", "SECRET_KEY must be set to at least 32 characters in production"),
    ("DATABASE_ECHO", "true", "DATABASE_ECHO must be false in production"),
    ("ASYNCIO_DEBUG", "true", "ASYNCIO_DEBUG must be false in production"),
    ("ALLOW_SQLITE_IN_PRODUCTION", "false", "DATABASE_URL is SQLite in production"),
]

pytestmark = pytest.mark.xdist_group("rendered-defaults")  # shares the default project


@pytest.fixture(scope="module", params=BOOT_SETS)
def project(request: pytest.FixtureRequest, rendered) -> Iterator[Project]:
    """The project with its database migrated (a fresh PostgreSQL database when chosen)."""
    project = rendered(request.param)
    with ExitStack() as stack:
        if project.answers["database"] == "postgresql":
            url = stack.enter_context(postgres_database("boot"))
            project = Project(project.root, project.answers, {**project.env, "DATABASE_URL": url})
        project.check("uv", "run", "--frozen", "alembic", "upgrade", "head")
        yield project


def test_migrations_match_models_and_revert(project: Project) -> None:
    alembic = ("uv", "run", "--frozen", "alembic")
    assert "No new upgrade operations detected" in project.check(*alembic, "check")
    project.check(*alembic, "downgrade", "base")
    assert project.check(*alembic, "current").strip() == ""
    project.check(*alembic, "upgrade", "head")
    current = project.check(*alembic, "current")
    assert ("(head)" in current) == bool(project.answers["modules"])  # no module: no table
    assert "No new upgrade operations detected" in project.check(*alembic, "check")


@contextmanager
def server(project: Project, *args: str, **env: str) -> Iterator[str]:
    """`fastapi run` on a free loopback port; stopped by PID when the block ends."""
    with serving(project, *args, **env) as (base, _):
        yield base


@contextmanager
def serving(
    project: Project, *args: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`server`, giving its process too."""
    port = free_port()
    fastapi = project.backend / ".venv" / "bin" / "fastapi"
    process = subprocess.Popen(
        [fastapi, "run", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=project.backend,
        env=clean_env(**{**project.env, **env}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # poll readiness: the condition, not a fixed delay
            assert process.poll() is None, f"server exited:\n{process.stdout.read()}"
            assert time.monotonic() < deadline, "server did not answer within 60 s"
            try:
                if request(base + "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base, process
    finally:
        stop(process)


def test_local_serves_docs_and_every_module(project: Project) -> None:
    docs = 200 if "local" in project.answers["docs_environments"] else 404
    paths = ["/" + module.replace("_", "-") for module in project.answers["modules"]]
    with server(project, ENVIRONMENT="local") as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [docs, docs, docs]
        created = {}
        # With users (auth=jwt), rows have owners: creating needs a logged-in user.
        user = log_in(base, "boot@example.com") if project.answers["auth"] == "jwt" else {}
        for path in paths:  # each module's own table, through its own routes
            status, body = request(base + path, "POST", {"name": f"{path} over HTTP"}, user)
            assert status == 201, body
            created[path] = json.loads(body)["id"]
            status, body = request(base + path)
            assert status == 200
            assert created[path] in [row["id"] for row in json.loads(body)]
        ready = {"status": "ok", "database": "ok", "process_pool": "ok"}
        if project.answers["task_queue"] == "celery":
            ready["broker"] = "ok"
        status, body = request(base + "/health/ready")
        assert (status, json.loads(body)) == (200, ready)
        status, body = request(base + "/text-stats", "POST", {"text": "a b a"})  # worker process
        if project.answers["include_cpu_example"]:
            assert (status, json.loads(body)["top_words"][0]) == (200, {"word": "a", "count": 2})
        else:
            assert status == 404
    with server(project, ENVIRONMENT="local") as base:  # the rows outlive the process
        for path, row_id in created.items():
            status, body = request(f"{base}{path}/{row_id}")
            assert (status, json.loads(body)["name"]) == (200, f"{path} over HTTP")


def test_production_hides_docs_unless_chosen(project: Project) -> None:
    docs = 200 if "production" in project.answers["docs_environments"] else 404
    with server(project, **PRODUCTION) as base:
        assert [request(base + url)[0] for url in DOCS_URLS] == [docs, docs, docs]
        assert request(base + "/health")[0] == 200


def peak_memory_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])


def test_production_refuses_a_large_body_before_reading_it(project: Project) -> None:
    with serving(project, **PRODUCTION) as (base, process):
        address = urlsplit(base)
        path = "/text-stats" if project.answers["include_cpu_example"] else "/health"
        peak = peak_memory_kib(process.pid)
        started = time.monotonic()
        # Only the headers of a 40 MB body: the answer must come without the body.
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(40 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        assert (response.status, body["code"]) == (413, "request_too_large")
        assert response.getheader("Content-Type") == "application/json"
        if project.answers["include_cpu_example"]:  # a route that reads its body
            # Streamed without a length: refused once over the limit (2 MiB).
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            chunk = b"x" * 65536
            for _ in range(33):  # 64 KiB over the limit
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
            response = connection.getresponse()
            answer = json.loads(response.read())
            connection.close()
            assert (response.status, answer["code"]) == (413, "request_too_large")
        assert time.monotonic() - started < 10
        assert peak_memory_kib(process.pid) - peak < 20 * 1024  # no 40 MB buffer


def test_a_comma_separated_host_list_is_accepted(project: Project) -> None:
    with server(project, **PRODUCTION, ALLOWED_HOSTS="api.example.com, 127.0.0.1") as base:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        for host, status in [("api.example.com", 200), ("localhost", 400)]:
            connection.request("GET", "/health", headers={"Host": host})
            response = connection.getresponse()
            response.read()
            assert response.status == status, host
        connection.close()


BAD_VALUES = [
    ("ALLOWED_HOSTS", '["api.example.com"', "ALLOWED_HOSTS: "),
    ("DOCS_ENVIRONMENTS", "staging,moon", "DOCS_ENVIRONMENTS: "),
    ("MAX_REQUEST_BODY_BYTES", "lots", "MAX_REQUEST_BODY_BYTES: "),
    ("EXCHANGE_RATES_API_URL", "not a url", "EXCHANGE_RATES_API_URL: "),
]


REFUSED = UNSAFE_PRODUCTION + BAD_VALUES


@pytest.mark.parametrize(("name", "value", "line"), REFUSED, ids=[n for n, *_ in REFUSED])
def test_a_bad_or_unsafe_setting_is_refused_in_one_line(
    rendered, name: str, value: str, line: str
) -> None:
    project = rendered("defaults")
    result = project.run(
        project.backend / ".venv" / "bin" / "fastapi",
        "run",
        "--port",
        str(free_port()),
        env=clean_env(**{**PRODUCTION, name: value}),
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith(line), result.stderr
    assert "Traceback" not in result.stderr


# --- Celery: a real worker process and a real API process, on Redis ------------

CELERY_SETS = [name for name in BOOT_SETS if ANSWER_SETS[name].get("task_queue") == "celery"]


@pytest.mark.parametrize("project", CELERY_SETS, indirect=True)
def test_worker_runs_jobs_queued_over_http(project: Project) -> None:
    queue = f"boot-{secrets.token_hex(4)}"  # this test's own queue on the shared Redis
    env = {"ENVIRONMENT": "local", "CELERY_QUEUE": queue}
    celery = project.backend / ".venv" / "bin" / "celery"
    worker = subprocess.Popen(
        [celery, "--app", "src.worker", "worker", "--concurrency=1", f"--hostname={queue}@%h"],
        cwd=project.backend,
        env=clean_env(**{**project.env, **env}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with server(project, **env) as base:
            status, body = request(base + "/jobs/primes", "POST", {"limit": 100_000})
            assert status == 202, body
            job_id = json.loads(body)["id"]
            deadline = time.monotonic() + 90
            while True:  # the job waits in the queue until the worker is up, then runs
                assert worker.poll() is None, f"worker exited:\n{worker.stdout.read()}"
                assert time.monotonic() < deadline, "the job did not finish within 90 s"
                status, body = request(f"{base}/jobs/{job_id}")
                job = json.loads(body)
                assert status == 200, job
                if job["state"] in {"SUCCESS", "FAILURE"}:
                    break
                time.sleep(0.2)
            assert (job["state"], job["result"]["primes"]) == ("SUCCESS", 9592), job
            # The CPU work ran in a process of the worker's pool, not in the API.
            assert job["result"]["pid"] in child_pids(worker.pid)
        ttl = run("redis-cli", "-h", "127.0.0.1", "TTL", f"celery-task-meta-{job_id}", cwd=ROOT)
        assert 0 < int(ttl.stdout) <= 3600, "results are stored with an expiry"
    finally:
        stop(worker)


@pytest.mark.parametrize("project", CELERY_SETS, indirect=True)
def test_an_unreachable_broker_is_503_at_once(project: Project) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {"CELERY_BROKER_URL": dead, "CELERY_RESULT_BACKEND": dead}
    with server(project, ENVIRONMENT="local", **env) as base:
        for path, body in [
            ("/health/ready", None),
            ("/jobs/00000000-0000-4000-8000-000000000000", None),
            ("/jobs/primes", {"limit": 100}),
            ("/jobs/primes", {"limit": 100}),  # the second publish is as quick
        ]:
            started = time.monotonic()
            status, answer = request(base + path, "POST" if body else "GET", body)
            assert (status, json.loads(answer)["code"]) == (503, "broker_unavailable"), path
            assert time.monotonic() - started < 2, path
