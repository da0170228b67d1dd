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
        from ioc_app.lake import snapshot_id

        with self._reader.cursor() as cur:
            return snapshot_id(cur)

    def run(self, query: Callable[..., Any], *args: Any) -> Any:
        from ioc_app.lake import snapshot_id

        with self._reader.cursor() as cur:
            key = (query.__module__, query.__qualname__, args, snapshot_id(cur))
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
            result = query(cur, *args)
        with self._lock:
            self._entries[key] = result
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return result
