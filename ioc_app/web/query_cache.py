"""Query results cached per (query, parameters, scope, lake snapshot).

A new DuckLake snapshot changes the key, so a pipeline commit invalidates exactly
what it should and nothing is served stale. Right after a commit every open page asks
again at once (a wall's four views and its banner share half their queries; fifty desks
share most): a query already running for the same key is waited for, not run again.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ioc_app.web.lake_reader import LakeReader

_MAX_ENTRIES = 512


class _Running:
    """A query being computed: the threads asking for the same key wait for its result."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.result: Any = None


class QueryCache:
    def __init__(self, reader: LakeReader) -> None:
        self._reader = reader
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._running: dict[tuple, _Running] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> int:
        """The lake snapshot the next query would read: the 'as of' of every figure shown."""
        return self._reader.snapshot()

    def run(self, query: Callable[..., Any], *args: Any) -> Any:
        key = (query.__module__, query.__qualname__, args, self._reader.snapshot())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = _Running()
                owner = True
            else:
                owner = False
        if not owner:
            running.done.wait()
            if running.ok:
                return running.result
            return self._compute(key, query, args)  # the first asker failed: try on this request's own
        try:
            running.result = self._compute(key, query, args)
            running.ok = True
            return running.result
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.done.set()

    def _compute(self, key: tuple, query: Callable[..., Any], args: tuple) -> Any:
        with self._reader.cursor() as cur:
            result = query(cur, *args)
        with self._lock:
            self._entries[key] = result
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return result
