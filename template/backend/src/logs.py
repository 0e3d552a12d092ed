"""Logging, configured once at start-up (the lifespan) from settings.

The standard library's logging, one handler on the root logger for everything: the
app's loggers, uvicorn's, SQLAlchemy's. JSON lines in staging and production, for a log
collector; readable lines in local and testing. Every record carries the id of the request
it was made for (`request_id`, src/request_id.py). One access line per request
(`AccessLog`, in the same format) replaces uvicorn's.

Never log a secret: no token, password, header or query string (access lines drop it).
"""

import contextlib
import json
import logging
import sys
import time
from json.encoder import encode_basestring_ascii as _escape
from typing import Any

from src.request_id import current_request_id

# Logged by libraries on every request at INFO: noise, and httpx's lines hold full URLs.
QUIET_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2")
# uvicorn's loggers keep their own handlers unless told otherwise: they go through ours.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")

# The attributes every LogRecord has: the rest were passed with `extra=` and are logged.
# (color_message: uvicorn's copy of its message with terminal colours.)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "request",
    "color_message",
}


class _Clock:
    """ISO 8601 UTC times to the millisecond; the seconds are formatted once per second."""

    second = -1
    second_text = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self.second:
            self.second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self.second = second
        return f"{self.second_text}.{int((created - second) * 1000):03d}Z"


_timestamp = _Clock()


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exc."""

    _encode = json.JSONEncoder(default=str).encode

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        for key in record.__dict__.keys() - _STANDARD:  # passed with extra=
            entry[key] = record.__dict__[key]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encode(entry)


class ReadableFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(request)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [{request_id}]" if request_id else ""
        return super().format(record)


# JSONFormatter's fields, then the access line's own.
_ACCESS_LINE = (
    '{"time": "%s", "level": "INFO", "logger": "access", "message": "%s %s %d", '
    '"request_id": "%s", "method": "%s", "path": %s, "route": %s, "status": %d, '
    '"duration_ms": %s}\n'
)


class AccessLog:
    """The line of each request, written when it ends (src/request_id.py).

    No query string (it can carry tokens) and no client address (personal data; the
    proxy's own log has it). Written for every request, so in JSON it bypasses the
    LogRecord machinery and writes JSONFormatter's fields itself: measured on /health, a
    line costs 10 µs of CPU this way, 27 µs as a LogRecord.
    """

    logger = logging.getLogger("access")

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines

    def write(
        self, method: str, path: str, route: str, status: int, seconds: float, request_id: str
    ) -> None:
        milliseconds = round(seconds * 1000, 2)
        if not self.json_lines:
            self.logger.info("%s %s %d %.2f ms", method, path, status, milliseconds)
            return
        # Only the path comes from the client unchecked: it is escaped (the request id
        # matched [A-Za-z0-9._-], the method is an HTTP token, the route is ours).
        quoted_path = _escape(path)
        line = _ACCESS_LINE % (
            _timestamp(time.time()),
            method,
            quoted_path[1:-1],
            status,
            request_id,
            method,
            quoted_path,
            _escape(route),
            status,
            milliseconds,
        )
        # One write: lines of several threads never interleave. A closed or vanished stderr
        # leaves nowhere to report the failure.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(line)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the sys.stderr of the moment (a test runner swaps it per test)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _with_request_id(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record

    make_record.adds_request_id = True  # type: ignore[attr-defined]
    return make_record


def configure_logging(level: str, *, json_lines: bool) -> None:
    """Send every logger's records to one stderr handler (again: the previous one goes)."""
    # Records skip what these formats never print: the caller's file and line, thread and
    # process names (the logging docs' "Optimization": a record then costs half).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "adds_request_id", False):
        logging.setLogRecordFactory(_with_request_id(factory))
    handler = StderrHandler()
    handler.setFormatter(JSONFormatter() if json_lines else ReadableFormatter())
    handler.set_name("app")
    root = logging.getLogger()
    # Other handlers (pytest's capture) stay; the one added by an earlier start goes.
    for old in [h for h in root.handlers if h.get_name() == "app"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers.clear()
        logger.propagate = True
    # AccessLog writes the access lines: uvicorn checks for a handler and, finding none,
    # writes none (nor builds its arguments).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
