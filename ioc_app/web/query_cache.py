"""Query results cached per (query, parameters, scope, lake snapshot).

A new DuckLake snapshot changes the key, so a pipeline commit invalidates exactly
what it should and nothing is served stale.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ioc_app.web.lake_reader import LakeReader

_MAX_ENTRIES = 512


class QueryCache:
    def __init__(self, reader: LakeReader) -> None:
        self._reader = reader
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
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
        with self._reader.cursor() as cur:
            result = query(cur, *args)
        with self._lock:
            self._entries[key] = result
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return result
