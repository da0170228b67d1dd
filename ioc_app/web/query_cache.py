"""Query results cached per (query, parameters, scope, versions of the tables it read).

A query's first run notes the lake tables its statements name (ioc_app.lake.reads); from then on
its results are keyed by the snapshot at which each of those tables last changed
(ioc_app.lake.changes), so a commit invalidates exactly the results that read what it changed: a
sensor feed's commit every few minutes leaves the indicator and ticket results in place, and
nothing is served stale. A query that reads anything else (a table function such as the lake's
snapshots, another database) stays keyed by the whole lake's snapshot. Right after a commit every
open page asks again at once (a wall's four views and its banner share half their queries; fifty
desks share most): a query already running for the same key is waited for, not run again.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import duckdb

from ioc_app.lake.changes import TableVersions
from ioc_app.lake.reads import tables_read
from ioc_app.web.lake_reader import LakeReader

_MAX_ENTRIES = 512
_MAX_READS = 4 * _MAX_ENTRIES


class _Running:
    """A query being computed: the threads asking for the same key wait for its result."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.result: Any = None


class _Recorder:
    """The cursor a query runs on, noting the lake tables its statements read (None: something else)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self.tables: frozenset[str] | None = frozenset()

    def execute(self, sql: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        found = tables_read(sql)
        self.tables = None if found is None or self.tables is None else self.tables | found
        return self._cur.execute(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        self.tables = None  # any other use of the cursor: what it reads is not known
        return getattr(self._cur, name)


class QueryCache:
    def __init__(self, reader: LakeReader) -> None:
        self._reader = reader
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._running: dict[tuple, _Running] = {}
        self._reads: OrderedDict[tuple, frozenset[str]] = OrderedDict()
        self._versions = TableVersions()
        self._lock = threading.Lock()

    def snapshot(self) -> int:
        """The lake snapshot the next query would read: the 'as of' of every figure shown."""
        return self._reader.snapshot()

    def _key(self, call: tuple) -> tuple:
        """The cache key of `call` at the snapshot this request reads."""
        snapshot = self._reader.snapshot()
        tables = self._reads.get(call)
        if tables:
            with self._reader.cursor() as cur:
                versions = self._versions.of(cur, snapshot, tables)
            if versions is not None:
                return call, tables, versions
        return call, snapshot

    def run(self, query: Callable[..., Any], *args: Any) -> Any:
        call = (query.__module__, query.__qualname__, args)
        key = self._key(call)
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
            return self._compute(call, key, query)  # the first asker failed: try on this request's own
        try:
            running.result = self._compute(call, key, query)
            running.ok = True
            return running.result
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.done.set()

    def _compute(self, call: tuple, key: tuple, query: Callable[..., Any]) -> Any:
        with self._reader.cursor() as cur:
            recorder = _Recorder(cur)
            result = query(recorder, *call[2])
        if recorder.tables and recorder.tables != self._reads.get(call):
            # First run (or other tables than before): keep the result under the tables' versions.
            with self._lock:
                self._reads[call] = recorder.tables
                while len(self._reads) > _MAX_READS:
                    self._reads.popitem(last=False)
            key = self._key(call)
        with self._lock:
            self._entries[key] = result
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return result
