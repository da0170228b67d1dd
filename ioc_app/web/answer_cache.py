"""Answers of the dashboards' read-only callbacks, kept per lake snapshot.

Many people watch the same views at once: a department's heads, the control room, a leader's
desk. An answer of a dashboard page's callback follows from the request body, the account's
role and scope, the language and the lake snapshot, so an identical request is answered with the
bytes of the first answer, without its queries, figures or JSON encoding. The query cache
(ioc_app.web.query_cache) still shares a first answer's queries between callbacks. An answer is
kept at most `MAX_AGE` seconds, so a text that counts from the clock ("seen 5 min ago") ages by
no more than that; a new snapshot changes the key at once.

Only the overview, indicator, feedback and device pages' callbacks are kept, never an export
(a download is asked for once), and only answers of 200.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, g, request
from flask_login import current_user

from ioc_app.config import Settings
from ioc_app.web.lake_reader import LakeReader

CALLBACK_PATH = "/_dash-update-component"
PAGE_PREFIXES = ("ov-", "ind-", "fb-", "dv-")
MAX_ENTRIES = 512
MAX_BYTES = 96 * 2**20
MAX_AGE = 60.0


def cacheable(output: object) -> bool:
    """Whether a callback with this `output` (Dash's output text) is a dashboard read."""
    if not isinstance(output, str) or not output:
        return False
    ids = [part.strip(".").rsplit(".", 1)[0] for part in output.split("...")]
    return all(i.startswith(PAGE_PREFIXES) and not i.endswith("-download") for i in ids)


class AnswerCache:
    """Answer bytes by key, the least recently used dropped past MAX_ENTRIES or MAX_BYTES."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if time.monotonic() - found[0] > MAX_AGE:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: tuple, body: bytes) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic(), body)
            self._bytes += len(body)
            while len(self._entries) > MAX_ENTRIES or self._bytes > MAX_BYTES:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        self._bytes -= len(self._entries.pop(key)[1])


def install_answer_cache(server: Flask, settings: Settings, reader: LakeReader) -> None:
    """Call after every other `before_request` hook (sign-in, password due, same-origin writes):
    a kept answer goes only to a request those let through."""
    from ioc_app.web.access import current_scope
    from ioc_app.web.language import current_lang

    answers = AnswerCache()

    @server.before_request
    def answer_from_cache() -> Response | None:
        if request.method != "POST" or request.path != CALLBACK_PATH or not current_user.is_authenticated:
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not cacheable(body.get("output")):
            return None
        key = (hashlib.sha256(request.get_data()).digest(), current_user.role,
               current_scope(settings).area_keys, current_lang(), reader.snapshot())
        found = answers.get(key)
        if found is not None:
            return Response(found, mimetype="application/json")
        g.ioc_answer_key = key
        return None

    @server.after_request
    def keep_answer(response: Response) -> Response:
        key = g.pop("ioc_answer_key", None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            answers.put(key, response.get_data())
        return response
