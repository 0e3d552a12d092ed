"""Sentry on the real server: SENTRY_DSN points to a local HTTP server standing in for
Sentry, which records the envelopes the SDK sends."""

import gzip
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.conftest import production
from tests.utils import serving


class Sentry(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Ingest)
        self.envelopes: list[bytes] = []

    @property
    def dsn(self) -> str:
        host, port = self.server_address[:2]
        return f"http://public-key@{host!s}:{port}/1"

    def event(self, deadline: float = 10) -> tuple[bytes, dict[str, Any]]:
        """The first envelope that holds an event (raw), and that event."""
        give_up = time.monotonic() + deadline
        while time.monotonic() < give_up:
            for envelope in list(self.envelopes):
                _header, *lines = envelope.splitlines()
                for item, payload in zip(lines[::2], lines[1::2], strict=False):
                    if json.loads(item).get("type") == "event":
                        return envelope, json.loads(payload)
            time.sleep(0.05)  # between two looks at what arrived, not a wait for it
        raise AssertionError(f"no event reached Sentry; envelopes: {self.envelopes}")


class Ingest(BaseHTTPRequestHandler):
    server: Sentry

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def sentry() -> Iterator[Sentry]:
    with serving(Sentry()) as server:
        yield server


def test_an_error_reaches_sentry_with_its_request_id_and_no_secrets(
    sentry: Sentry, tmp_path: Path, database_url: str
) -> None:
    with production(tmp_path, database_url, SENTRY_DSN=sentry.dsn) as server:
        response = httpx2.post(
            f"{server.url}/planted/error",
            json={"email": "someone@example.com", "password": "pw-s3cr3t"},
            headers={"Authorization": "Bearer token-s3cr3t", "Cookie": "session=cookie-s3cr3t"},
        )
        assert response.status_code == 500
        envelope, event = sentry.event()
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "planted failure")
    assert event["tags"]["request_id"] == response.headers["x-request-id"]
    for secret in (b"pw-s3cr3t", b"token-s3cr3t", b"cookie-s3cr3t"):
        assert secret not in envelope
