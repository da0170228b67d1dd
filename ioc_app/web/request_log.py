"""One log line per web request (logger `ioc.web.request`) with a request id, also sent back
as the `X-Request-ID` header so a user's report of a failure can be found in the log.

Logged: method, path (never the query string, which may carry a `next=` target or search
text), status, duration in ms, the signed-in username or "-", and the request id. A proxy's
X-Request-ID is kept when it is a plain token of at most 64 characters.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request
from flask_login import current_user

log = logging.getLogger("ioc.web.request")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def install_request_log(server: Flask) -> None:
    @server.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _TOKEN.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @server.after_request
    def _finish(response):
        started = g.get("request_started")
        if started is None:
            return response
        response.headers["X-Request-ID"] = g.request_id
        user = current_user.username if current_user and current_user.is_authenticated else "-"
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": g.request_id, "method": request.method, "path": request.path,
            "status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user": user})
        return response
