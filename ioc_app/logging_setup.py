"""Structured logs: one JSON object per line on stderr, for the CLI, the scheduler and gunicorn.

Every line has `time` (ICT, ISO 8601 with milliseconds and +07:00), `level`, `logger` and
`message`; fields passed with `extra=` (a web request's request_id, method, path, status,
duration_ms; a pipeline run's `source_run`; a backup's `backup`) are added as they are, and
an exception becomes `exception` (its traceback as one string). Nothing else is added, so
no password, token or query string reaches a log line unless a caller puts it there.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from gunicorn.glogging import Logger as GunicornBaseLogger

from ioc_app.clock import ICT

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, ICT).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    return handler


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for every logger of this process (replaces earlier root handlers)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level)


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's own messages (boot, worker starts and exits) in the same JSON lines.

    Its access log stays off: the app logs each request itself (ioc_app/web/request_log.py)
    with the request id and the duration."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
