"""Read access to the analytical store for one web process.

Each gunicorn worker opens its own DuckDB connection on first use (after the fork). Inside a
web request every query goes through the request's own cursor, opened at its first query in a
read transaction: all the queries of one answer read the same snapshot, and the request pays
`USE lake` and the snapshot lookup once (about 4 ms each on the DuckLake catalog) instead of
at every query. Outside a request each use gets a cursor of its own. DuckLake shows each new
transaction the latest committed snapshot, so no reconnect is needed when a pipeline commits.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from flask import Flask, g, has_request_context

from ioc_app.config import Settings


class LakeReader:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pid: int | None = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None or self._pid != os.getpid():
                from ioc_app.lake import connect

                self._con = connect(self._settings, read_only=True)
                self._pid = os.getpid()
            return self._con

    def _open(self) -> duckdb.DuckDBPyConnection:
        cur = self._connection().cursor()
        cur.execute("USE lake")
        return cur

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if has_request_context():
            if "ioc_lake_cursor" not in g:
                cur = self._open()
                cur.execute("BEGIN TRANSACTION")
                g.ioc_lake_cursor = cur
            yield g.ioc_lake_cursor
            return
        cur = self._open()
        try:
            yield cur
        finally:
            cur.close()

    def snapshot(self) -> int:
        """The snapshot the current request reads (outside a request: the latest committed one)."""
        from ioc_app.lake import snapshot_id

        if has_request_context() and "ioc_lake_snapshot" in g:
            return g.ioc_lake_snapshot
        with self.cursor() as cur:
            found = snapshot_id(cur)
        if has_request_context():
            g.ioc_lake_snapshot = found
        return found

    def install(self, server: Flask) -> None:
        """End each request's read transaction and close its cursor when the request ends."""
        @server.teardown_request
        def release_lake_cursor(_error: BaseException | None) -> None:
            cur = g.pop("ioc_lake_cursor", None)
            if cur is not None:
                try:
                    cur.execute("ROLLBACK")
                finally:
                    cur.close()
