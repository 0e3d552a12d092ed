"""How precise `manage check` is on blocking and CPU-heavy code: a corpus of small cases.

Each case is one module, src/<case>/service.py, listed under its expected verdict:
BLOCKS cases must get a finding of a blocking rule on the line marked `# <-`, FINE cases
(look-alikes of correct code) must get none. The test prints precision and recall
and keeps them at recall >= 0.9 and no false positive. Add a case when the checker
misses one or flags correct code.
"""

from pathlib import Path
from textwrap import dedent

from manage.checks import static_findings

BLOCKING_RULES = ("ASYNC", "blocking-call", "blocking-helper", "cpu-bound", "sync-dependency-io")

# Support modules the cases share: the project's helpers, a blocking SDK, a CPU function.
SUPPORT = {
    "src/__init__.py": "",
    "src/concurrency.py": """
        from typing import Any


        class ThreadBudget: ...


        async def run_sync(func: Any, /, *args: Any, budget: ThreadBudget) -> Any: ...


        async def run_in_process(pool: Any, func: Any, /, *args: Any) -> Any: ...
    """,
    "src/sdk/__init__.py": "",
    "src/sdk/client.py": """
        from typing import Any

        import httpx


        class RatesClient:
            def __init__(self, base_url: str) -> None:
                self._http = httpx.Client(base_url=base_url)

            def latest(self, base: str) -> dict[str, Any]:
                return dict(self._http.get("/latest", params={"base": base}).json())
    """,
    "src/sdk/dependencies.py": """
        from typing import Annotated

        from fastapi import Depends, Request

        from src.sdk.client import RatesClient


        async def get_rates_client(request: Request) -> RatesClient:
            client: RatesClient = request.state.rates_client
            return client


        RatesClientDep = Annotated[RatesClient, Depends(get_rates_client)]
    """,
    "src/cpu/__init__.py": "",
    "src/cpu/service.py": """
        from collections import Counter


        def word_counts(text: str) -> Counter[str]:
            return Counter(text.split())
    """,
    "src/cpu/router.py": """
        from typing import Any

        from src.concurrency import run_in_process
        from src.cpu import service as cpu_service


        async def count(pool: Any, text: str) -> Any:
            return await run_in_process(pool, cpu_service.word_counts, text)
    """,
}

# Blocking or CPU-heavy code: each must be found on the line marked `# <-`.
BLOCKS: dict[str, str] = {
    "requests_session_method": """
        import requests

        session = requests.Session()


        async def fetch() -> None:
            session.get("https://example.com")  # <-
    """,
    "requests_get": """
        import requests


        async def fetch() -> None:
            requests.get("https://example.com", timeout=5)  # <-
    """,
    "sqlalchemy_session_execute": """
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session

        engine = create_engine("sqlite://")


        async def count() -> None:
            Session(engine).execute(text("select 1"))  # <-
    """,
    "sqlalchemy_session_in_with": """
        from sqlalchemy import Engine, text
        from sqlalchemy.orm import Session


        async def count(engine: Engine) -> None:
            with Session(engine) as session:
                session.scalars(text("select 1"))  # <-
    """,
    "sqlalchemy_sessionmaker": """
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import sessionmaker

        SessionLocal = sessionmaker(create_engine("sqlite://"))


        async def count() -> None:
            with SessionLocal() as session:
                session.execute(text("select 1"))  # <-
    """,
    "sqlalchemy_session_dependency": """
        from collections.abc import Iterator

        from fastapi import Depends
        from sqlalchemy.orm import Session


        def get_db() -> Iterator[Session]: ...


        async def items(db: Session = Depends(get_db)) -> list[object]:
            return list(db.query(object).all())  # <-
    """,
    "sqlalchemy_engine_connect": """
        import sqlalchemy as sa

        engine = sa.create_engine("sqlite://")


        async def ping() -> None:
            with engine.connect() as connection:  # <-
                connection.execute(sa.text("select 1"))
    """,
    "sdk_client_through_dependency_alias": """
        from src.sdk import dependencies as sdk_dependencies


        async def rates(client: sdk_dependencies.RatesClientDep) -> object:
            return client.latest("EUR")  # <-
    """,
    "sdk_client_annotated": """
        from src.sdk import client as sdk_client


        async def rates(client: "sdk_client.RatesClient | None") -> object:
            assert client is not None
            return client.latest("EUR")  # <-
    """,
    "sdk_client_from_request_state": """
        from fastapi import Request

        from src.sdk import client as sdk_client


        async def rates(request: Request) -> object:
            client: sdk_client.RatesClient = request.state.rates_client
            return client.latest("EUR")  # <-
    """,
    "cpu_function_called_inline": """
        from src.cpu import service as cpu_service


        async def count(text: str) -> int:
            return len(cpu_service.word_counts(text))  # <-
    """,
    "cpu_loop_inline": """
        async def total() -> int:
            return sum(i * i for i in range(10**7))  # <-
    """,
    "cpu_key_derivation": """
        import hashlib


        async def derive(password: bytes, salt: bytes) -> bytes:
            return hashlib.pbkdf2_hmac("sha256", password, salt, 600_000)  # <-
    """,
    "cpu_password_hasher": """
        from pwdlib import PasswordHash

        hasher = PasswordHash.recommended()


        async def register(password: str) -> str:
            return hasher.hash(password)  # <-
    """,
    "cpu_hash_of_upload": """
        import hashlib

        from fastapi import UploadFile


        async def checksum(upload: UploadFile) -> str:
            content = await upload.read()
            return hashlib.sha256(content).hexdigest()  # <-
    """,
    "cpu_compress_body": """
        import zlib

        from fastapi import Request


        async def archive(request: Request) -> bytes:
            return zlib.compress(await request.body())  # <-
    """,
    "sync_dependency_doing_io": """
        import requests
        from fastapi import Depends


        def current_rates() -> object:  # <-
            return requests.get("https://example.com/rates", timeout=5).json()


        async def show(rates: object = Depends(current_rates)) -> object:
            return rates
    """,
    "sync_dependency_in_annotated_alias": """
        from typing import Annotated

        from fastapi import Depends


        def read_key() -> str:  # <-
            with open("key.pem") as file:
                return file.read()


        KeyDep = Annotated[str, Depends(read_key)]
    """,
    "httpx_get": """
        import httpx


        async def fetch() -> None:
            httpx.get("https://example.com")  # <-
    """,
    "httpx_client_method": """
        import httpx


        async def fetch() -> None:
            with httpx.Client() as client:  # <-
                client.get("https://example.com")
    """,
    "module_level_httpx_client": """
        import httpx

        http = httpx.Client(timeout=5)


        async def fetch() -> None:
            http.post("https://example.com", json={})  # <-
    """,
    "urllib_urlopen": """
        from urllib.request import urlopen


        async def fetch() -> bytes:
            return bytes(urlopen("https://example.com").read())  # <-
    """,
    "socket_create_connection": """
        import socket


        async def probe() -> None:
            socket.create_connection(("example.com", 80))  # <-
    """,
    "socket_method": """
        import socket


        async def probe(sock: socket.socket) -> bytes:
            return sock.recv(1024)  # <-
    """,
    "subprocess_run": """
        import subprocess


        async def convert() -> None:
            subprocess.run(["true"], check=True)  # <-
    """,
    "subprocess_popen_wait": """
        from subprocess import Popen


        async def convert(process: Popen[bytes]) -> int:
            return process.wait()  # <-
    """,
    "os_system": """
        import os


        async def convert() -> None:
            os.system("true")  # <-
    """,
    "open_file": """
        async def load() -> str:
            with open("data.txt") as file:  # <-
                return file.read()
    """,
    "path_read_text": """
        from pathlib import Path


        async def load() -> str:
            return Path("data.txt").read_text()  # <-
    """,
    "path_parameter_write": """
        from pathlib import Path


        async def save(target: Path, data: bytes) -> None:
            target.write_bytes(data)  # <-
    """,
    "time_sleep": """
        import time


        async def wait() -> None:
            time.sleep(1)  # <-
    """,
    "sleep_in_helper": """
        import time


        def settle() -> None:
            time.sleep(0.1)


        async def wait() -> None:
            settle()  # <-
    """,
    "sqlite3_connect": """
        import sqlite3


        async def load() -> None:
            sqlite3.connect("app.db")  # <-
    """,
    "sync_redis": """
        import redis

        cache = redis.Redis()


        async def cached(key: str) -> object:
            return cache.get(key)  # <-
    """,
    "shutil_copy": """
        import shutil


        async def backup() -> None:
            shutil.copyfile("a", "b")  # <-
    """,
    "client_attribute_of_self": """
        import httpx


        class Gateway:
            def __init__(self) -> None:
                self.http: httpx.Client = httpx.Client()

            async def charge(self) -> None:
                self.http.post("/charges")  # <-
    """,
    "helper_through_a_method": """
        import requests


        class Mailer:
            def send(self) -> None:
                requests.post("https://mail.example.com", timeout=5)


        def notify(mailer: Mailer) -> None:
            mailer.send()


        async def signup(mailer: Mailer) -> None:
            notify(mailer)  # <-
    """,
    "boto3_client": """
        import boto3

        s3 = boto3.client("s3")


        async def download(key: str) -> object:
            return s3.get_object(Bucket="uploads", Key=key)  # <-
    """,
    "pandas_read_csv": """
        import pandas as pd


        async def report() -> object:
            return pd.read_csv("sales.csv")  # <-
    """,
    "smtp_connect": """
        import smtplib


        async def send() -> None:
            smtplib.SMTP("mail.example.com")  # <-
    """,
}

# Correct look-alikes: none may be reported.
FINE: dict[str, str] = {
    "anyio_path": """
        import anyio


        async def load() -> str:
            return await anyio.Path("data.txt").read_text()
    """,
    "aiofiles_open": """
        import aiofiles


        async def load() -> str:
            async with aiofiles.open("data.txt") as file:
                return await file.read()
    """,
    "httpx_async_client": """
        import httpx


        async def fetch() -> None:
            async with httpx.AsyncClient() as client:
                await client.get("https://example.com")
    """,
    "raise_requests_error": """
        import requests


        async def check(status: int) -> None:
            if status >= 400:
                raise requests.HTTPError(f"HTTP {status}")
    """,
    "except_requests_error": """
        import requests


        async def describe(error: Exception) -> str:
            if isinstance(error, requests.RequestException):
                return "network"
            return "other"
    """,
    "subprocess_error_raised": """
        import subprocess


        async def fail() -> None:
            raise subprocess.CalledProcessError(1, ["true"])
    """,
    "sdk_through_run_sync": """
        from src.concurrency import ThreadBudget, run_sync
        from src.sdk import dependencies as sdk_dependencies


        async def rates(client: sdk_dependencies.RatesClientDep, budget: ThreadBudget) -> object:
            return await run_sync(client.latest, "EUR", budget=budget)
    """,
    "requests_in_threadpool": """
        import requests
        from fastapi.concurrency import run_in_threadpool


        async def fetch() -> object:
            return await run_in_threadpool(requests.get, "https://example.com", timeout=5)
    """,
    "cpu_in_process": """
        from typing import Any

        from src.concurrency import run_in_process
        from src.cpu import service as cpu_service


        async def count(pool: Any, text: str) -> Any:
            return await run_in_process(pool, cpu_service.word_counts, text)
    """,
    "anyio_to_thread": """
        import time

        import anyio.to_thread


        async def wait() -> None:
            await anyio.to_thread.run_sync(time.sleep, 1)
    """,
    "asyncio_to_thread": """
        import asyncio
        import shutil


        async def backup() -> None:
            await asyncio.to_thread(shutil.copyfile, "a", "b")
    """,
    "run_in_executor": """
        import asyncio
        import time


        async def wait() -> None:
            await asyncio.get_running_loop().run_in_executor(None, time.sleep, 1)
    """,
    "lambda_in_threadpool": """
        import time

        from fastapi.concurrency import run_in_threadpool


        async def wait() -> None:
            await run_in_threadpool(lambda: time.sleep(1))
    """,
    "nested_function_in_threadpool": """
        from pathlib import Path

        from fastapi.concurrency import run_in_threadpool


        async def load() -> str:
            def read() -> str:
                return Path("data.txt").read_text()

            return await run_in_threadpool(read)
    """,
    "asyncio_sleep": """
        import asyncio


        async def wait() -> None:
            await asyncio.sleep(1)
    """,
    "anyio_sleep": """
        import anyio


        async def wait() -> None:
            await anyio.sleep(1)
    """,
    "hash_of_a_token": """
        import hashlib


        async def token_hash(token: str) -> str:
            return hashlib.sha256(token.encode()).hexdigest()
    """,
    "sync_route": """
        import requests


        def fetch() -> object:
            return requests.get("https://example.com", timeout=5).json()
    """,
    "async_redis": """
        import redis.asyncio

        cache = redis.asyncio.Redis()


        async def cached(key: str) -> object:
            return await cache.get(key)
    """,
    "async_subprocess": """
        import asyncio


        async def convert() -> None:
            process = await asyncio.create_subprocess_exec("true")
            await process.wait()
    """,
    "anyio_run_process": """
        import anyio


        async def convert() -> None:
            await anyio.run_process(["true"])
    """,
    "small_loop": """
        async def total() -> int:
            return sum(i * i for i in range(100))
    """,
    "async_session": """
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import AsyncSession


        async def count(session: AsyncSession) -> None:
            await session.execute(text("select 1"))
            await session.commit()
    """,
    "async_sessionmaker": """
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        SessionLocal = async_sessionmaker(create_async_engine("sqlite+aiosqlite://"))


        async def count() -> None:
            async with SessionLocal() as session:
                await session.execute(text("select 1"))
    """,
    "async_engine": """
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine("sqlite+aiosqlite://")


        async def ping() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("select 1"))
    """,
    "asyncio_open_connection": """
        import asyncio


        async def probe() -> None:
            reader, writer = await asyncio.open_connection("example.com", 80)
            writer.close()
            await writer.wait_closed()
    """,
    "pure_path_manipulation": """
        from pathlib import Path


        async def name(upload: str) -> str:
            return (Path("uploads") / upload).with_suffix(".txt").name
    """,
    "own_async_read_text": """
        class Storage:
            async def read_text(self, key: str) -> str:
                return key


        async def load(storage: Storage) -> str:
            return await storage.read_text("data.txt")
    """,
    "own_get_method": """
        class Cache:
            def __init__(self) -> None:
                self.values: dict[str, str] = {}

            def get(self, key: str) -> str | None:
                return self.values.get(key)


        async def cached(cache: Cache, key: str) -> str | None:
            return cache.get(key)
    """,
    "clock_reads": """
        import time


        async def elapsed(start: float) -> float:
            return time.monotonic() - start + 0 * time.time()
    """,
    "crc_of_constant": """
        import zlib


        async def tag() -> int:
            return zlib.crc32(b"v1")
    """,
    "sync_dependency_without_io": """
        from fastapi import Depends, Header


        def language(accept_language: str = Header("en")) -> str:
            return accept_language.split(",")[0]


        async def greet(lang: str = Depends(language)) -> str:
            return lang
    """,
    "blocking_background_task": """
        import time

        from fastapi import BackgroundTasks


        def slow_report() -> None:
            time.sleep(5)


        async def order(tasks: BackgroundTasks) -> None:
            tasks.add_task(slow_report)
    """,
    "sdk_close_in_thread": """
        from src.concurrency import ThreadBudget, run_sync
        from src.sdk import client as sdk_client


        async def shutdown(client: sdk_client.RatesClient, budget: ThreadBudget) -> None:
            await run_sync(client.close, budget=budget)
    """,
    "requests_request_object": """
        import requests


        async def prepare(url: str) -> requests.PreparedRequest:
            return requests.Request("GET", url).prepare()
    """,
    "boto3_presigned_url": """
        import boto3

        s3 = boto3.client("s3")


        async def upload_url(key: str) -> str:
            params = {"Bucket": "uploads", "Key": key}
            return str(s3.generate_presigned_url("put_object", Params=params))
    """,
    "json_of_small_text": """
        import json


        async def parse(text: str) -> object:
            return json.loads(text)
    """,
}


def test_precision_and_recall_on_the_corpus(tmp_path: Path) -> None:
    files = {**SUPPORT}
    for name, source in {**BLOCKS, **FINE}.items():
        files[f"src/{name}/__init__.py"] = ""
        files[f"src/{name}/service.py"] = source
    for relative, text in files.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip(), encoding="utf-8")

    found = {
        (finding.path, finding.line)
        for finding in static_findings(tmp_path)
        if finding.rule.startswith(BLOCKING_RULES)
    }
    flagged = {path for path, _ in found}
    false_positives = [name for name in FINE if f"src/{name}/service.py" in flagged]
    missed: list[str] = []
    for name in BLOCKS:
        path = f"src/{name}/service.py"
        lines = (tmp_path / path).read_text("utf-8").splitlines()
        line = next(number for number, text in enumerate(lines, 1) if "# <-" in text)
        if (path, line) not in found:
            missed.append(name)

    caught = len(BLOCKS) - len(missed)
    recall = caught / len(BLOCKS)
    precision = caught / (caught + len(false_positives)) if caught else 0.0
    print(
        f"\nblocking corpus: {len(BLOCKS)} planted, {len(FINE)} look-alikes; "
        f"recall {recall:.2f}, precision {precision:.2f}; missed {missed}, "
        f"false positives {false_positives}"
    )
    assert len(BLOCKS) >= 30
    assert len(FINE) >= 30
    assert false_positives == []
    assert recall >= 0.9, f"missed: {missed}"
