"""Logging, configured once at start-up (the lifespan) from settings.

The standard library's logging, one handler on the root logger for everything: the
app's loggers, uvicorn's (its access lines too), SQLAlchemy's. JSON lines in
staging and production, for a log collector; readable lines in local and testing. Every
record carries the id of the request it was made for (`request_id`, src/request_id.py).

Never log a secret: no token, password, header or query string (access lines drop it).
"""

import json
import logging
import sys
import time
from typing import Any

from src.request_id import current_request_id

# Logged by libraries on every request at INFO: noise, and httpx's lines hold full URLs.
QUIET_LOGGERS = ("httpx", "httpcore", "httpx2", "httpcore2")
# uvicorn's loggers keep their own handlers unless told otherwise: they go through ours.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# The attributes every LogRecord has: the rest were passed with `extra=` and are logged.
# (color_message: uvicorn's copy of its message with terminal colours.)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "request",
    "color_message",
}


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exc.

    Written for every request (the access line): the encoder is built once, and the
    time's seconds are formatted once per second.
    """

    _encode = json.JSONEncoder(default=str).encode
    _second = -1
    _second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        entry: dict[str, Any] = {
            "time": f"{self._second_text}.{int(record.msecs):03d}Z",
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


class AccessLineFilter(logging.Filter):
    """uvicorn's access line without its query string (it can carry tokens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


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
    # process names (the logging docs' "Optimization": an access line then costs half).
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
        if logger.handlers:  # none: uvicorn was told not to log there (--no-access-log)
            logger.handlers.clear()
            logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLineFilter) for f in access.filters):
        access.addFilter(AccessLineFilter())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
